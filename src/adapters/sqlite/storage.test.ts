import { describe, expect, it } from 'vitest';
import { RECENT_RECORDS_SQL } from './calls.js';
import { openDatabase, SqliteStorage } from './storage.js';

const entry = (id: string) => ({
  id,
  sdkAppId: 1400000000,
  callId: `call-${id}`,
  command: 'Call.CallbackAfterStartCall' as const,
  url: 'http://127.0.0.1:9/cb?SdkAppid=1400000000',
  body: '{}',
  createdAt: 1,
  ordered: true,
});

async function ids(storage: SqliteStorage): Promise<string[]> {
  const { entries } = await storage.transaction((tx) => tx.outbox.list(1400000000, {}, 0, 100));
  return entries.map((e) => e.id).sort();
}

describe('SqliteStorage group commit', () => {
  it('commits transactions that arrive together, each with its own result', async () => {
    const storage = new SqliteStorage(openDatabase(':memory:'));
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        storage.transaction(async (tx) => {
          await tx.outbox.add(entry(`m${String(i).padStart(2, '0')}`));
          return i;
        }),
      ),
    );
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(await ids(storage)).toHaveLength(20);
    await storage.close();
  });

  it('rolls back only the transaction that throws; the others of its batch are committed', async () => {
    const storage = new SqliteStorage(openDatabase(':memory:'));
    const runs = new Map<string, number>();
    const tx = (id: string, fail = false) =>
      storage.transaction(async (t) => {
        runs.set(id, (runs.get(id) ?? 0) + 1);
        await t.outbox.add(entry(id));
        if (fail) throw new Error(`no ${id}`);
        return id;
      });
    const settled = await Promise.allSettled([tx('a'), tx('b'), tx('c', true), tx('d')]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((settled[2] as PromiseRejectedResult).reason).toEqual(new Error('no c'));
    expect(await ids(storage)).toEqual(['a', 'b', 'd']);
    // The batch was rolled back and its transactions run again alone: `c` twice in all.
    expect(runs.get('c')).toBe(2);
    await storage.close();
  });

  it('refuses transactions once closed', async () => {
    const storage = new SqliteStorage(openDatabase(':memory:'));
    await storage.close();
    await expect(storage.transaction(async () => 1)).rejects.toThrow('storage is closed');
  });
});

describe('recent records of a user', () => {
  it('walk the per-user index in order: no scan of the records, no sort', () => {
    const db = openDatabase(':memory:');
    const plan = db.prepare(`EXPLAIN QUERY PLAN ${RECENT_RECORDS_SQL}`).all(1, 'bob', 20) as { detail: string }[];
    const details = plan.map((p) => p.detail).join('\n');
    expect(details).toContain('USING COVERING INDEX call_record_members_recent');
    expect(details).toMatch(/SEARCH r USING INDEX sqlite_autoindex_call_records_1|SEARCH r USING PRIMARY KEY/);
    expect(details).not.toMatch(/SCAN|TEMP B-TREE/);
    db.close();
  });
});
