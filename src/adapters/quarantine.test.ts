/**
 * Rows their own key cannot address (issue 12, finding 1): a claim quarantines them, reports
 * each once, never returns them again, and still returns the good rows.
 *
 * SQLite keeps a lone UTF-16 surrogate as the bytes it was given (ED A0 80 for U+D800), which
 * read back as U+FFFD: such a row is planted here through the repositories, as any caller would.
 * PostgreSQL cannot hold one: node-pg sends a lone surrogate as U+FFFD (that is what is stored,
 * and it reads back the same), the server refuses NUL and invalid UTF-8 on the way in, and text
 * it cannot convert to the client's UTF-8 on the way out. So on PostgreSQL the real behaviour is
 * checked, and the quarantine path is driven by a connection that reads a key back lossily, as
 * a driver that met undecodable bytes would.
 */
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { NewOutboxEntry, Storage, Tx } from '../app/ports.js';
import { TEST_DATABASE_URL, randomSchema, requireDatabase } from '../testing/postgres.js';
import { PgOutboxRepo } from './postgres/outbox.js';
import { PgStorage } from './postgres/storage.js';
import { PgTimerRepo } from './postgres/timers.js';
import { PgTx, type SendBatch } from './postgres/tx.js';
import { SqliteStorage, openDatabase } from './sqlite/storage.js';

const NOW = 1_700_000_000_000;
const APP = 1400000001;
const LONE = '\ud800';
/** What SQLite hands back for {@link LONE}: one U+FFFD per stored byte. */
const READ_BACK = '\ufffd\ufffd\ufffd';

const timer = (callId: string, userId: string, dueAt = NOW - 10) => ({ sdkAppId: APP, callId, kind: 'ring' as const, userId, dueAt });

function entry(id: string, over: Partial<NewOutboxEntry> = {}): NewOutboxEntry {
  return {
    id,
    sdkAppId: APP,
    callId: 'call-1',
    command: 'Call.CallbackAfterStartCall',
    url: 'http://a.test/cb',
    body: '{}',
    createdAt: NOW - 1000,
    ordered: false,
    ...over,
  };
}

async function setTimers(s: Storage, ...timers: ReturnType<typeof timer>[]): Promise<void> {
  await s.transaction(async (tx) => {
    for (const t of timers) await tx.timers.set(t.sdkAppId, t.callId, t.kind, t.userId, t.dueAt);
  });
}

async function addEntries(s: Storage, ...entries: NewOutboxEntry[]): Promise<void> {
  await s.transaction(async (tx) => {
    for (const e of entries) await tx.outbox.add(e);
  });
}

