/** The client WebSocket protocol (SPEC §4) for issue 2's ops, over real sockets. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeUserSig } from '../../src/auth/usersig.js';
import { connectUser, TestClient } from '../helpers/client.js';
import { Receiver } from '../helpers/receiver.js';
import { rest } from '../helpers/rest.js';
import { startServer, type TestServer } from '../helpers/server.js';

let t: TestServer;
const clients: TestClient[] = [];

beforeEach(async () => {
  t = await startServer();
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await t.close();
});

async function connect(userId: string, extra: Record<string, string> = {}): Promise<TestClient> {
  const c = await connectUser(t, userId, extra);
  clients.push(c);
  return c;
}

async function rawConnect(params: Record<string, string | undefined>): Promise<TestClient> {
  const c = await TestClient.connect(t.wsUrl, params);
  clients.push(c);
  return c;
}

describe('connect', () => {
  it('closes with 4001 and "<code> <info>" for a UserSig signed with the wrong key', async () => {
    const c = await rawConnect({ sdkappid: String(t.sdkAppId), userid: 'alice', usersig: t.userSig('alice', t.sdkAppId, 'wrong') });
    const closed = await c.closed();
    expect(closed.code).toBe(4001);
    expect(closed.reason).toMatch(/^70009 /);
  });

  it.each([
    [
      'an expired UserSig',
      () => ({
        userid: 'alice',
        usersig: makeUserSig({ sdkAppId: t.sdkAppId, secretKey: t.secretKey, userId: 'alice', expireSeconds: 1, time: 1_600_000_000 }),
      }),
      /^70001 /,
    ],
    ["another user's UserSig", () => ({ userid: 'alice', usersig: t.userSig('bob') }), /^70013 /],
    ['garbage', () => ({ userid: 'alice', usersig: 'garbage' }), /^70003 /],
    ['no UserSig', () => ({ userid: 'alice', usersig: undefined }), /^70002 /],
    // A missing userid is a bad one (SPEC §1: 1 to 64 code points): -1202, as for a bad device.
    ['no userid', () => ({ userid: undefined, usersig: t.userSig('alice') }), /^-1202 userid /],
    ['an unknown platform', () => ({ userid: 'alice', usersig: t.userSig('alice'), platform: 'Amiga' }), /^60002 /],
  ])('closes with 4001 for %s', async (_name, params, reason) => {
    const c = await rawConnect({ sdkappid: String(t.sdkAppId), ...params() });
    const closed = await c.closed();
    expect(closed.code).toBe(4001);
    expect(closed.reason).toMatch(reason);
  });

  it('closes with 4001 70020 for an app this server does not host', async () => {
    const c = await rawConnect({ sdkappid: '1400000555', userid: 'alice', usersig: t.userSig('alice', 1400000555, 'k') });
    expect(await c.closed()).toMatchObject({ code: 4001, reason: expect.stringMatching(/^70020 /) });
  });

  it('refuses an eleventh device of one user with 4004, and still takes a re-login of a known device', async () => {
    for (let i = 0; i < 10; i++) await connect('bob', { device: `d${i}` });
    const extra = await rawConnect({ sdkappid: String(t.sdkAppId), userid: 'bob', usersig: t.userSig('bob'), device: 'd10' });
    expect(await extra.closed()).toMatchObject({ code: 4004, reason: expect.stringMatching(/^-1203 at most 10 devices/) });
    const again = await connect('bob', { device: 'd3' });
    expect((await again.request('ping')).ok).toBe(true);
  });

  it('kicks an older login of the same device with onKickedOffline, and keeps other devices', async () => {
    const first = await connect('bob', { device: 'phone' });
    const laptop = await connect('bob', { device: 'laptop' });
    await connect('bob', { device: 'phone' });
    await first.nextEvent('onKickedOffline');
    expect((await first.closed()).code).toBe(4002);
    expect((await laptop.request('ping')).ok).toBe(true);
  });
});

describe('frames', () => {
  it('answers ping', async () => {
    const alice = await connect('alice');
    expect(await alice.request('ping')).toEqual({ id: 'r1', ok: true, result: {} });
    alice.sendRaw(JSON.stringify({ id: 7, op: 'ping' }));
    expect(await alice.replyTo(7)).toEqual({ id: 7, ok: true, result: {} });
  });

  it('answers malformed frames and unknown ops with -1202 and keeps working, for this user and others', async () => {
    const alice = await connect('alice');
    const bob = await connect('bob');
    const carol = await connect('carol');
    const call = await bob.request('calls', { userIdList: ['carol'], mediaType: 'Audio' });
    await carol.nextEvent('onCallReceived');

    alice.sendRaw('this is not json');
    expect(await alice.replyTo(null)).toMatchObject({ ok: false, code: -1202 });
    alice.sendRaw('[1,2,3]');
    expect(await alice.replyTo(null)).toMatchObject({ ok: false, code: -1202 });
    alice.sendRaw(JSON.stringify({ op: 'ping' }));
    expect(await alice.replyTo(null)).toMatchObject({ ok: false, code: -1202 });
    alice.sendRaw(JSON.stringify({ id: 'x1', op: 'teleport', args: {} }));
    expect(await alice.replyTo('x1')).toMatchObject({ ok: false, code: -1202, message: expect.stringContaining('teleport') });
    alice.sendRaw(JSON.stringify({ id: 'x2', op: 'calls', args: 'nope' }));
    expect(await alice.replyTo('x2')).toMatchObject({ ok: false, code: -1202 });
    alice.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await alice.replyTo(null)).toMatchObject({ ok: false, code: -1202 });
    alice.sendRaw(JSON.stringify({ id: 'x3', op: 'toString' }));
    expect(await alice.replyTo('x3')).toMatchObject({ ok: false, code: -1202 });

    expect((await alice.request('ping')).ok).toBe(true);
    // bob's call to carol is untouched: bob can still cancel it, and carol hears about it.
    expect((await bob.request('hangup', { callId: call.result!.callId })).ok).toBe(true);
    expect((await carol.nextEvent('onCallNotConnected')).data).toMatchObject({ reason: 'canceled', userId: 'bob' });
  });
});

describe('calls', () => {
  it('rings every online device of the callee', async () => {
    const alice = await connect('alice');
    const phone = await connect('bob', { device: 'phone' });
    const laptop = await connect('bob', { device: 'laptop' });
    const reply = await alice.request('calls', { userIdList: ['bob'], mediaType: 'Video' });
    expect(reply.ok).toBe(true);
    expect((await phone.nextEvent('onCallReceived')).data.callId).toBe(reply.result!.callId);
    expect((await laptop.nextEvent('onCallReceived')).data.callId).toBe(reply.result!.callId);
  });

  it.each([
    ['nine callees (ten members)', { userIdList: ['1', '2', '3', '4', '5', '6', '7', '8', '9'], mediaType: 'Audio' }],
    ['an empty userIdList', { userIdList: [], mediaType: 'Audio' }],
    ['an empty user id', { userIdList: [''], mediaType: 'Audio' }],
    ['the caller in userIdList', { userIdList: ['alice'], mediaType: 'Audio' }],
    ['a bad mediaType', { userIdList: ['bob'], mediaType: 'Hologram' }],
    ['a numeric roomId of 0', { userIdList: ['bob'], mediaType: 'Audio', roomId: 0 }],
    ['a numeric roomId over 4294967295', { userIdList: ['bob'], mediaType: 'Audio', roomId: 4294967296 }],
    ['a string roomId over 64 characters', { userIdList: ['bob'], mediaType: 'Audio', roomId: 'r'.repeat(65) }],
    ['a numeric roomId with roomIdType 2', { userIdList: ['bob'], mediaType: 'Audio', roomId: 5, roomIdType: 2 }],
    ['a non-numeric roomId with roomIdType 1', { userIdList: ['bob'], mediaType: 'Audio', roomId: 'abc', roomIdType: 1 }],
    ['a negative timeout', { userIdList: ['bob'], mediaType: 'Audio', timeout: -1 }],
    ['userData over 1000 bytes', { userIdList: ['bob'], mediaType: 'Audio', userData: 'é'.repeat(501) }],
  ])('refuses %s with -1202', async (_name, args) => {
    const alice = await connect('alice');
    expect(await alice.request('calls', args)).toMatchObject({ ok: false, code: -1202 });
  });

  it('accepts eight callees and string room ids up to 64 characters', async () => {
    const alice = await connect('alice');
    const reply = await alice.request('calls', {
      userIdList: ['1', '2', '3', '4', '5', '6', '7', '8'],
      mediaType: 'Audio',
      roomId: 'r'.repeat(64),
    });
    expect(reply).toMatchObject({ ok: true, result: { roomId: 'r'.repeat(64), roomIdType: 2 } });
  });

  it('generates a room id when none is given: string by default, numeric for roomIdType 1', async () => {
    const alice = await connect('alice');
    const a = await alice.request('calls', { userIdList: ['bob'], mediaType: 'Audio' });
    expect(a.result).toMatchObject({ roomIdType: 2, roomId: expect.any(String) });
    await alice.request('hangup', { callId: a.result!.callId });
    const b = await alice.request('calls', { userIdList: ['bob'], mediaType: 'Audio', roomIdType: 1 });
    expect(b.result).toMatchObject({ roomIdType: 1, roomId: expect.any(Number) });
  });

  it('answers calls before sending any event about the call, and reports busy callees', async () => {
    const alice = await connect('alice');
    const bob = await connect('bob');
    await bob.request('calls', { userIdList: ['carol'], mediaType: 'Audio' });
    const reply = await alice.request('calls', { userIdList: ['bob'], mediaType: 'Audio' });
    expect(reply.ok).toBe(true);
    const callId = reply.result!.callId;
    await alice.nextEvent('onCallNotConnected');
    const order = alice.frames.map((f) => ('event' in f ? f.event : `reply:${String(f.id)}`));
    expect(order).toEqual([`reply:${reply.id}`, 'onUserLineBusy', 'onCallNotConnected']);
    expect(alice.frames[1]).toEqual({ event: 'onUserLineBusy', data: { callId, userId: 'bob' } });
    expect(alice.frames[2]).toEqual({
      event: 'onCallNotConnected',
      data: { callId, mediaType: 'Audio', reason: 'lineBusy', userId: 'bob' },
    });
  });

  it('refuses a caller already in a call with -1204, also when the other call is only ringing them', async () => {
    const alice = await connect('alice');
    const bob = await connect('bob');
    expect((await alice.request('calls', { userIdList: ['bob'], mediaType: 'Audio' })).ok).toBe(true);
    expect(await alice.request('calls', { userIdList: ['carol'], mediaType: 'Audio' })).toMatchObject({ ok: false, code: -1204 });
    expect(await bob.request('calls', { userIdList: ['carol'], mediaType: 'Audio' })).toMatchObject({ ok: false, code: -1204 });
  });
});

describe('apps are isolated', () => {
  it("rings only the callee of the caller's own app, and busy state is per app", async () => {
    await t.server.apps.put({ sdkAppId: 1400000321, secretKey: 'second-app', admins: ['administrator'] }, Date.now());
    const second = { ...t, sdkAppId: 1400000321, userSig: (u: string) => t.userSig(u, 1400000321, 'second-app') };
    const bobFirst = await connect('bob');
    const bobSecond = await connectUser(second, 'bob');
    clients.push(bobSecond);
    const aliceSecond = await connectUser(second, 'alice');
    clients.push(aliceSecond);
    const reply = await aliceSecond.request('calls', { userIdList: ['bob'], mediaType: 'Audio' });
    expect((await bobSecond.nextEvent('onCallReceived')).data.callId).toBe(reply.result!.callId);
    // alice of the first app is a different user: not busy, and bob of the first app never rang.
    const aliceFirst = await connect('alice');
    expect((await aliceFirst.request('calls', { userIdList: ['carol'], mediaType: 'Audio' })).ok).toBe(true);
    expect(bobFirst.events).toEqual([]);
    // A socket of one app cannot touch a call of another.
    expect(await aliceFirst.request('hangup', { callId: reply.result!.callId })).toMatchObject({ ok: false, code: -1203 });
  });
});

describe('hangup before anyone answered', () => {
  it('ends the call: every callee device and the caller get onCallNotConnected with canceled', async () => {
    const receiver = await new Receiver().start();
    try {
      await rest(t, 'call_config/set_callback', {
        Url: receiver.url,
        CallbackCommandList: ['Call.CallbackAfterStartCall', 'Call.CallbackAfterMemberChanged', 'Call.CallbackAfterEndCall'],
      });
      const alice = await connect('alice', { platform: 'Web' });
      const bob = await connect('bob', { device: 'phone' });
      const bob2 = await connect('bob', { device: 'tablet' });
      const carol = await connect('carol');
      const reply = await alice.request('calls', { userIdList: ['bob', 'carol'], mediaType: 'Audio' });
      const callId = reply.result!.callId as string;
      await bob.nextEvent('onCallReceived');
      expect(await alice.request('hangup', { callId })).toMatchObject({ ok: true });
      for (const c of [bob, bob2, carol, alice]) {
        expect((await c.nextEvent('onCallNotConnected')).data).toEqual({ callId, mediaType: 'Audio', reason: 'canceled', userId: 'alice' });
      }
      // The call is over: a second hangup is not allowed, and alice may call again.
      expect(await alice.request('hangup', { callId })).toMatchObject({ ok: false, code: -1203 });
      expect((await alice.request('calls', { userIdList: ['bob'], mediaType: 'Audio' })).ok).toBe(true);

      const [changed] = await receiver.waitForCount(1, 'Call.CallbackAfterMemberChanged');
      expect(changed!.body).toMatchObject({
        CallId: callId,
        UserList: [{ User_Account: 'alice', Status: 'Calling' }],
        ChangedUserList: [
          { User_Account: 'bob', ActionType: 'Cancel_Invite' },
          { User_Account: 'carol', ActionType: 'Cancel_Invite' },
        ],
      });
      const [ended] = await receiver.waitForCount(1, 'Call.CallbackAfterEndCall');
      expect(ended!.body.CallRecord).toMatchObject({
        CallId: callId,
        CallResult: 'Cancel',
        AcceptTime: 0,
        CalleeList_Account: ['alice', 'bob', 'carol'],
      });
      const order = receiver.received.filter(
        (r) =>
          (r.body.CallInfo as { CallId?: string } | undefined)?.CallId === callId ||
          r.body.CallId === callId ||
          (r.body.CallRecord as { CallId?: string } | undefined)?.CallId === callId,
      );
      expect(order.map((r) => r.query.get('CallbackCommand'))).toEqual([
        'Call.CallbackAfterStartCall',
        'Call.CallbackAfterMemberChanged',
        'Call.CallbackAfterEndCall',
      ]);
    } finally {
      await receiver.close();
    }
  });

  it('refuses hangup of an unknown call and by a non-member with -1203', async () => {
    const alice = await connect('alice');
    const mallory = await connect('mallory');
    expect(await alice.request('hangup', { callId: 'no-such-call' })).toMatchObject({ ok: false, code: -1203 });
    const reply = await alice.request('calls', { userIdList: ['bob'], mediaType: 'Audio' });
    expect(await mallory.request('hangup', { callId: reply.result!.callId })).toMatchObject({ ok: false, code: -1203 });
  });
});
