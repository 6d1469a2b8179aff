/**
 * SPEC §1: every string the entry points accept is read back from either store byte for byte.
 * Strings are drawn from all of Unicode (astral planes, lone surrogates, controls, white space);
 * whatever the client protocol's `calls` schema accepts is written as call members, a record,
 * ring timers and an outbox body, and must come back unchanged. A string that could not (one with
 * a lone surrogate, which UTF-8 turns into U+FFFD) must therefore never be accepted.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Storage } from '../app/ports.js';
import type { Call, CallRecord } from '../domain/types.js';
import { opArgs } from '../transport/ws/frames.js';
import { SqliteStorage, openDatabase } from './sqlite/storage.js';
import { PgStorage } from './postgres/storage.js';
import { TEST_DATABASE_URL, randomSchema, requireDatabase } from '../testing/postgres.js';
import { anyString, fuzzParams, identifier, userId } from '../testing/unicode.js';

const NOW = 1_700_000_000_000;

/** Mostly strings a caller may send, often ones it may not: the schema decides. */
const candidate = (valid: fc.Arbitrary<string>) =>
  fc.oneof({ weight: 3, arbitrary: valid }, { weight: 2, arbitrary: anyString(70).filter((s) => s.length > 0) });

const callArgs = fc.record({
  caller: candidate(userId),
  callees: fc.array(candidate(userId), { minLength: 1, maxLength: 3 }),
  roomId: candidate(identifier),
  chatGroupId: candidate(identifier),
  userData: anyString(200),
  device: candidate(identifier),
});

type Args = typeof callArgs extends fc.Arbitrary<infer T> ? T : never;

/** True when the client protocol would let these strings in. */
function accepted(a: Args): boolean {
  const calls = opArgs.calls({
    userIdList: [...new Set(a.callees)],
    mediaType: 'Audio',
    roomId: a.roomId,
    chatGroupId: a.chatGroupId,
    userData: a.userData,
  });
  // The caller and device come with the socket; they are held to the same rules as callees and room ids.
  const caller = opArgs.calls({ userIdList: [a.caller], mediaType: 'Audio', roomId: a.device });
  return calls.ok && caller.ok && !a.callees.includes(a.caller);
}

const same = (read: string | undefined, written: string) => {
  expect(read).toBe(written);
  expect(Buffer.from(read!, 'utf8').equals(Buffer.from(written, 'utf8'))).toBe(true);
};

async function roundTrip(s: Storage, a: Args, n: number): Promise<void> {
  const callees = [...new Set(a.callees)];
  // An app per run, so that what a failed run left behind cannot confuse the runs that shrink it.
  const APP = 1400000001 + n;
  const callId = `call-${n}`;
  const call: Call = {
    sdkAppId: APP,
    callId,
    callerId: a.caller,
    robotCaller: false,
    mediaType: 'Audio',
    callType: callees.length === 1 ? 'SingleCall' : 'MultiCall',
    roomId: a.roomId,
    roomIdType: 2,
    chatGroupId: a.chatGroupId,
    userData: a.userData,
    timeoutSeconds: 30,
    startTime: NOW,
    acceptTime: 0,
    members: [
      { userId: a.caller, status: 'Calling', deviceId: a.device },
      ...callees.map((userId) => ({ userId, status: 'Waiting' as const })),
    ],
    everMembers: [a.caller, ...callees],
  };
  const record: CallRecord = {
    CallId: callId,
    Caller_Account: a.caller,
    MediaType: 'Audio',
    CallType: call.callType,
    StartTime: NOW / 1000,
    AcceptTime: 0,
    EndTime: NOW / 1000 + 1,
    CallResult: 'NotAnswer',
    CalleeList_Account: [a.caller, ...callees],
    RoomId: a.roomId,
    RoomIdType: 2,
  };
  const body = JSON.stringify({ UserList: call.members.map((m) => ({ User_Account: m.userId })), UserData: a.userData, RoomId: a.roomId });
  await s.transaction(async (tx) => {
    await tx.calls.insert(call);
    await tx.calls.insertRecord(APP, record);
    for (const user of callees) await tx.timers.set(APP, callId, 'ring', user, NOW);
    await tx.outbox.add({
      id: `msg-${n}`,
      sdkAppId: APP,
      callId,
      command: 'Call.CallbackAfterStartCall',
      url: 'http://a.test/cb',
      body,
      createdAt: NOW,
      ordered: true,
    });
  });

  const read = await s.transaction(async (tx) => ({
    call: await tx.calls.get(APP, callId),
    record: await tx.calls.getRecord(APP, callId),
    busy: await tx.calls.busyUsers(APP, [a.caller, ...callees]),
    live: await tx.calls.liveCallIdsOf(APP, a.caller),
    outbox: await tx.outbox.get(APP, `msg-${n}`),
    timers: (await tx.timers.claimDue(NOW, NOW + 60_000, 100)).timers.filter((t) => t.sdkAppId === APP),
  }));
  expect(read.call).toEqual(call);
  same(read.call!.callerId, a.caller);
  read.call!.members.forEach((m, i) => same(m.userId, call.members[i]!.userId));
  same(read.call!.members[0]!.deviceId, a.device);
  same(read.call!.chatGroupId, a.chatGroupId);
  same(read.call!.userData, a.userData);
  expect(read.record).toEqual(record);
  read.record!.CalleeList_Account.forEach((u, i) => same(u, record.CalleeList_Account[i]!));
  same(read.record!.Caller_Account, a.caller);
  // The member index finds each member by the id as written.
  expect([...read.busy].sort()).toEqual([a.caller, ...callees].sort());
  expect(read.live).toEqual([callId]);
  same(read.outbox?.entry.body, body);
  // Each ring timer comes back under the key it was written with, so it can be taken (fired) once.
  expect(read.timers.map((t) => t.userId).sort()).toEqual([...callees].sort());
  for (const timer of read.timers) expect(await s.transaction((tx) => tx.timers.take(timer))).toBe(true);
  await s.transaction((tx) => tx.calls.delete(APP, callId));
}

function property(open: () => Storage, runs: number): void {
  let n = 0;
  let checked = 0;
  it(`reads back every accepted identifier byte for byte (${runs} runs)`, async () => {
    const s = open();
    await fc.assert(
      fc.asyncProperty(callArgs, async (a) => {
        fc.pre(accepted(a));
        checked++;
        await roundTrip(s, a, n++);
      }),
      fuzzParams(runs),
    );
    // Most runs must reach the store, or the property says little.
    expect(checked).toBeGreaterThan(runs / 4);
  });
}

describe('SQLite', () => {
  let storage: SqliteStorage | undefined;
  afterAll(async () => storage?.close());
  property(() => (storage = new SqliteStorage(openDatabase(':memory:'))), 300);
});

describe('PostgreSQL', () => {
  const schema = randomSchema();
  let storage: PgStorage | undefined;
  beforeAll(async () => {
    await requireDatabase();
    storage = await PgStorage.open({ url: TEST_DATABASE_URL, schema });
  });
  afterAll(async () => {
    await storage?.close();
    await PgStorage.dropSchema(TEST_DATABASE_URL, schema);
  });
  property(() => storage!, 100);
});
