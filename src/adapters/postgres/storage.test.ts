/**
 * PostgreSQL-only behaviour: migrations, connection settings, and what several processes
 * sharing one database (here: several PgStorage instances on one schema) must never get wrong.
 */
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { NewOutboxEntry, Storage } from '../../app/ports.js';
import type { Call } from '../../domain/types.js';
import { TEST_DATABASE_URL as DATABASE_URL, randomSchema, requireDatabase } from '../../testing/postgres.js';
import { RECENT_RECORDS_SQL } from './calls.js';
import { MIGRATIONS } from './schema.js';
import { PgStorage } from './storage.js';

const SCHEMA = randomSchema();
const NOW = 1_700_000_000_000;
const APP = 1400000001;

const opened: PgStorage[] = [];
const extraSchemas: string[] = [];

/** Another "process" on the test schema. */
async function open(opts: { poolSize?: number; schema?: string } = {}): Promise<PgStorage> {
  const storage = await PgStorage.open({ url: DATABASE_URL, schema: opts.schema ?? SCHEMA, poolSize: opts.poolSize ?? 10 });
  opened.push(storage);
  return storage;
}

let admin: pg.Client;
let unavailable: unknown;

beforeAll(async () => {
  try {
    await requireDatabase();
    admin = new pg.Client({ connectionString: DATABASE_URL });
    await admin.connect();
  } catch (err) {
    unavailable = err;
  }
});

