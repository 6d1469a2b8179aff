/**
 * The storage contract: one expectation, two adapters. Every repository method is driven through
 * the same scenarios against the embedded SQLite storage and the PostgreSQL storage, so the two
 * must agree. (The `cluster` project of vitest.config.ts is another thing: it runs whole
 * integration tests in cluster mode.)
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { App, AttemptOutcome, NewOutboxEntry, OutboxEntry, Settlement, Storage, Tx } from '../app/ports.js';
import type { Call, CallRecord } from '../domain/types.js';
import { SqliteStorage, openDatabase } from './sqlite/storage.js';
import { TEST_DATABASE_URL as DATABASE_URL, randomSchema, requireDatabase } from '../testing/postgres.js';
import { PgStorage } from './postgres/storage.js';

interface Subject {
  name: string;
  setup(): Promise<void>;
  /** A storage with nothing in it (outbox seq starting at 1). */
  fresh(): Promise<Storage>;
  done(): Promise<void>;
  teardown(): Promise<void>;
}

function sqliteSubject(): Subject {
  let storage: SqliteStorage | undefined;
  return {
    name: 'SQLite',
    setup: async () => undefined,
    fresh: async () => (storage = new SqliteStorage(openDatabase(':memory:'))),
    done: async () => storage?.close(),
    teardown: async () => undefined,
  };
}

function pgSubject(): Subject {
  const schema = randomSchema();
  let storage: PgStorage | undefined;
  let unavailable: unknown;
  return {
    name: 'PostgreSQL',
    setup: async () => {
      try {
        await requireDatabase();
        storage = await PgStorage.open({ url: DATABASE_URL, schema });
      } catch (err) {
        // Reported by every test (they fail, they are not skipped).
        unavailable = err;
      }
    },
    fresh: async () => {
      if (!storage) throw unavailable;
      await storage.pool.query(
        `TRUNCATE apps, callback_config, callback_token, delivery_policy, calls, call_members, call_records, call_record_members,
           outbox, callback_attempts, timers, call_policy RESTART IDENTITY`,
      );
      return storage;
    },
    done: async () => undefined,
    teardown: async () => {
      if (!storage) return;
      await storage.close();
      await PgStorage.dropSchema(DATABASE_URL, schema);
    },
  };
}

const NOW = 1_700_000_000_000;
const APP = 1400000001;
const OTHER = 2400000002;
const LEASE = NOW + 60_000;

function makeCall(callId: string, over: Partial<Call> = {}): Call {
  return {
    sdkAppId: APP,
    callId,
    callerId: 'alice',
    robotCaller: false,
    mediaType: 'Audio',
    callType: 'SingleCall',
    roomId: 1234,
    roomIdType: 1,
    chatGroupId: '',
    userData: 'ud',
    timeoutSeconds: 30,
    startTime: NOW,
    acceptTime: 0,
    members: [
      { userId: 'alice', status: 'Calling', deviceId: 'd1' },
      { userId: 'bob', status: 'Waiting' },
    ],
    everMembers: ['alice', 'bob'],
    ...over,
  };
}

function makeRecord(callId: string, startTime: number, over: Partial<CallRecord> = {}): CallRecord {
  return {
    CallId: callId,
    Caller_Account: 'alice',
    MediaType: 'Audio',
    CallType: 'SingleCall',
    StartTime: startTime,
    AcceptTime: 0,
    EndTime: startTime + 60,
    CallResult: 'NormalEnd',
    CalleeList_Account: ['bob'],
    RoomId: '1234',
    RoomIdType: 1,
    ...over,
  };
}

function makeEntry(n: number, over: Partial<NewOutboxEntry> = {}): NewOutboxEntry {
  return {
    id: `msg_${n}`,
    sdkAppId: APP,
    callId: 'call-1',
    command: 'Call.CallbackAfterStartCall',
    url: 'http://a.test:8080/cb?SdkAppId=1400000001&CallbackCommand=x',
    body: `{"n":${n}}`,
    createdAt: NOW - 1000 + n,
    ordered: true,
    ...over,
  };
}

/** What a claim returns for an entry added with `makeEntry` as the `seq`-th row. */
function claimed(seq: number, e: NewOutboxEntry, attempts = 0, resendBase = 0): OutboxEntry {
  const { ordered: _ordered, ...rest } = e;
  return { ...rest, seq, attempts, resendBase };
}

const okAt = (startedAt: number, latencyMs = 10): AttemptOutcome => ({
  startedAt,
  httpStatus: 200,
  latencyMs,
  responseExcerpt: '{"ActionStatus":"OK","ErrorCode":0}',
  ok: true,
});
const httpFail = (startedAt: number, httpStatus = 500): AttemptOutcome => ({
  startedAt,
  httpStatus,
  latencyMs: 5,
  error: `HTTP ${httpStatus}`,
  responseExcerpt: 'nope',
  ok: false,
});
const timeout = (startedAt: number): AttemptOutcome => ({ startedAt, latencyMs: 2000.4, error: 'timeout after 2000 ms', ok: false });

const settlement = (e: OutboxEntry, outcome: AttemptOutcome, retryAt?: number): Settlement => ({
  id: e.id,
  seq: e.seq,
  attempt: e.attempts + 1,
  outcome,
  retryAt,
});

const ids = (entries: { id: string }[]) => entries.map((e) => e.id);