describe('SQLite quarantine', () => {
  let s: SqliteStorage;
  const tx = <T>(fn: (tx: Tx) => Promise<T>) => s.transaction(fn);
  afterEach(() => s.close());

  it('sets aside a timer whose user id does not read back, reports it once, and returns the good ones', async () => {
    s = new SqliteStorage(openDatabase(':memory:'));
    const good = timer('c1', 'bob', NOW - 5);
    await setTimers(s, timer('c1', LONE, NOW - 20), good);

    const first = await tx((t) => t.timers.claimDue(NOW, NOW + 60_000, 10));
    expect(first.timers).toEqual([good]);
    expect(first.quarantined).toEqual([
      {
        table: 'timers',
        key: { sdkAppId: APP, callId: 'c1', kind: 'ring', userId: READ_BACK, dueAt: NOW - 20 },
        reason: expect.stringContaining('matches no row') as unknown,
      },
    ]);
    expect(await tx((t) => t.timers.take(good))).toBe(true);
    // Never again: not after the lease would have run out, not after a restart.
    await s.recoverClaims();
    expect(await tx((t) => t.timers.claimDue(NOW + 3600_000, NOW + 3700_000, 10))).toEqual({ timers: [], quarantined: [] });
    expect(await tx((t) => t.timers.nextDueAt())).toBeUndefined();
    // Kept, not lost: the row is still there, marked, with its bytes as stored.
    expect(s.db.prepare('SELECT hex(user_id) AS user, quarantined FROM timers').all()).toEqual([{ user: 'EDA080', quarantined: 1 }]);
  });

  it('sets aside a full claim of such timers; the next claim goes on to the good ones', async () => {
    s = new SqliteStorage(openDatabase(':memory:'));
    const good = timer('c9', 'bob', NOW - 1);
    await setTimers(s, ...Array.from({ length: 5 }, (_, i) => timer(`c${i}`, LONE, NOW - 100 + i)), good);
    const first = await tx((t) => t.timers.claimDue(NOW, NOW + 60_000, 3));
    expect([first.timers.length, first.quarantined.length]).toEqual([0, 3]);
    const second = await tx((t) => t.timers.claimDue(NOW, NOW + 60_000, 3));
    expect(second.timers).toEqual([good]);
    expect(second.quarantined.map((q) => q.key.callId)).toEqual(['c3', 'c4']);
  });

  it('a timer re-armed or taken between claim and fire is a normal race, not a quarantine', async () => {
    s = new SqliteStorage(openDatabase(':memory:'));
    const t1 = timer('c1', 'bob');
    await setTimers(s, t1);
    expect(await tx((t) => t.timers.claimDue(NOW, NOW + 60_000, 10))).toEqual({ timers: [t1], quarantined: [] });
    await setTimers(s, { ...t1, dueAt: NOW + 10 });
    expect(await tx((t) => t.timers.take(t1))).toBe(false);
    expect(await tx((t) => t.timers.claimDue(NOW + 10, NOW + 60_000, 10))).toEqual({
      timers: [{ ...t1, dueAt: NOW + 10 }],
      quarantined: [],
    });
  });

  it('a key that holds U+FFFD itself is addressed and claimed as usual', async () => {
    s = new SqliteStorage(openDatabase(':memory:'));
    const t1 = timer('c1', `x${READ_BACK}`);
    await setTimers(s, t1);
    expect(await tx((t) => t.timers.claimDue(NOW, NOW + 60_000, 10))).toEqual({ timers: [t1], quarantined: [] });
    expect(await tx((t) => t.timers.take(t1))).toBe(true);
  });

  it('sets aside outbox entries whose id or call id does not read back, as failed, never claimed or resent again', async () => {
    s = new SqliteStorage(openDatabase(':memory:'));
    await addEntries(s, entry(`msg_${LONE}`), entry('msg_2', { callId: `call-${LONE}` }), entry('msg_3'));

    const first = await tx((t) => t.outbox.claimDue(NOW, NOW + 60_000, 10, []));
    expect(first.entries.map((e) => e.id)).toEqual(['msg_3']);
    expect(first.quarantined.map((q) => [q.table, q.key.id, q.key.callId])).toEqual([
      ['outbox', `msg_${READ_BACK}`, 'call-1'],
      ['outbox', 'msg_2', `call-${READ_BACK}`],
    ]);
    // Its lease run out, the good entry comes back; the quarantined ones do not.
    const later = await tx((t) => t.outbox.claimDue(NOW + 3600_000, NOW + 3700_000, 10, []));
    expect([later.entries.map((e) => e.id), later.quarantined]).toEqual([['msg_3'], []]);
    // Visible in the delivery log as failed, saying why; kept out of resends.
    const logged = (await tx((t) => t.outbox.get(APP, 'msg_2')))!.entry;
    expect(logged).toMatchObject({ status: 'failed', lastError: expect.stringMatching(/^quarantined: /) as unknown });
    expect(await tx((t) => t.outbox.failedSince(APP, 0))).toEqual([]);
    expect(await tx((t) => t.outbox.resend(APP, 'msg_2', NOW))).toBe(false);
    expect(await tx((t) => t.outbox.pendingByApp())).toEqual(new Map([[APP, 1]]));
    expect(await tx((t) => t.outbox.nextDueAt(NOW))).toBe(NOW + 3700_000);
  });
});