// Every test fails (none is skipped) when the database is not there.
beforeEach(() => {
  if (unavailable) throw unavailable;
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
  if (!unavailable) await admin.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(SCHEMA)} CASCADE`);
});

afterAll(async () => {
  if (unavailable) return;
  for (const schema of [SCHEMA, ...extraSchemas]) await PgStorage.dropSchema(DATABASE_URL, schema);
  await admin.end();
});

function makeEntry(n: number, over: Partial<NewOutboxEntry> = {}): NewOutboxEntry {
  return {
    id: `msg_${n}`,
    sdkAppId: APP,
    callId: 'call-1',
    command: 'Call.CallbackAfterMemberChanged',
    url: 'http://a.test/cb',
    body: `{"n":${n}}`,
    createdAt: NOW - 1000,
    ordered: true,
    ...over,
  };
}

function makeCall(callId: string, members: string[], over: Partial<Call> = {}): Call {
  return {
    sdkAppId: APP,
    callId,
    callerId: members[0]!,
    robotCaller: false,
    mediaType: 'Video',
    callType: members.length > 2 ? 'MultiCall' : 'SingleCall',
    roomId: 'room',
    roomIdType: 2,
    chatGroupId: '',
    userData: '',
    timeoutSeconds: 30,
    startTime: NOW,
    acceptTime: 0,
    members: members.map((userId, i) => ({ userId, status: i === 0 ? 'Calling' : 'Waiting' })),
    everMembers: members,
    ...over,
  };
}

/**
 * Resolves once the backend `pid` waits for a lock (seen in pg_locks from another session);
 * throws if the work it runs (`done`) ends first, that is without ever waiting.
 */
async function blockedOnLock(pid: number, done: () => boolean): Promise<void> {
  for (;;) {
    const { rows } = await admin.query('SELECT 1 FROM pg_locks WHERE pid = $1 AND NOT granted', [pid]);
    if (rows.length > 0) return;
    if (done()) throw new Error(`backend ${pid} finished without waiting for a lock`);
  }
}

/** The backend pid of a storage opened with a pool of one connection. */
async function pidOf(storage: PgStorage): Promise<number> {
  const { rows } = await storage.pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  return rows[0]!.pid;
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('opening', () => {
  it('migrates once when two processes open one new schema at the same time, and reopening is a no-op', async () => {
    const [a, b] = await Promise.all([open(), open()]);
    const versions = async () =>
      (await a.pool.query<{ version: number; applied_at: number }>('SELECT version, applied_at FROM dialtone_migrations ORDER BY version'))
        .rows;
    const applied = await versions();
    expect(applied.map((r) => r.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    expect(typeof applied[0]!.applied_at).toBe('number');
    // Both work on the same tables.
    await a.transaction((tx) => tx.timers.set(APP, 'c1', 'ring', 'bob', NOW));
    expect(await b.transaction((tx) => tx.timers.nextDueAt())).toBe(NOW);

    const c = await open();
    expect(await versions()).toEqual(applied);
    expect(await c.transaction((tx) => tx.timers.nextDueAt())).toBe(NOW);
  });

  it('keeps its tables in the schema it was given, whatever the name', async () => {
    const odd = `${randomSchema()} "odd" \\ name`;
    extraSchemas.push(odd);
    const s = await open({ schema: odd });
    await s.transaction((tx) => tx.timers.set(APP, 'c1', 'ring', 'bob', NOW));
    const { rows } = await admin.query<{ n: string }>(`SELECT COUNT(*) AS n FROM ${pg.escapeIdentifier(odd)}.timers`);
    expect(rows[0]!.n).toBe('1');
    const { rows: path } = await s.pool.query<{ schema: string }>('SELECT current_schema() AS schema');
    expect(path[0]!.schema).toBe(odd);
    await PgStorage.dropSchema(DATABASE_URL, odd);
    const { rows: left } = await admin.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [odd]);
    expect(left).toEqual([]);
  });

  it('returns BIGINT and NUMERIC as numbers on its own pool without changing the global parsers', async () => {
    const s = await open();
    const { rows } = await s.pool.query(
      'SELECT 9007199254740991::bigint AS big, 2.5::numeric AS num, COUNT(*) AS n FROM dialtone_migrations',
    );
    expect(rows[0]).toEqual({ big: Number.MAX_SAFE_INTEGER, num: 2.5, n: MIGRATIONS.length });
    const { rows: global } = await admin.query('SELECT 7::bigint AS big');
    expect(global[0]).toEqual({ big: '7' });
  });

  it('fails to open, naming the cause, when the database cannot be reached', async () => {
    await expect(PgStorage.open({ url: 'postgres://postgres@127.0.0.1:1/test' })).rejects.toThrow(/ECONNREFUSED/);
  });

  it('recoverClaims leaves the claims of other processes alone', async () => {
    const a = await open();
    await a.transaction((tx) => tx.outbox.add(makeEntry(1)));
    await a.transaction((tx) => tx.timers.set(APP, 'c1', 'ring', 'bob', NOW));
    expect((await a.transaction((tx) => tx.outbox.claimDue(NOW, NOW + 60_000, 10, []))).entries).toHaveLength(1);
    expect((await a.transaction((tx) => tx.timers.claimDue(NOW, NOW + 60_000, 10))).timers).toHaveLength(1);
    const b = await open();
    await b.recoverClaims();
    expect((await b.transaction((tx) => tx.outbox.claimDue(NOW, NOW + 60_000, 10, []))).entries).toEqual([]);
    expect(await b.transaction((tx) => tx.timers.claimDue(NOW, NOW + 60_000, 10))).toEqual({ timers: [], quarantined: [] });
  });

  it('closes once, however often asked', async () => {
    const s = await open();
    await s.close();
    await s.close();
    await expect(s.transaction(async () => 1)).rejects.toThrow('storage is closed');
  });
});

describe('transactions', () => {
  const conflict = (code: string) => Object.assign(new Error(`conflict ${code}`), { code });
  const count = async (s: PgStorage) => (await s.transaction((tx) => tx.outbox.pendingByApp())).get(APP) ?? 0;

  it('roll back on throw and give the connection back', async () => {
    const s = await open({ poolSize: 2 });
    for (let i = 0; i < 5; i++) {
      await expect(
        s.transaction(async (tx) => {
          await tx.outbox.add(makeEntry(i));
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
    }
    expect(await count(s)).toBe(0);
    expect(s.pool.idleCount).toBe(s.pool.totalCount);
  });

  it('count their BEGIN and COMMIT apart from the statements of the work (the ROLLBACK of a failed one in neither)', async () => {
    const s = await open();
    const before = s.stats();
    await count(s);
    await expect(
      s.transaction(async (tx) => {
        await tx.outbox.pendingByApp();
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const after = s.stats();
    expect(after.beginCommits! - before.beginCommits!).toBe(3);
    expect(after.statements! - before.statements! - (after.beginCommits! - before.beginCommits!)).toBe(2);
    // BEGIN rides with the first statement: [BEGIN, read], [COMMIT], [BEGIN, read].
    expect(after.roundTrips! - before.roundTrips!).toBe(3);
  });

  it.each(['40P01', '40001'])('run fn again after a %s error, keeping only the last run', async (code) => {
    const s = await open();
    let calls = 0;
    const result = await s.transaction(async (tx) => {
      calls++;
      await tx.outbox.add(makeEntry(1));
      if (calls < 3) throw conflict(code);
      return 'done';
    });
    expect(result).toBe('done');
    expect(calls).toBe(3);
    expect(await count(s)).toBe(1);
  });

  it('give up after 5 retries, and never retry other errors', async () => {
    const s = await open();
    let calls = 0;
    await expect(
      s.transaction(async () => {
        calls++;
        throw conflict('40001');
      }),
    ).rejects.toThrow('conflict 40001');
    expect(calls).toBe(6);
    calls = 0;
    await expect(
      s.transaction(async () => {
        calls++;
        throw conflict('23505');
      }),
    ).rejects.toThrow('conflict 23505');
    expect(calls).toBe(1);
    expect(s.pool.idleCount).toBe(s.pool.totalCount);
  });

  it('fail, without crashing the process, when the connection is lost mid-transaction; the pool goes on', async () => {
    const s = await open({ poolSize: 1 });
    const pid = await pidOf(s);
    await expect(
      s.transaction(async (tx) => {
        await tx.outbox.add(makeEntry(1));
        // Killed between two queries, while the client is checked out.
        await admin.query('SELECT pg_terminate_backend($1)', [pid]);
        await tx.outbox.add(makeEntry(2));
      }),
    ).rejects.toThrow();
    expect(await count(s)).toBe(0);
    expect(await pidOf(s)).not.toBe(pid);
  });

  it('survive a real deadlock between two processes: the victim runs again', async () => {
    const [a, b] = [await open(), await open()];
    await a.transaction(async (tx) => {
      await tx.calls.insert(makeCall('x', ['u1', 'u2']));
      await tx.calls.insert(makeCall('y', ['u3', 'u4']));
    });
    const aHasX = deferred();
    const bHasY = deferred();
    let runsA = 0;
    let runsB = 0;
    const bump = async (s: Storage, first: string, second: string, runs: () => number, mine: () => void, theirs: Promise<void>) =>
      s.transaction(async (tx) => {
        const one = (await tx.calls.get(APP, first))!;
        if (runs() === 1) {
          mine();
          await theirs;
        }
        const two = (await tx.calls.get(APP, second))!;
        await tx.calls.update({ ...one, userData: `${one.userData}+` });
        await tx.calls.update({ ...two, userData: `${two.userData}+` });
      });
    await Promise.all([
      bump(a, 'x', 'y', () => ++runsA, aHasX.resolve, bHasY.promise),
      bump(b, 'y', 'x', () => ++runsB, bHasY.resolve, aHasX.promise),
    ]);
    // One of them was chosen as the deadlock victim and ran a second time.
    expect(runsA + runsB).toBe(3);
    const x = await a.transaction((tx) => tx.calls.get(APP, 'x'));
    const y = await a.transaction((tx) => tx.calls.get(APP, 'y'));
    expect([x?.userData, y?.userData]).toEqual(['++', '++']);
  });
});

describe('locks between processes', () => {
  it('calls.get holds the call: a second process reading it waits for the first to commit, then sees its change', async () => {
    const a = await open();
    const b = await open({ poolSize: 1 });
    const bPid = await pidOf(b);
    await a.transaction((tx) => tx.calls.insert(makeCall('c1', ['alice', 'bob'])));
    const aHolds = deferred();
    const commitA = deferred();
    const txA = a.transaction(async (tx) => {
      const call = (await tx.calls.get(APP, 'c1'))!;
      await tx.calls.update({ ...call, acceptTime: NOW + 1 });
      aHolds.resolve();
      await commitA.promise;
    });
    await aHolds.promise;
    let bDone = false;
    const txB = b
      .transaction((tx) => tx.calls.get(APP, 'c1'))
      .finally(() => {
        bDone = true;
      });
    try {
      await blockedOnLock(bPid, () => bDone);
      expect(bDone).toBe(false);
    } finally {
      commitA.resolve();
    }
    await txA;
    expect((await txB)?.acceptTime).toBe(NOW + 1);
  });

  it('busyUsers: a second call start ringing the same user waits for the first to commit, then sees the user busy', async () => {
    const a = await open();
    const b = await open({ poolSize: 1 });
    const bPid = await pidOf(b);
    const aChecked = deferred();
    const commitA = deferred();
    const order: string[] = [];
    const txA = a
      .transaction(async (tx) => {
        expect(await tx.calls.busyUsers(APP, ['bob', 'alice'])).toEqual(new Set());
        await tx.calls.insert(makeCall('c1', ['alice', 'bob']));
        aChecked.resolve();
        await commitA.promise;
      })
      .then(() => order.push('A committed'));
    await aChecked.promise;
    const txB = b
      .transaction((tx) => tx.calls.busyUsers(APP, ['carol', 'bob']))
      .then((busy) => {
        order.push('B read');
        return busy;
      });
    try {
      await blockedOnLock(bPid, () => order.length > 0);
      expect(order).toEqual([]);
    } finally {
      commitA.resolve();
    }
    expect(await txB).toEqual(new Set(['bob']));
    await txA;
    expect(order).toEqual(['A committed', 'B read']);
  });

  it('busyUsers of disjoint users do not wait for each other', async () => {
    const a = await open();
    const b = await open();
    const commitA = deferred();
    const aChecked = deferred();
    const txA = a.transaction(async (tx) => {
      await tx.calls.busyUsers(APP, ['alice', 'bob']);
      aChecked.resolve();
      await commitA.promise;
    });
    await aChecked.promise;
    try {
      // Would hang (and time out) if it waited for A.
      expect(await b.transaction((tx) => tx.calls.busyUsers(APP, ['carol', 'dan']))).toEqual(new Set());
    } finally {
      commitA.resolve();
    }
    await txA;
  });
});

describe('claims between processes', () => {
  it("keeps a call's callbacks in order: another process gets none of the call while earlier ones are claimed", async () => {
    const p1 = await open();
    const p2 = await open();
    await p1.transaction(async (tx) => {
      for (let n = 1; n <= 4; n++) await tx.outbox.add(makeEntry(n));
    });
    const first = await p1.transaction((tx) => tx.outbox.claimDue(NOW, NOW + 60_000, 2, []));
    expect(first.entries.map((e) => e.id)).toEqual(['msg_1', 'msg_2']);
    expect(first.limited).toBe(true);
    expect(await p2.transaction((tx) => tx.outbox.claimDue(NOW, NOW + 60_000, 10, []))).toEqual({
      entries: [],
      limited: false,
      quarantined: [],
    });
    await p1.transaction((tx) =>
      tx.outbox.settle(
        first.entries.map((e) => ({
          id: e.id,
          seq: e.seq,
          attempt: 1,
          outcome: { startedAt: NOW, latencyMs: 1, httpStatus: 200, ok: true },
          retryAt: undefined,
        })),
      ),
    );
    const second = await p2.transaction((tx) => tx.outbox.claimDue(NOW, NOW + 60_000, 10, []));
    expect(second.entries.map((e) => e.id)).toEqual(['msg_3', 'msg_4']);
  });

  it('skips, without waiting, an app another process is claiming, so a call in flight there is not overtaken', async () => {
    const p1 = await open();
    const p2 = await open();
    const OTHER = APP + 1;
    await p1.transaction(async (tx) => {
      await tx.outbox.add(makeEntry(1, { callId: 'x' }));
      await tx.outbox.add(makeEntry(2, { callId: 'x' }));
      await tx.outbox.add(makeEntry(3, { callId: 'y', sdkAppId: OTHER }));
    });
    const claimedA = deferred();
    const commitA = deferred();
    const tx1 = p1.transaction(async (tx) => {
      const got = await tx.outbox.claimDue(NOW, NOW + 60_000, 1, [OTHER]);
      claimedA.resolve();
      await commitA.promise;
      return got;
    });
    await claimedA.promise;
    // p1's claim of msg_1 is not committed yet. APP is p1's until then: p2 gets OTHER's only, at
    // once, and not msg_2, which would overtake msg_1.
    try {
      const got2 = await p2.transaction((tx) => tx.outbox.claimDue(NOW, NOW + 60_000, 10, []));
      expect(got2).toEqual({ entries: [expect.objectContaining({ id: 'msg_3' })], limited: false, quarantined: [] });
    } finally {
      commitA.resolve();
    }
    expect((await tx1).entries.map((e) => e.id)).toEqual(['msg_1']);
    // Committed: msg_1 in flight holds msg_2 back.
    expect((await p2.transaction((tx) => tx.outbox.claimDue(NOW, NOW + 60_000, 10, []))).entries).toEqual([]);
  });

  it('claims every callback exactly once across two processes claiming at the same time', async () => {
    const processes = [await open(), await open()];
    const origins = ['http://a.test', 'http://b.test', 'http://c.test:8080', 'https://d.test', 'http://e.test'];
    await processes[0]!.transaction(async (tx) => {
      for (let n = 0; n < 500; n++) {
        await tx.outbox.add(makeEntry(n, { callId: `call-${n}`, url: `${origins[n % origins.length]}/cb?n=${n}` }));
      }
    });
    const claimedBy = new Map<string, number>();
    let duplicates = 0;
    const worker = async (s: PgStorage, who: number): Promise<number> => {
      let mine = 0;
      for (;;) {
        const { entries } = await s.transaction((tx) => tx.outbox.claimDue(NOW, NOW + 60_000, 37, []));
        for (const e of entries) {
          if (claimedBy.has(e.id)) duplicates++;
          claimedBy.set(e.id, who);
        }
        mine += entries.length;
        if (entries.length > 0) {
          await s.transaction((tx) =>
            tx.outbox.settle(
              entries.map((e) => ({
                id: e.id,
                seq: e.seq,
                attempt: 1,
                outcome: { startedAt: NOW, latencyMs: 1, httpStatus: 200, ok: true },
                retryAt: undefined,
              })),
            ),
          );
          continue;
        }
        // Nothing claimable now: done once nothing is pending (the other process may hold the rest).
        if ((await s.transaction((tx) => tx.outbox.pendingByApp())).size === 0) return mine;
      }
    };
    const counts = await Promise.all([
      worker(processes[0]!, 0),
      worker(processes[0]!, 1),
      worker(processes[1]!, 2),
      worker(processes[1]!, 3),
    ]);
    expect(duplicates).toBe(0);
    expect(claimedBy.size).toBe(500);
    expect(counts.reduce((x, y) => x + y, 0)).toBe(500);
    const delivered = await processes[1]!.transaction((tx) => tx.outbox.list(APP, { status: 'delivered' }, 0, 1));
    expect(delivered.total).toBe(500);
  });

  it('fires each due timer in exactly one of two processes claiming at the same time', async () => {
    const processes = [await open(), await open()];
    await processes[0]!.transaction(async (tx) => {
      for (let n = 0; n < 300; n++) await tx.timers.set(APP, `call-${n}`, n % 2 ? 'ring' : 'offline', `user-${n % 7}`, NOW - n);
      // Not due yet: never claimed.
      await tx.timers.set(APP, 'later', 'ring', 'bob', NOW + 1);
    });
    const claimed: string[] = [];
    const worker = async (s: PgStorage) => {
      for (;;) {
        const { timers: due } = await s.transaction((tx) => tx.timers.claimDue(NOW, NOW + 60_000, 7));
        if (due.length === 0) return;
        for (const t of due) claimed.push(`${t.callId}/${t.kind}/${t.userId}`);
        // Fired: taken off, as the timer worker does after firing.
        const taken = await s.transaction(async (tx) => {
          let n = 0;
          for (const t of due) if (await tx.timers.take(t)) n++;
          return n;
        });
        expect(taken).toBe(due.length);
      }
    };
    await Promise.all([worker(processes[0]!), worker(processes[0]!), worker(processes[1]!), worker(processes[1]!)]);
    expect(claimed).toHaveLength(300);
    expect(new Set(claimed).size).toBe(300);
    expect(await processes[1]!.transaction((tx) => tx.timers.nextDueAt())).toBe(NOW + 1);
  });
});

describe('text PostgreSQL cannot store', () => {
  it('records a response excerpt or error with NUL characters, as U+FFFD', async () => {
    const s = await open();
    await s.transaction((tx) => tx.outbox.add(makeEntry(1)));
    const [e] = (await s.transaction((tx) => tx.outbox.claimDue(NOW, NOW + 60_000, 10, []))).entries;
    await s.transaction((tx) =>
      tx.outbox.settle([
        {
          id: e!.id,
          seq: e!.seq,
          attempt: 1,
          outcome: { startedAt: NOW, latencyMs: 1, httpStatus: 500, error: 'bad\u0000', responseExcerpt: 'a\u0000b', ok: false },
          retryAt: undefined,
        },
      ]),
    );
    const got = await s.transaction((tx) => tx.outbox.get(APP, 'msg_1'));
    expect(got?.entry.lastError).toBe('bad\uFFFD');
    expect(got?.attempts[0]).toMatchObject({ error: 'bad\uFFFD', responseExcerpt: 'a\uFFFDb' });
  });
});

describe("a user's recent records", () => {
  it('are indexed at migration for records already there, and read by the per-user index without a sort', async () => {
    // A schema one migration short of the last, with records in it, then opened (migrated).
    await admin.query(`CREATE SCHEMA ${pg.escapeIdentifier(SCHEMA)}`);
    await admin.query(`SET search_path TO ${pg.escapeIdentifier(SCHEMA)}`);
    await admin.query('CREATE TABLE dialtone_migrations (version INT PRIMARY KEY, applied_at BIGINT NOT NULL)');
    for (const [i, m] of MIGRATIONS.slice(0, -1).entries()) {
      await admin.query(m);
      await admin.query('INSERT INTO dialtone_migrations (version, applied_at) VALUES ($1, 0)', [i + 1]);
    }
    // Many users' records, so the planner has a table worth an index.
    await admin.query(`INSERT INTO call_records (sdkappid, call_id, start_time, end_time, call_result, call_type, data)
        SELECT ${APP}, 'c' || n, n, n + 60, 'NormalEnd', 'SingleCall',
          json_build_object('CallId', 'c' || n, 'CalleeList_Account', json_build_array('u' || (n % 500), 'u' || ((n + 1) % 500)))::text
        FROM generate_series(1, 5000) AS n`);
    await admin.query('RESET search_path');
    const storage = await open();
    const { rows } = await storage.pool.query<{ n: number }>('SELECT COUNT(*) AS n FROM call_record_members');
    expect(rows[0]!.n).toBe(10000);
    const recent = await storage.transaction((tx) => tx.calls.recentRecordsOf(APP, 'u7', 3));
    expect(recent.map((r) => r.CallId)).toEqual(['c4507', 'c4506', 'c4007']);
    await storage.pool.query('ANALYZE call_record_members; ANALYZE call_records');
    const plan = await storage.pool.query<{ 'QUERY PLAN': string }>({ text: `EXPLAIN ${RECENT_RECORDS_SQL}`, values: [APP, 'u7', 20] });
    const text = plan.rows.map((r) => r['QUERY PLAN']).join('\n');
    expect(text).toContain('call_record_members_recent');
    expect(text).not.toMatch(/Seq Scan|Sort/);
  });
});