describe.each([sqliteSubject(), pgSubject()])('$name storage', (subject) => {
  let s: Storage;
  const tx = <T>(fn: (tx: Tx) => Promise<T>) => s.transaction(fn);
  const add = (...entries: NewOutboxEntry[]) =>
    tx(async (t) => {
      for (const e of entries) await t.outbox.add(e);
    });
  const claim = (now: number, limit = 100, skip: number[] = [], leaseUntil = now + 60_000) =>
    tx((t) => t.outbox.claimDue(now, leaseUntil, limit, skip));
  const settle = (...settlements: Settlement[]) => tx((t) => t.outbox.settle(settlements));

  beforeAll(() => subject.setup());
  afterAll(() => subject.teardown());
  beforeEach(async () => {
    s = await subject.fresh();
  });
  afterEach(() => subject.done());

  describe('apps', () => {
    it('lists upserted apps by creation, updating all but the creation time on upsert', async () => {
      const a: App = {
        sdkAppId: OTHER,
        secretKey: 'k1',
        admins: ['administrator'],
        webhookSecret: 'whsec_a',
        previousWebhookSecretUntil: 0,
        createdAt: 100,
      };
      const b: App = {
        sdkAppId: APP,
        secretKey: 'k2',
        admins: ['x', 'y'],
        webhookSecret: 'whsec_b',
        previousWebhookSecret: 'whsec_old',
        previousWebhookSecretUntil: NOW,
        createdAt: 100,
      };
      const c: App = { ...a, sdkAppId: 3, createdAt: 50 };
      expect(await s.apps.list()).toEqual([]);
      await s.apps.upsert(a);
      await s.apps.upsert(b);
      await s.apps.upsert(c);
      // Created first, then by SDKAppID among equal creation times.
      expect(await s.apps.list()).toEqual([c, b, a]);
      const rotated: App = {
        ...a,
        secretKey: 'k9',
        admins: [],
        webhookSecret: 'whsec_new',
        previousWebhookSecret: 'whsec_a',
        createdAt: 1,
      };
      await s.apps.upsert(rotated);
      const { previousWebhookSecret: _gone, ...bWithout } = b;
      await s.apps.upsert({ ...bWithout, previousWebhookSecretUntil: 0 });
      expect(await s.apps.list()).toEqual([c, { ...bWithout, previousWebhookSecretUntil: 0 }, { ...rotated, createdAt: 100 }]);
    });
  });

  describe('calls', () => {
    it('inserts, reads, updates and deletes a call with its member index', async () => {
      const c1 = makeCall('c1');
      await tx((t) => t.calls.insert(c1));
      expect(await tx((t) => t.calls.get(APP, 'c1'))).toEqual(c1);
      expect(await tx((t) => t.calls.get(APP, 'nope'))).toBeUndefined();
      expect(await tx((t) => t.calls.get(OTHER, 'c1'))).toBeUndefined();
      expect(await tx((t) => t.calls.busyUsers(APP, ['alice', 'bob', 'carol']))).toEqual(new Set(['alice', 'bob']));
      expect(await tx((t) => t.calls.busyUsers(OTHER, ['alice', 'bob']))).toEqual(new Set());
      expect(await tx((t) => t.calls.busyUsers(APP, []))).toEqual(new Set());

      const updated = makeCall('c1', {
        acceptTime: NOW + 5,
        members: [
          { userId: 'alice', status: 'Calling', deviceId: 'd1' },
          { userId: 'carol', status: 'Calling', deviceId: 'd7' },
        ],
        everMembers: ['alice', 'bob', 'carol'],
        lastCalleeOutcome: 'Reject',
      });
      await tx((t) => t.calls.update(updated));
      expect(await tx((t) => t.calls.get(APP, 'c1'))).toEqual(updated);
      expect(await tx((t) => t.calls.busyUsers(APP, ['alice', 'bob', 'carol', 'carol']))).toEqual(new Set(['alice', 'carol']));

      await tx((t) => t.calls.delete(APP, 'c1'));
      expect(await tx((t) => t.calls.get(APP, 'c1'))).toBeUndefined();
      expect(await tx((t) => t.calls.busyUsers(APP, ['alice', 'carol']))).toEqual(new Set());
      expect(await tx((t) => t.calls.liveCallIdsOf(APP, 'alice'))).toEqual([]);
    });

    it("keeps members' camera and microphone and the call's media type as last written", async () => {
      const c1 = makeCall('c1', { mediaType: 'Video' });
      await tx((t) => t.calls.insert(c1));
      const muted = makeCall('c1', {
        mediaType: 'Audio',
        acceptTime: NOW + 5,
        members: [
          { userId: 'alice', status: 'Calling', deviceId: 'd1', camera: false, microphone: true },
          { userId: 'bob', status: 'Calling', deviceId: 'd2', microphone: false },
        ],
      });
      await tx((t) => t.calls.update(muted));
      expect(await tx((t) => t.calls.get(APP, 'c1'))).toEqual(muted);
      expect(await tx((t) => t.calls.listLive())).toEqual([muted]);
      const back = makeCall('c1', { mediaType: 'Video', members: [{ userId: 'alice', status: 'Calling', deviceId: 'd1', camera: true }] });
      await tx((t) => t.calls.update(back));
      const read = await tx((t) => t.calls.get(APP, 'c1'));
      expect(read).toEqual(back);
      // A field never set stays absent: not false, not null.
      expect(read?.members[0]).not.toHaveProperty('microphone');
      await tx((t) => t.calls.insertRecord(APP, makeRecord('c1', 100, { MediaType: 'Audio' })));
      expect((await tx((t) => t.calls.getRecord(APP, 'c1')))?.MediaType).toBe('Audio');
    });

    it('refuses a second call with the same id', async () => {
      await tx((t) => t.calls.insert(makeCall('c1')));
      await expect(tx((t) => t.calls.insert(makeCall('c1', { userData: 'other' })))).rejects.toThrow();
      expect((await tx((t) => t.calls.get(APP, 'c1')))?.userData).toBe('ud');
    });

    it('leaves a robot caller out of the members, so it is never busy', async () => {
      const robot = makeCall('r1', {
        callerId: 'bot',
        robotCaller: true,
        members: [
          { userId: 'bot', status: 'Calling' },
          { userId: 'bob', status: 'Waiting' },
        ],
        everMembers: ['bot', 'bob'],
      });
      await tx((t) => t.calls.insert(robot));
      expect(await tx((t) => t.calls.get(APP, 'r1'))).toEqual(robot);
      expect(await tx((t) => t.calls.busyUsers(APP, ['bot', 'bob']))).toEqual(new Set(['bob']));
      expect(await tx((t) => t.calls.liveCallIdsOf(APP, 'bot'))).toEqual([]);
      await tx((t) => t.calls.update({ ...robot, members: [...robot.members, { userId: 'dan', status: 'Waiting' }] }));
      expect(await tx((t) => t.calls.busyUsers(APP, ['bot', 'bob', 'dan']))).toEqual(new Set(['bob', 'dan']));
    });

    it('lists the live calls of a user and of everyone', async () => {
      const c2 = makeCall('c2', {
        callerId: 'carol',
        members: [
          { userId: 'carol', status: 'Calling' },
          { userId: 'bob', status: 'Waiting' },
        ],
      });
      const c1 = makeCall('c1');
      const other = makeCall('c1', { sdkAppId: OTHER });
      await tx(async (t) => {
        await t.calls.insert(c2);
        await t.calls.insert(c1);
        await t.calls.insert(other);
      });
      expect(await tx((t) => t.calls.liveCallIdsOf(APP, 'bob'))).toEqual(['c1', 'c2']);
      expect(await tx((t) => t.calls.liveCallIdsOf(APP, 'alice'))).toEqual(['c1']);
      expect(await tx((t) => t.calls.liveCallIdsOf(OTHER, 'bob'))).toEqual(['c1']);
      expect(await tx((t) => t.calls.liveCallIdsOf(APP, 'nobody'))).toEqual([]);
      const live = await tx((t) => t.calls.listLive());
      const key = (c: Call) => `${c.sdkAppId}/${c.callId}`;
      expect(live.sort((a, b) => key(a).localeCompare(key(b)))).toEqual([c1, c2, other]);
      // Three calls of two members each, all apps, the ringing ones included.
      expect(await tx((t) => t.calls.liveCounts())).toEqual({ calls: 3, members: 6 });
    });
  });

  describe('call records', () => {
    const records = [
      makeRecord('r1', 100),
      makeRecord('r2', 200, { CallResult: 'Reject', CallType: 'MultiCall' }),
      makeRecord('r4', 300, { CallResult: 'Cancel' }),
      makeRecord('r3', 300),
      makeRecord('r5', 400, { CallType: 'MultiCall' }),
    ];

    beforeEach(async () => {
      await tx(async (t) => {
        for (const r of records) await t.calls.insertRecord(APP, r);
        await t.calls.insertRecord(OTHER, makeRecord('r1', 150));
      });
    });

    it('reads a record back, and replaces it when written again', async () => {
      expect(await tx((t) => t.calls.getRecord(APP, 'r2'))).toEqual(records[1]);
      expect(await tx((t) => t.calls.getRecord(APP, 'zz'))).toBeUndefined();
      expect(await tx((t) => t.calls.getRecord(OTHER, 'r1'))).toEqual(makeRecord('r1', 150));
      const again = makeRecord('r2', 250, { CallResult: 'NotAnswer' });
      await tx((t) => t.calls.insertRecord(APP, again));
      expect(await tx((t) => t.calls.getRecord(APP, 'r2'))).toEqual(again);
      const found = await tx((t) => t.calls.findRecords(APP, { startTime: 0, endTime: 1000, callResult: 'NotAnswer' }, 0, 10));
      expect(found).toEqual({ total: 1, records: [again] });
    });

    it('finds records in a start-time range, newest first (ties by call id), with filters and paging', async () => {
      const find = (filter: Parameters<Tx['calls']['findRecords']>[1], offset = 0, limit = 10) =>
        tx((t) => t.calls.findRecords(APP, filter, offset, limit));
      const all = await find({ startTime: 0, endTime: 1000 });
      expect(all.total).toBe(5);
      expect(all.records.map((r) => r.CallId)).toEqual(['r5', 'r3', 'r4', 'r2', 'r1']);
      expect((await find({ startTime: 200, endTime: 300 })).records.map((r) => r.CallId)).toEqual(['r3', 'r4', 'r2']);
      expect((await find({ startTime: 0, endTime: 1000, callResult: 'NormalEnd' })).records.map((r) => r.CallId)).toEqual([
        'r5',
        'r3',
        'r1',
      ]);
      expect((await find({ startTime: 0, endTime: 1000, callType: 'MultiCall' })).records.map((r) => r.CallId)).toEqual(['r5', 'r2']);
      expect(await find({ startTime: 0, endTime: 1000, callType: 'MultiCall', callResult: 'Reject' })).toEqual({
        total: 1,
        records: [records[1]],
      });
      const page = await find({ startTime: 0, endTime: 1000 }, 1, 2);
      expect(page.total).toBe(5);
      expect(page.records.map((r) => r.CallId)).toEqual(['r3', 'r4']);
      expect(await find({ startTime: 0, endTime: 1000 }, 10, 2)).toEqual({ total: 5, records: [] });
      expect(await find({ startTime: 500, endTime: 1000 })).toEqual({ total: 0, records: [] });
    });

    it("lists a user's own most recent records, newest first, in their app only", async () => {
      const recent = (userId: string, limit = 10, app = APP) => tx((t) => t.calls.recentRecordsOf(app, userId, limit));
      // bob is in every record above; carol only in those she is listed in; the OTHER app's r1 is not APP's.
      await tx(async (t) => {
        await t.calls.insertRecord(
          APP,
          makeRecord('g1', 300, { EndTime: 500, CallType: 'MultiCall', CalleeList_Account: ['alice', 'carol', 'bob'] }),
        );
        await t.calls.insertRecord(APP, makeRecord('g2', 500, { Caller_Account: 'carol', CalleeList_Account: ['carol', 'dave', 'dave'] }));
      });
      expect((await recent('bob')).map((r) => r.CallId)).toEqual(['r5', 'g1', 'r4', 'r3', 'r2', 'r1']);
      expect((await recent('bob', 2)).map((r) => r.CallId)).toEqual(['r5', 'g1']);
      expect((await recent('carol')).map((r) => r.CallId)).toEqual(['g2', 'g1']);
      expect(await recent('dave')).toEqual([
        makeRecord('g2', 500, { Caller_Account: 'carol', CalleeList_Account: ['carol', 'dave', 'dave'] }),
      ]);
      expect(await recent('nobody')).toEqual([]);
      expect((await recent('bob', 10, OTHER)).map((r) => r.CallId)).toEqual(['r1']);
      // A record written again (same call) is listed once, at its new time.
      await tx((t) => t.calls.insertRecord(APP, makeRecord('r1', 900)));
      expect((await recent('bob', 3)).map((r) => r.CallId)).toEqual(['r1', 'r5', 'g1']);
    });
  });

  describe('callback configuration', () => {
    it('gets, sets, replaces and deletes the config, token and policy of each app', async () => {
      expect(await tx((t) => t.callbackConfig.get(APP))).toBeUndefined();
      expect(await tx((t) => t.callbackConfig.getToken(APP))).toBeUndefined();
      expect(await tx((t) => t.callbackConfig.getPolicy(APP))).toBeUndefined();

      await tx(async (t) => {
        await t.callbackConfig.set(APP, { url: 'http://a.test/cb', commands: ['Call.CallbackAfterStartCall'] });
        await t.callbackConfig.set(OTHER, { url: 'http://b.test/cb', commands: [] });
        await t.callbackConfig.setToken(APP, { token: 'tok', enabled: true });
        await t.callbackConfig.setToken(OTHER, { token: 'tok2', enabled: false });
        await t.callbackConfig.setPolicy(APP, { mode: 'reference', retryScheduleMs: [1, 2] });
      });
      expect(await tx((t) => t.callbackConfig.get(APP))).toEqual({ url: 'http://a.test/cb', commands: ['Call.CallbackAfterStartCall'] });
      expect(await tx((t) => t.callbackConfig.getToken(APP))).toEqual({ token: 'tok', enabled: true });
      expect(await tx((t) => t.callbackConfig.getToken(OTHER))).toEqual({ token: 'tok2', enabled: false });
      expect(await tx((t) => t.callbackConfig.getPolicy(APP))).toEqual({ mode: 'reference', retryScheduleMs: [1, 2] });
      expect(await tx((t) => t.callbackConfig.getPolicy(OTHER))).toBeUndefined();

      await tx(async (t) => {
        await t.callbackConfig.set(APP, {
          url: 'http://a.test/v2',
          commands: ['Call.CallbackAfterEndCall', 'Call.CallbackAfterMemberChanged'],
        });
        await t.callbackConfig.setToken(APP, { token: 'tok3', enabled: false });
        await t.callbackConfig.setPolicy(APP, { ordering: false });
      });
      expect(await tx((t) => t.callbackConfig.get(APP))).toEqual({
        url: 'http://a.test/v2',
        commands: ['Call.CallbackAfterEndCall', 'Call.CallbackAfterMemberChanged'],
      });
      expect(await tx((t) => t.callbackConfig.getToken(APP))).toEqual({ token: 'tok3', enabled: false });
      expect(await tx((t) => t.callbackConfig.getPolicy(APP))).toEqual({ ordering: false });

      await tx(async (t) => {
        await t.callbackConfig.delete(APP);
        await t.callbackConfig.deleteToken(APP);
      });
      expect(await tx((t) => t.callbackConfig.get(APP))).toBeUndefined();
      expect(await tx((t) => t.callbackConfig.getToken(APP))).toBeUndefined();
      expect(await tx((t) => t.callbackConfig.get(OTHER))).toEqual({ url: 'http://b.test/cb', commands: [] });
      expect(await tx((t) => t.callbackConfig.getToken(OTHER))).toEqual({ token: 'tok2', enabled: false });
    });
  });

  describe('call policy', () => {
    it('gets and replaces the call policy of each app, none until set', async () => {
      expect(await tx((t) => t.callPolicy.get(APP))).toBeUndefined();
      await tx(async (t) => {
        await t.callPolicy.set(APP, { openGroupJoin: true });
        await t.callPolicy.set(OTHER, { openGroupJoin: false });
      });
      expect(await tx((t) => t.callPolicy.get(APP))).toEqual({ openGroupJoin: true });
      expect(await tx((t) => t.callPolicy.get(OTHER))).toEqual({ openGroupJoin: false });

      await tx((t) => t.callPolicy.set(APP, { openGroupJoin: false }));
      expect(await tx((t) => t.callPolicy.get(APP))).toEqual({ openGroupJoin: false });
      expect(await tx((t) => t.callPolicy.get(OTHER))).toEqual({ openGroupJoin: false });
    });

    it('is rolled back with the transaction that set it', async () => {
      await expect(
        tx(async (t) => {
          await t.callPolicy.set(APP, { openGroupJoin: true });
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await tx((t) => t.callPolicy.get(APP))).toBeUndefined();
    });
  });

  describe('outbox', () => {
    it('claims due entries oldest first with every field, leased until the lease runs out', async () => {
      const e1 = makeEntry(1);
      const e2 = makeEntry(2, { callId: 'call-2', command: 'Call.CallbackAfterEndCall', body: '{"quote":"\\"x\\"","é":"ü"}' });
      const later = makeEntry(3, { callId: 'call-3', createdAt: NOW + 5000 });
      await add(e1, e2, later);
      expect(await claim(NOW, 10, [], LEASE)).toEqual({ entries: [claimed(1, e1), claimed(2, e2)], limited: false, quarantined: [] });
      expect(await claim(NOW + 1)).toEqual({ entries: [], limited: false, quarantined: [] });
      // The lease ran out: claimable again (the process that held them is gone).
      expect(ids((await claim(LEASE)).entries)).toEqual(['msg_1', 'msg_2', 'msg_3']);
    });

    it('holds back later entries of an ordered call while an earlier one is in flight or waiting for a retry', async () => {
      const e1 = makeEntry(1);
      const e2 = makeEntry(2);
      const u1 = makeEntry(3, { callId: 'call-u', ordered: false });
      const u2 = makeEntry(4, { callId: 'call-u', ordered: false });
      await add(e1, e2, u1, u2);
      const first = await claim(NOW, 1);
      expect(first).toEqual({ entries: [claimed(1, e1)], limited: true, quarantined: [] });
      // msg_1 is in flight: msg_2 waits; the unordered call's entries do not.
      expect(ids((await claim(NOW, 2)).entries)).toEqual(['msg_3', 'msg_4']);
      await settle(settlement(first.entries[0]!, httpFail(NOW), NOW + 5000));
      await tx((t) => t.outbox.release(['msg_3', 'msg_4']));
      await settle(settlement(claimed(3, u1), timeout(NOW), NOW + 5000));
      // msg_1 waits for its retry: msg_2 still waits; msg_4 does not wait for msg_3.
      expect(ids((await claim(NOW + 10)).entries)).toEqual(['msg_4']);
      // Retry due: the call's run comes out in order, with the attempts made so far.
      const retry = await claim(NOW + 5000);
      expect(retry.entries).toEqual([claimed(1, e1, 1), claimed(2, e2), claimed(3, u1, 1)]);
    });

    it('claims an in-order run of a call in one claim when nothing of it is in flight', async () => {
      await add(makeEntry(1), makeEntry(2), makeEntry(3));
      expect(ids((await claim(NOW, 10)).entries)).toEqual(['msg_1', 'msg_2', 'msg_3']);
    });

    it('shares the limit between apps, skips apps it is told to, and says when it stopped at the limit', async () => {
      const [a, b, c] = [11, 22, 33];
      // All at one origin: the app is what the limit is shared between.
      const at = (app: number, n: number) => makeEntry(n, { callId: `c${n}`, sdkAppId: app, url: `http://a.test/cb?n=${n}` });
      // 5 for a, 1 for b, 3 for c, added interleaved.
      await add(at(a, 1), at(c, 2), at(a, 3), at(b, 4), at(a, 5), at(c, 6), at(a, 7), at(c, 8), at(a, 9));
      // a: ceil(6/3) = 2 (full share: limited); b: ceil(4/2) = 2, has 1; c: ceil(3/1) = 3.
      const first = await claim(NOW, 6);
      expect(first.limited).toBe(true);
      expect(ids(first.entries).sort()).toEqual(['msg_1', 'msg_2', 'msg_3', 'msg_4', 'msg_6', 'msg_8']);
      expect(first.entries.map((e) => e.seq).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 6, 8]);
      // Left: a 5, 7, 9. Skipping a leaves nothing.
      expect(await claim(NOW, 6, [a])).toEqual({ entries: [], limited: false, quarantined: [] });
      await settle(...first.entries.map((e) => settlement(e, okAt(NOW))));
      // Only a has rows: it takes the whole limit, and fills it.
      const second = await claim(NOW, 2);
      expect(second).toMatchObject({ limited: true });
      expect(ids(second.entries)).toEqual(['msg_5', 'msg_7']);
      const third = await claim(NOW, 2);
      expect(third).toMatchObject({ limited: false });
      expect(ids(third.entries)).toEqual(['msg_9']);
    });

    it("holds back a call's entry while an earlier one written for another origin is pending, whichever origin sorts first", async () => {
      // The URL changed mid-call: the later entry's origin sorts before the earlier one's.
      await add(makeEntry(1, { url: 'http://z.test/cb' }), makeEntry(2, { url: 'http://a.test/cb' }));
      expect(ids((await claim(NOW)).entries)).toEqual(['msg_1']);
      await tx((t) => t.outbox.release(['msg_1']));
      // Not in flight and due: still, msg_2 is not claimed ahead of it or beside it.
      const again = await claim(NOW, 1);
      expect(ids(again.entries)).toEqual(['msg_1']);
      await settle(settlement(again.entries[0]!, okAt(NOW)));
      expect(ids((await claim(NOW)).entries)).toEqual(['msg_2']);
    });

    it('cancels claimed entries still pending, and the pending entries of an app by command, with the reason', async () => {
      await add(
        makeEntry(1, { callId: 'a' }),
        makeEntry(2, { callId: 'b', command: 'Call.CallbackAfterMemberChanged' }),
        makeEntry(3, { callId: 'c', command: 'Call.CallbackAfterEndCall', url: 'http://b.test/cb' }),
        makeEntry(4, { callId: 'd', command: 'Call.CallbackAfterEndCall', sdkAppId: OTHER }),
        makeEntry(5, { callId: 'e' }),
      );
      const got = (await claim(NOW, 10, [OTHER])).entries;
      expect(ids(got).sort()).toEqual(['msg_1', 'msg_2', 'msg_3', 'msg_5']);
      const [e1, e2] = [got.find((e) => e.id === 'msg_1'), got.find((e) => e.id === 'msg_2')];
      await tx((t) => t.outbox.release(['msg_3', 'msg_5']));
      await settle(settlement(e1!, okAt(NOW)));
      // msg_1 was delivered meanwhile: only msg_2 is cancelled.
      await tx((t) =>
        t.outbox.cancel(
          [
            { seq: e1!.seq, reason: 'gone' },
            { seq: e2!.seq, reason: 'gone' },
          ],
          NOW + 5,
        ),
      );
      const status = async (id: string, app = APP) => (await tx((t) => t.outbox.get(app, id)))?.entry;
      expect(await status('msg_1')).toMatchObject({ status: 'delivered' });
      expect(await status('msg_2')).toMatchObject({ status: 'cancelled', lastError: 'gone', attempts: 0 });
      // Cancelled: not claimed again, not pending.
      expect(
        await tx((t) => t.outbox.cancelPending(APP, ['Call.CallbackAfterEndCall', 'Call.CallbackAfterMemberChanged'], 'off', NOW)),
      ).toBe(1);
      expect(await status('msg_3')).toMatchObject({ status: 'cancelled', lastError: 'off' });
      expect(await status('msg_4', OTHER)).toMatchObject({ status: 'pending' });
      expect(await status('msg_5')).toMatchObject({ status: 'pending' });
      expect(await tx((t) => t.outbox.cancelPending(APP, [], 'off', NOW))).toBe(0);
      expect(ids((await claim(NOW)).entries).sort()).toEqual(['msg_4', 'msg_5']);
      expect(ids((await tx((t) => t.outbox.list(APP, { status: 'cancelled' }, 0, 10))).entries)).toEqual(['msg_3', 'msg_2']);
      // A cancelled callback can be made pending again (a resend).
      expect(await tx((t) => t.outbox.resend(APP, 'msg_3', NOW + 10))).toBe(true);
      expect(ids((await claim(NOW + 10)).entries)).toEqual(['msg_3']);
    });

    it('settles attempts: delivered, failed, and pending again at the retry time', async () => {
      await add(makeEntry(1, { callId: 'a' }), makeEntry(2, { callId: 'b' }), makeEntry(3, { callId: 'c' }));
      const [d, f, r] = (await claim(NOW)).entries;
      await settle(settlement(d!, okAt(NOW, 12.6)), settlement(f!, httpFail(NOW + 1, 404)), settlement(r!, timeout(NOW + 2), NOW + 9000));

      expect(await tx((t) => t.outbox.get(APP, 'msg_1'))).toEqual({
        entry: {
          id: 'msg_1',
          sdkAppId: APP,
          callId: 'a',
          command: 'Call.CallbackAfterStartCall',
          url: makeEntry(1).url,
          body: makeEntry(1).body,
          status: 'delivered',
          attempts: 1,
          createdAt: makeEntry(1).createdAt,
          nextAttemptAt: NOW,
          deliveredAt: NOW + 13,
          lastHttpStatus: 200,
        },
        attempts: [{ attempt: 1, startedAt: NOW, httpStatus: 200, latencyMs: 13, responseExcerpt: '{"ActionStatus":"OK","ErrorCode":0}' }],
      });
      const failed = await tx((t) => t.outbox.get(APP, 'msg_2'));
      expect(failed?.entry).toMatchObject({
        status: 'failed',
        attempts: 1,
        nextAttemptAt: NOW + 1,
        lastError: 'HTTP 404',
        lastHttpStatus: 404,
      });
      expect(failed?.entry.deliveredAt).toBeUndefined();
      expect(failed?.attempts).toEqual([
        { attempt: 1, startedAt: NOW + 1, httpStatus: 404, latencyMs: 5, error: 'HTTP 404', responseExcerpt: 'nope' },
      ]);
      const retrying = await tx((t) => t.outbox.get(APP, 'msg_3'));
      expect(retrying?.entry).toMatchObject({
        status: 'pending',
        attempts: 1,
        nextAttemptAt: NOW + 9000,
        lastError: 'timeout after 2000 ms',
      });
      expect(retrying?.entry.lastHttpStatus).toBeUndefined();
      expect(retrying?.attempts).toEqual([{ attempt: 1, startedAt: NOW + 2, latencyMs: 2000, error: 'timeout after 2000 ms' }]);

      // Not due before its retry time (its lease ended with the settlement), due at it.
      expect((await claim(NOW + 8999)).entries).toEqual([]);
      const again = await claim(NOW + 9000);
      expect(again.entries).toEqual([claimed(3, makeEntry(3, { callId: 'c' }), 1)]);
      // A batch may settle the same entry twice: the later settlement wins, both attempts stay.
      await settle(settlement(again.entries[0]!, httpFail(NOW + 9000), NOW + 9500), {
        id: 'msg_3',
        seq: 3,
        attempt: 3,
        outcome: okAt(NOW + 9600),
        retryAt: undefined,
      });
      const done = await tx((t) => t.outbox.get(APP, 'msg_3'));
      expect(done?.entry).toMatchObject({ status: 'delivered', attempts: 3, deliveredAt: NOW + 9610, lastHttpStatus: 200 });
      expect(done?.entry.lastError).toBeUndefined();
      expect(done?.attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
      // Recording an attempt number again replaces it.
      await settle({ id: 'msg_3', seq: 3, attempt: 3, outcome: httpFail(NOW + 9700, 502), retryAt: undefined });
      const replaced = await tx((t) => t.outbox.get(APP, 'msg_3'));
      expect(replaced?.attempts.map((a) => [a.attempt, a.httpStatus])).toEqual([
        [1, undefined],
        [2, 500],
        [3, 502],
      ]);
      expect(replaced?.entry.status).toBe('failed');
      expect(await tx((t) => t.outbox.pendingByApp())).toEqual(new Map());
    });

    it('gives released entries back at once, unattempted', async () => {
      await add(makeEntry(1), makeEntry(2, { callId: 'x' }));
      expect(ids((await claim(NOW)).entries)).toEqual(['msg_1', 'msg_2']);
      await tx((t) => t.outbox.release(['msg_1', 'unknown']));
      expect((await claim(NOW)).entries).toEqual([claimed(1, makeEntry(1))]);
      await tx((t) => t.outbox.release([]));
      expect((await claim(NOW)).entries).toEqual([]);
    });

    it('extends the leases of still-pending claimed entries only', async () => {
      await add(makeEntry(1, { callId: 'a' }), makeEntry(2, { callId: 'b' }), makeEntry(3, { callId: 'c' }));
      const got = await claim(NOW, 10, [], NOW + 1000);
      expect(ids(got.entries)).toEqual(['msg_1', 'msg_2', 'msg_3']);
      await settle(settlement(got.entries[2]!, okAt(NOW)));
      await tx((t) => t.outbox.release(['msg_2']));
      await tx((t) => t.outbox.extendLeases([1, 2, 3, 99], NOW + 10_000));
      // msg_2 was given back: not re-leased by the extension.
      expect(ids((await claim(NOW + 1, 10, [], NOW + 20_000)).entries)).toEqual(['msg_2']);
      // msg_1 was not given up when its first lease ran out at NOW + 1000.
      expect((await claim(NOW + 5000)).entries).toEqual([]);
      expect(ids((await claim(NOW + 10_000)).entries)).toEqual(['msg_1']);
      expect((await tx((t) => t.outbox.get(APP, 'msg_3')))?.entry.status).toBe('delivered');
      await tx((t) => t.outbox.extendLeases([], NOW));
    });

    it('tells the next time a retry falls due or a claim runs out', async () => {
      expect(await tx((t) => t.outbox.nextDueAt(NOW))).toBeUndefined();
      await add(makeEntry(1, { callId: 'a', createdAt: NOW + 7000 }), makeEntry(2, { callId: 'b' }));
      expect(await tx((t) => t.outbox.nextDueAt(NOW))).toBe(NOW + 7000);
      await claim(NOW, 10, [], NOW + 3000);
      expect(await tx((t) => t.outbox.nextDueAt(NOW))).toBe(NOW + 3000);
      expect(await tx((t) => t.outbox.nextDueAt(NOW + 3000))).toBe(NOW + 7000);
      await settle(settlement(claimed(2, makeEntry(2, { callId: 'b' })), okAt(NOW)));
      expect(await tx((t) => t.outbox.nextDueAt(NOW))).toBe(NOW + 7000);
      expect(await tx((t) => t.outbox.nextDueAt(NOW + 7000))).toBeUndefined();
    });

    it('lists the delivery log of one app, newest first, with filters and paging', async () => {
      await add(
        makeEntry(1, { callId: 'a' }),
        makeEntry(2, { callId: 'b', command: 'Call.CallbackAfterEndCall' }),
        makeEntry(3, { callId: 'a', command: 'Call.CallbackAfterMemberChanged', ordered: false }),
        makeEntry(4, { callId: 'a', sdkAppId: OTHER }),
        makeEntry(5, { callId: 'c' }),
      );
      // The limit is shared between apps: OTHER's entry is left out of this claim.
      const [e1, e2] = (await claim(NOW, 2, [OTHER])).entries;
      await settle(settlement(e1!, okAt(NOW)), settlement(e2!, httpFail(NOW)));
      const list = (filter: Parameters<Tx['outbox']['list']>[1], offset = 0, limit = 10) =>
        tx((t) => t.outbox.list(APP, filter, offset, limit));

      const all = await list({});
      expect(all.total).toBe(4);
      expect(ids(all.entries)).toEqual(['msg_5', 'msg_3', 'msg_2', 'msg_1']);
      expect(all.entries[3]).toEqual({
        id: 'msg_1',
        sdkAppId: APP,
        callId: 'a',
        command: 'Call.CallbackAfterStartCall',
        url: makeEntry(1).url,
        body: makeEntry(1).body,
        status: 'delivered',
        attempts: 1,
        createdAt: makeEntry(1).createdAt,
        nextAttemptAt: NOW,
        deliveredAt: NOW + 10,
        lastHttpStatus: 200,
      });
      expect(all.entries[0]).toEqual({
        id: 'msg_5',
        sdkAppId: APP,
        callId: 'c',
        command: 'Call.CallbackAfterStartCall',
        url: makeEntry(5).url,
        body: makeEntry(5).body,
        status: 'pending',
        attempts: 0,
        createdAt: makeEntry(5).createdAt,
        nextAttemptAt: makeEntry(5).createdAt,
      });
      expect(await list({ status: 'pending' })).toMatchObject({ total: 2, entries: [{ id: 'msg_5' }, { id: 'msg_3' }] });
      expect(await list({ status: 'failed' })).toMatchObject({ total: 1, entries: [{ id: 'msg_2', lastError: 'HTTP 500' }] });
      expect(ids((await list({ command: 'Call.CallbackAfterEndCall' })).entries)).toEqual(['msg_2']);
      expect(ids((await list({ callId: 'a' })).entries)).toEqual(['msg_3', 'msg_1']);
      expect(ids((await list({ from: makeEntry(2).createdAt, to: makeEntry(3).createdAt })).entries)).toEqual(['msg_3', 'msg_2']);
      expect(ids((await list({ callId: 'a', status: 'delivered', from: 0 })).entries)).toEqual(['msg_1']);
      expect(await list({}, 1, 2)).toMatchObject({ total: 4, entries: [{ id: 'msg_3' }, { id: 'msg_2' }] });
      expect(await list({ callId: 'zz' })).toEqual({ total: 0, entries: [] });
      expect(await tx((t) => t.outbox.list(OTHER, {}, 0, 10))).toMatchObject({ total: 1, entries: [{ id: 'msg_4', sdkAppId: OTHER }] });
    });

    it('gets one callback of its app with its attempts', async () => {
      await add(makeEntry(1));
      expect(await tx((t) => t.outbox.get(APP, 'nope'))).toBeUndefined();
      expect(await tx((t) => t.outbox.get(OTHER, 'msg_1'))).toBeUndefined();
      expect(await tx((t) => t.outbox.get(APP, 'msg_1'))).toEqual({
        entry: expect.objectContaining({ id: 'msg_1', status: 'pending', attempts: 0 }),
        attempts: [],
      });
    });

    it('resends a callback with a fresh retry schedule, and lists the failed ones to resend', async () => {
      await add(
        makeEntry(1, { callId: 'a' }),
        makeEntry(2, { callId: 'b' }),
        makeEntry(3, { callId: 'c', sdkAppId: OTHER }),
        makeEntry(4, { callId: 'd' }),
      );
      const got = (await claim(NOW)).entries;
      await settle(...got.map((e) => settlement(e, httpFail(NOW))));
      // Twice for msg_2: two attempts so far.
      await tx((t) => t.outbox.resend(APP, 'msg_2', NOW));
      await settle(settlement(claimed(2, makeEntry(2, { callId: 'b' }), 1, 1), httpFail(NOW)));

      expect(await tx((t) => t.outbox.failedSince(APP, 0))).toEqual(['msg_1', 'msg_2', 'msg_4']);
      expect(await tx((t) => t.outbox.failedSince(APP, makeEntry(2).createdAt))).toEqual(['msg_2', 'msg_4']);
      expect(await tx((t) => t.outbox.failedSince(OTHER, 0))).toEqual(['msg_3']);

      expect(await tx((t) => t.outbox.resend(APP, 'msg_2', NOW + 100))).toBe(true);
      expect(await tx((t) => t.outbox.resend(APP, 'nope', NOW + 100))).toBe(false);
      expect(await tx((t) => t.outbox.resend(OTHER, 'msg_2', NOW + 100))).toBe(false);
      expect((await tx((t) => t.outbox.get(APP, 'msg_2')))?.entry).toMatchObject({
        status: 'pending',
        attempts: 2,
        nextAttemptAt: NOW + 100,
      });
      expect(await tx((t) => t.outbox.failedSince(APP, 0))).toEqual(['msg_1', 'msg_4']);
      expect((await claim(NOW + 99)).entries).toEqual([]);
      expect((await claim(NOW + 100)).entries).toEqual([claimed(2, makeEntry(2, { callId: 'b' }), 2, 2)]);
    });

    it('prunes delivered callbacks and their attempts settled before the cut-off, a batch at a time', async () => {
      const at = (n: number, createdAt: number) => makeEntry(n, { callId: `c${n}`, createdAt });
      await add(at(1, NOW - 500), at(2, NOW - 400), at(3, NOW - 300), at(4, NOW - 200), at(5, NOW + 500));
      const [e1, e2, e3, e4] = (await claim(NOW)).entries;
      await settle(
        settlement(e1!, okAt(NOW - 100)), // delivered at NOW - 90
        settlement(e2!, okAt(NOW - 100)),
        settlement(e3!, okAt(NOW + 100)), // delivered after the cut-off
        settlement(e4!, httpFail(NOW - 100)), // failed: kept
      );
      expect(await tx((t) => t.outbox.pruneDelivered(NOW, 1))).toBe(1);
      expect(await tx((t) => t.outbox.pruneDelivered(NOW, 10))).toBe(1);
      expect(await tx((t) => t.outbox.pruneDelivered(NOW, 10))).toBe(0);
      expect(await tx((t) => t.outbox.get(APP, 'msg_1'))).toBeUndefined();
      expect(await tx((t) => t.outbox.get(APP, 'msg_2'))).toBeUndefined();
      expect(ids((await tx((t) => t.outbox.list(APP, {}, 0, 10))).entries)).toEqual(['msg_5', 'msg_4', 'msg_3']);
      // An id used again after pruning starts with no attempts.
      await add(at(1, NOW));
      expect((await tx((t) => t.outbox.get(APP, 'msg_1')))?.attempts).toEqual([]);
    });

    it('counts pending callbacks per app', async () => {
      expect(await tx((t) => t.outbox.pendingByApp())).toEqual(new Map());
      await add(makeEntry(1), makeEntry(2, { sdkAppId: OTHER }), makeEntry(3), makeEntry(4, { callId: 'z' }));
      const got = await claim(NOW, 1);
      await settle(settlement(got.entries[0]!, okAt(NOW)));
      expect(await tx((t) => t.outbox.pendingByApp())).toEqual(
        new Map([
          [APP, 2],
          [OTHER, 1],
        ]),
      );
    });
  });

  describe('timers', () => {
    const timer = (callId: string, dueAt: number, kind: 'ring' | 'offline' = 'ring', userId = 'bob') => ({
      sdkAppId: APP,
      callId,
      kind,
      userId,
      dueAt,
    });
    const set = (...timers: ReturnType<typeof timer>[]) =>
      tx(async (t) => {
        for (const x of timers) await t.timers.set(x.sdkAppId, x.callId, x.kind, x.userId, x.dueAt);
      });

    it('claims due timers once per lease, earliest first, and takes each arming once', async () => {
      expect(await tx((t) => t.timers.nextDueAt())).toBeUndefined();
      expect(await tx((t) => t.timers.pendingCount())).toBe(0);
      const t1 = timer('c1', NOW + 1000);
      const t2 = timer('c1', NOW + 2000, 'offline');
      const t3 = timer('c1', NOW + 1500, 'ring', 'carol');
      const t4 = timer('c2', NOW + 5000);
      await set(t2, t4, t1, t3);
      expect(await tx((t) => t.timers.pendingCount())).toBe(4);
      expect(await tx((t) => t.timers.nextDueAt())).toBe(NOW + 1000);
      expect(await tx((t) => t.timers.claimDue(NOW + 2500, NOW + 3500, 2))).toEqual({ timers: [t1, t3], quarantined: [] });
      expect(await tx((t) => t.timers.claimDue(NOW + 2500, NOW + 3500, 10))).toEqual({ timers: [t2], quarantined: [] });
      expect(await tx((t) => t.timers.claimDue(NOW + 2500, NOW + 3500, 10))).toEqual({ timers: [], quarantined: [] });
      // Leased until NOW + 3500, then t4 at NOW + 5000.
      expect(await tx((t) => t.timers.nextDueAt())).toBe(NOW + 3500);

      expect(await tx((t) => t.timers.take(t1))).toBe(true);
      expect(await tx((t) => t.timers.take(t1))).toBe(false);
      // Re-armed meanwhile: the claimed arming is not taken, the new one fires later.
      await set({ ...t3, dueAt: NOW + 4000 });
      expect(await tx((t) => t.timers.take(t3))).toBe(false);
      await tx((t) => t.timers.cancel(APP, 'c1', 'offline', 'bob'));
      expect(await tx((t) => t.timers.take(t2))).toBe(false);
      expect(await tx((t) => t.timers.claimDue(NOW + 3000, NOW + 60_000, 10))).toEqual({ timers: [], quarantined: [] });
      expect(await tx((t) => t.timers.nextDueAt())).toBe(NOW + 4000);
      expect(await tx((t) => t.timers.claimDue(NOW + 9000, NOW + 60_000, 10))).toEqual({
        timers: [{ ...t3, dueAt: NOW + 4000 }, t4],
        quarantined: [],
      });
      // A lease that runs out makes the timer claimable again.
      expect(await tx((t) => t.timers.claimDue(NOW + 60_000, NOW + 70_000, 10))).toEqual({
        timers: [{ ...t3, dueAt: NOW + 4000 }, t4],
        quarantined: [],
      });
      expect(await tx((t) => t.timers.take(t4))).toBe(true);
      await tx((t) => t.timers.cancel(APP, 'nope', 'ring', 'bob'));
      expect(await tx((t) => t.timers.nextDueAt())).toBe(NOW + 70_000);
    });

    it('re-arming a claimed timer ends its lease', async () => {
      const t1 = timer('c1', NOW);
      await set(t1);
      expect(await tx((t) => t.timers.claimDue(NOW, NOW + 60_000, 10))).toEqual({ timers: [t1], quarantined: [] });
      await set({ ...t1, dueAt: NOW + 10 });
      expect(await tx((t) => t.timers.claimDue(NOW + 10, NOW + 60_000, 10))).toEqual({
        timers: [{ ...t1, dueAt: NOW + 10 }],
        quarantined: [],
      });
    });
  });

  describe('transactions', () => {
    it('roll back everything when the function throws', async () => {
      await expect(
        tx(async (t) => {
          await t.calls.insert(makeCall('c1'));
          await t.outbox.add(makeEntry(1));
          await t.timers.set(APP, 'c1', 'ring', 'bob', NOW);
          await t.callbackConfig.setToken(APP, { token: 't', enabled: true });
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await tx((t) => t.calls.get(APP, 'c1'))).toBeUndefined();
      expect(await tx((t) => t.calls.busyUsers(APP, ['bob']))).toEqual(new Set());
      expect(await tx((t) => t.outbox.get(APP, 'msg_1'))).toBeUndefined();
      expect(await tx((t) => t.timers.nextDueAt())).toBeUndefined();
      expect(await tx((t) => t.callbackConfig.getToken(APP))).toBeUndefined();
      // And the storage goes on working.
      expect(await tx(async (t) => (await t.calls.insert(makeCall('c1')), 'ok'))).toBe('ok');
    });

    it('returns what the function resolves to', async () => {
      expect(await tx(async () => 42)).toBe(42);
    });

    it('read back, within the transaction, every write made before, in the order made', async () => {
      const c1 = makeCall('c1');
      const moved = makeCall('c1', { members: [{ userId: 'alice', status: 'Calling' }], everMembers: ['alice', 'bob'], userData: 'v2' });
      await tx(async (t) => {
        await t.calls.insert(c1);
        expect(await t.calls.busyUsers(APP, ['bob', 'carol'])).toEqual(new Set(['bob']));
        await t.calls.update(moved);
        expect(await t.calls.get(APP, 'c1')).toEqual(moved);
        expect(await t.calls.liveCallIdsOf(APP, 'bob')).toEqual([]);
        // Updated, deleted and inserted again, with no read in between.
        await t.calls.update({ ...moved, userData: 'v3' });
        await t.calls.delete(APP, 'c1');
        await t.calls.insert(c1);
        await t.calls.update({ ...c1, userData: 'v4' });
        // A timer armed, cancelled and armed again; another armed and then cancelled.
        await t.timers.set(APP, 'c1', 'ring', 'bob', NOW + 10);
        await t.timers.cancel(APP, 'c1', 'ring', 'bob');
        await t.timers.set(APP, 'c1', 'ring', 'bob', NOW + 20);
        await t.timers.set(APP, 'c1', 'offline', 'alice', NOW + 5);
        await t.timers.cancel(APP, 'c1', 'offline', 'alice');
        expect(await t.timers.nextDueAt()).toBe(NOW + 20);
        await t.calls.insertRecord(APP, makeRecord('c1', 100));
        await t.calls.insertRecord(APP, makeRecord('c1', 200));
        expect(await t.calls.getRecord(APP, 'c1')).toEqual(makeRecord('c1', 200));
        for (let n = 1; n <= 5; n++) await t.outbox.add(makeEntry(n, { callId: `call-${n % 2}` }));
        // Settings set in the transaction are read back too, after a call read that read them before.
        expect(await t.callbackConfig.get(APP)).toBeUndefined();
        await t.callbackConfig.set(APP, { url: 'http://a.test/cb', commands: ['Call.CallbackAfterEndCall'] });
        await t.callbackConfig.setPolicy(APP, { ordering: false });
        expect(await t.calls.get(APP, 'c1')).toEqual({ ...c1, userData: 'v4' });
        expect(await t.callbackConfig.get(APP)).toEqual({ url: 'http://a.test/cb', commands: ['Call.CallbackAfterEndCall'] });
        expect(await t.callbackConfig.getPolicy(APP)).toEqual({ ordering: false });
        await t.callbackConfig.delete(APP);
        expect(await t.callbackConfig.get(APP)).toBeUndefined();
      });
      expect(await tx((t) => t.calls.get(APP, 'c1'))).toEqual({ ...c1, userData: 'v4' });
      expect(await tx((t) => t.calls.busyUsers(APP, ['alice', 'bob']))).toEqual(new Set(['alice', 'bob']));
      expect(await tx((t) => t.timers.claimDue(NOW + 100, NOW + 200, 10))).toEqual({
        timers: [{ sdkAppId: APP, callId: 'c1', kind: 'ring', userId: 'bob', dueAt: NOW + 20 }],
        quarantined: [],
      });
      expect(await tx((t) => t.calls.getRecord(APP, 'c1'))).toEqual(makeRecord('c1', 200));
      expect((await claim(NOW)).entries.map((e) => [e.seq, e.id])).toEqual([1, 2, 3, 4, 5].map((n) => [n, `msg_${n}`]));
      expect(await tx((t) => t.callbackConfig.getPolicy(APP))).toEqual({ ordering: false });
    });

    it('fail as a whole on a write that fails, whenever the store makes it', async () => {
      await tx((t) => t.calls.insert(makeCall('c1')));
      await expect(
        tx(async (t) => {
          await t.outbox.add(makeEntry(1));
          await t.calls.insert(makeCall('c1', { userData: 'again' }));
          await t.timers.set(APP, 'c1', 'ring', 'bob', NOW);
        }),
      ).rejects.toThrow();
      expect((await tx((t) => t.calls.get(APP, 'c1')))?.userData).toBe('ud');
      expect(await tx((t) => t.outbox.get(APP, 'msg_1'))).toBeUndefined();
      expect(await tx((t) => t.timers.nextDueAt())).toBeUndefined();
    });
  });
});