describe('PostgreSQL quarantine', () => {
  const schema = randomSchema();
  let s: PgStorage;
  beforeAll(async () => {
    await requireDatabase();
    s = await PgStorage.open({ url: TEST_DATABASE_URL, schema });
  });
  afterEach(async () => {
    await s.pool.query('TRUNCATE outbox, callback_attempts, timers RESTART IDENTITY');
  });
  afterAll(async () => {
    await s?.close();
    await PgStorage.dropSchema(TEST_DATABASE_URL, schema);
  });

  /**
   * Runs `fn` in a transaction whose connection hands back the rows of the statement `name`
   * changed by `lossy`, as a driver that could not decode their stored text would.
   */
  async function lossyTx<T>(name: string, lossy: (row: Record<string, unknown>) => void, fn: (db: PgTx) => Promise<T>): Promise<T> {
    const client = await s.pool.connect();
    // One statement at a time, in the transaction this function began.
    const send: SendBatch = async (statements) => {
      const results: pg.QueryResult[] = [];
      for (const statement of statements) {
        const res = await client.query(statement as pg.QueryConfig);
        if (statement.name === name) for (const row of res.rows as Record<string, unknown>[]) lossy(row);
        results.push(res);
      }
      return results;
    };
    try {
      await client.query('BEGIN');
      const result = await fn(new PgTx(send, true));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK');
      throw err;
    } finally {
      client.release();
    }
  }

  it('stores a lone surrogate as U+FFFD (node-pg sends it so): the timer is addressed and fires as usual', async () => {
    await setTimers(s, timer('c1', LONE));
    const got = await s.transaction((tx) => tx.timers.claimDue(NOW, NOW + 60_000, 10));
    expect(got).toEqual({ timers: [timer('c1', '\ufffd')], quarantined: [] });
    expect(await s.transaction((tx) => tx.timers.take(got.timers[0]!))).toBe(true);
  });

  it('refuses NUL in a key at insert, cleanly, and goes on working', async () => {
    await expect(setTimers(s, timer('c1', 'a\u0000b'))).rejects.toMatchObject({ code: '22021' });
    await expect(addEntries(s, entry('msg_\u0000'))).rejects.toMatchObject({ code: '22021' });
    await setTimers(s, timer('c2', 'bob'));
    expect((await s.transaction((tx) => tx.timers.claimDue(NOW, NOW + 60_000, 10))).timers).toEqual([timer('c2', 'bob')]);
  });

  it('sets aside a timer whose key reads back different, by ctid, and returns the good ones', async () => {
    const good = timer('c1', 'bob', NOW - 5);
    await setTimers(s, timer('c1', 'zoé', NOW - 20), good);
    const first = await lossyTx(
      'dt_timers_claim',
      (row) => {
        if (row.user_id === 'zoé') row.user_id = 'zo\ufffd';
      },
      (db) => new PgTimerRepo(db).claimDue(NOW, NOW + 60_000, 10),
    );
    expect(first.timers).toEqual([good]);
    expect(first.quarantined).toEqual([
      {
        table: 'timers',
        key: { sdkAppId: APP, callId: 'c1', kind: 'ring', userId: 'zo\ufffd', dueAt: NOW - 20 },
        reason: expect.stringContaining('matches no row') as unknown,
      },
    ]);
    expect(await s.transaction((tx) => tx.timers.claimDue(NOW + 3600_000, NOW + 3700_000, 10))).toEqual({
      timers: [good],
      quarantined: [],
    });
    expect((await s.pool.query('SELECT user_id, quarantined FROM timers WHERE quarantined')).rows).toEqual([
      { user_id: 'zoé', quarantined: true },
    ]);
    expect(await s.transaction((tx) => tx.timers.nextDueAt())).toBe(NOW + 3700_000);
  });

  it('sets aside an outbox entry whose id reads back different, by seq, as failed', async () => {
    await addEntries(s, entry('msg_é'), entry('msg_2', { callId: 'call-\ufffd' }));
    const first = await lossyTx(
      'dt_outbox_claim',
      (row) => {
        if (row.id === 'msg_é') row.id = 'msg_\ufffd';
      },
      (db) => new PgOutboxRepo(db).claimDue(NOW, NOW + 60_000, 10, []),
    );
    // msg_2's call id holds U+FFFD itself: checked, addressed, claimed.
    expect(first.entries.map((e) => e.id)).toEqual(['msg_2']);
    expect(first.quarantined.map((q) => [q.table, q.key.seq, q.key.id])).toEqual([['outbox', 1, 'msg_\ufffd']]);
    expect(await s.transaction((tx) => tx.outbox.get(APP, 'msg_é'))).toMatchObject({
      entry: { status: 'failed', lastError: expect.stringMatching(/^quarantined: /) as unknown },
    });
    expect(await s.transaction((tx) => tx.outbox.resend(APP, 'msg_é', NOW))).toBe(false);
    expect(await s.transaction((tx) => tx.outbox.failedSince(APP, 0))).toEqual([]);
    expect((await s.transaction((tx) => tx.outbox.claimDue(NOW + 3600_000, NOW + 3700_000, 10, []))).entries.map((e) => e.id)).toEqual([
      'msg_2',
    ]);
  });
});
