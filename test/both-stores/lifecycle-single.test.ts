/**
 * SPEC §5.2 row by row for 1-to-1 calls, over real sockets with a real callback receiver: the
 * events each side receives, the MemberChanged actions and final CallResult the app backend
 * receives, and the record `get_record_by_callid` returns.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventsOf, Harness } from '../helpers/harness.js';
import { rest } from '../helpers/rest.js';

let h: Harness;
beforeEach(async () => {
  h = await Harness.create();
});
afterEach(async () => {
  await h.close();
});

describe('1-to-1 calls', () => {
  it('callee accepts, then hangs up: Accept, Hangup, NormalEnd', async () => {
    const alice = await h.user('alice');
    const bob = await h.user('bob', { platform: 'Android' });
    const before = Math.floor(h.clock.now() / 1000);
    const callId = await h.call(alice, ['bob']);
    await bob.nextEvent('onCallReceived');
    await h.advance(2000);
    await h.op(bob, 'accept', { callId });
    await alice.nextEvent('onCallBegin');
    await bob.nextEvent('onCallBegin');
    await h.advance(60_000);
    await h.op(bob, 'hangup', { callId });
    await alice.nextEvent('onCallEnd');

    expect(eventsOf(alice, callId)).toEqual(['onCallBegin', 'onUserJoin', 'onUserLeave', 'onCallEnd:hangup']);
    expect(eventsOf(bob, callId)).toEqual(['onCallReceived', 'onCallBegin', 'onCallEnd:hangup']);
    expect(await h.ended(callId)).toEqual(['Start', 'MC:bob:Accept', 'MC:bob:Hangup', 'End:NormalEnd']);
    const accepted = h.callbacksOf(callId)[1]!;
    expect(accepted.query.get('OptPlatform')).toBe('Android');
    expect(accepted.body.UserList).toEqual([
      { User_Account: 'alice', Status: 'Calling' },
      { User_Account: 'bob', Status: 'Calling' },
    ]);
    expect(h.callbacksOf(callId)[2]!.body.UserList).toEqual([{ User_Account: 'alice', Status: 'Calling' }]);

    const record = await h.record(callId);
    expect(record).toEqual({
      CallId: callId,
      Caller_Account: 'alice',
      MediaType: 'Video',
      CallType: 'SingleCall',
      StartTime: expect.any(Number),
      AcceptTime: expect.any(Number),
      EndTime: expect.any(Number),
      CallResult: 'NormalEnd',
      CalleeList_Account: ['alice', 'bob'],
      RoomId: expect.any(String),
      RoomIdType: 2,
    });
    expect(record.StartTime - before).toBeLessThanOrEqual(1);
    expect(record.AcceptTime - record.StartTime).toBeGreaterThanOrEqual(1);
    expect(record.EndTime - record.AcceptTime).toBeGreaterThanOrEqual(59);
    const end = h.callbacksOf(callId)[3]!;
    expect(end.body.CallRecord).toEqual(record);
  });

  it('callee rejects: Reject', async () => {
    const alice = await h.user('alice');
    const bob = await h.user('bob');
    const callId = await h.call(alice, ['bob']);
    await bob.nextEvent('onCallReceived');
    await h.op(bob, 'reject', { callId });
    await alice.nextEvent('onCallNotConnected');
    expect(eventsOf(alice, callId)).toEqual(['onUserReject', 'onCallNotConnected:reject']);
    expect(eventsOf(bob, callId)).toEqual(['onCallReceived', 'onCallNotConnected:reject']);
    expect(await h.ended(callId)).toEqual(['Start', 'MC:bob:Reject', 'End:Reject']);
    expect(await h.record(callId)).toMatchObject({ CallResult: 'Reject', AcceptTime: 0, CalleeList_Account: ['alice', 'bob'] });
  });

  it('callee does not answer before the timeout: NotAnswer', async () => {
    const alice = await h.user('alice');
    const bob = await h.user('bob');
    // Records are in whole seconds and the test clock also follows real time: start the call
    // just after a second begins, so the real milliseconds the test takes cannot carry the end
    // into the next second.
    h.clock.advance(1000 - (h.clock.now() % 1000));
    const callId = await h.call(alice, ['bob'], { timeout: 20 });
    await bob.nextEvent('onCallReceived');
    await h.advance(19_000);
    expect(h.summary(callId)).toEqual(['Start']);
    await h.advance(1_000);
    await alice.nextEvent('onCallNotConnected');
    expect(eventsOf(alice, callId)).toEqual(['onUserNoResponse', 'onCallNotConnected:noResponse']);
    expect(eventsOf(bob, callId)).toEqual(['onCallReceived', 'onCallNotConnected:noResponse']);
    const summary = await h.ended(callId);
    expect(summary).toEqual(['Start', 'MC:bob:NotAnswer', 'End:NotAnswer']);
    expect(h.callbacksOf(callId)[1]!.query.get('OptPlatform')).toBe('Unknown');
    const record = await h.record(callId);
    expect(record).toMatchObject({ CallResult: 'NotAnswer', AcceptTime: 0 });
    expect(record.EndTime - record.StartTime).toBe(20);
  });

  it('callee busy at start: the caller hears line busy, CallBusy', async () => {
    const alice = await h.user('alice');
    const bob = await h.user('bob');
    await h.user('carol');
    await h.call(bob, ['carol']);
    const callId = await h.call(alice, ['bob']);
    await alice.nextEvent('onCallNotConnected');
    expect(eventsOf(alice, callId)).toEqual(['onUserLineBusy', 'onCallNotConnected:lineBusy']);
    expect(eventsOf(bob, callId)).toEqual([]);
    expect(await h.ended(callId)).toEqual(['Start', 'End:CallBusy']);
    expect(await h.record(callId)).toMatchObject({ CallResult: 'CallBusy', CalleeList_Account: ['alice', 'bob'] });
  });

  it('callee ignores: the caller hears line busy, CallBusy', async () => {
    const alice = await h.user('alice');
    const bob = await h.user('bob');
    const callId = await h.call(alice, ['bob']);
    await bob.nextEvent('onCallReceived');
    await h.op(bob, 'ignore', { callId });
    await alice.nextEvent('onCallNotConnected');
    expect(eventsOf(alice, callId)).toEqual(['onUserLineBusy', 'onCallNotConnected:lineBusy']);
    expect(await h.ended(callId)).toEqual(['Start', 'End:CallBusy']);
    expect(await h.record(callId)).toMatchObject({ CallResult: 'CallBusy' });
  });

  it('caller hangs up before the callee answered: Cancel_Invite, Cancel', async () => {
    const alice = await h.user('alice');
    const bob = await h.user('bob');
    const callId = await h.call(alice, ['bob']);
    await bob.nextEvent('onCallReceived');
    await h.op(alice, 'hangup', { callId });
    await bob.nextEvent('onCallNotConnected');
    expect(eventsOf(bob, callId)).toEqual(['onCallReceived', 'onCallNotConnected:canceled']);
    expect(await h.ended(callId)).toEqual(['Start', 'MC:bob:Cancel_Invite', 'End:Cancel']);
    expect(await h.record(callId)).toMatchObject({ CallResult: 'Cancel', AcceptTime: 0 });
  });

  it('the caller hangs up a connected call: Hangup, NormalEnd', async () => {
    const alice = await h.user('alice');
    const bob = await h.user('bob');
    const callId = await h.call(alice, ['bob']);
    await h.op(bob, 'accept', { callId });
    await h.op(alice, 'hangup', { callId });
    await bob.nextEvent('onCallEnd');
    expect(eventsOf(bob, callId)).toEqual(['onCallReceived', 'onCallBegin', 'onUserLeave', 'onCallEnd:hangup']);
    expect(await h.ended(callId)).toEqual(['Start', 'MC:bob:Accept', 'MC:alice:Hangup', 'End:NormalEnd']);
  });

  it('a member reports media failure: Interrupt', async () => {
    const alice = await h.user('alice');
    const bob = await h.user('bob');
    const callId = await h.call(alice, ['bob']);
    await h.op(bob, 'accept', { callId });
    await h.op(alice, 'hangup', { callId, reason: 'interrupt' });
    expect(await h.ended(callId)).toEqual(['Start', 'MC:bob:Accept', 'MC:alice:Hangup', 'End:Interrupt']);
    expect(await h.record(callId)).toMatchObject({ CallResult: 'Interrupt' });
  });

  it("a member's heartbeat expires: Offline", async () => {
    const alice = await h.user('alice');
    const bob = await h.user('bob');
    const callId = await h.call(alice, ['bob']);
    await h.op(bob, 'accept', { callId });
    // alice keeps talking; bob goes silent for longer than the 30 s expiry.
    for (let i = 0; i < 4; i++) {
      await h.advance(10_000);
      await h.op(alice, 'ping', {});
    }
    h.t.server.gateway.sweep();
    expect((await bob.closed()).code).toBe(1006);
    await alice.nextEvent('onCallEnd');
    expect(eventsOf(alice, callId)).toEqual(['onCallBegin', 'onUserJoin', 'onUserLeave', 'onCallEnd:offline']);
    expect(await h.ended(callId)).toEqual(['Start', 'MC:bob:Accept', 'MC:bob:Offline', 'End:Offline']);
    expect(await h.record(callId)).toMatchObject({ CallResult: 'Offline' });
  });

  it('a member invites a third user, who accepts: Invite, Accept; the call becomes MultiCall', async () => {
    const alice = await h.user('alice');
    const bob = await h.user('bob');
    const carol = await h.user('carol');
    const callId = await h.call(alice, ['bob']);
    await h.op(bob, 'accept', { callId });
    expect(await h.op(bob, 'inviteUser', { callId, userIdList: ['carol'] })).toEqual({ userIdList: ['carol'] });
    const ring = await carol.nextEvent('onCallReceived');
    expect(ring.data).toMatchObject({ callId, callerId: 'alice', calleeIdList: ['bob', 'carol'] });
    await alice.nextEvent('onUserInviting');
    await h.op(carol, 'accept', { callId });
    await h.op(alice, 'hangup', { callId });
    await h.op(bob, 'hangup', { callId });
    await carol.nextEvent('onCallEnd');
    expect(eventsOf(carol, callId)).toEqual(['onCallReceived', 'onCallBegin', 'onUserLeave', 'onUserLeave', 'onCallEnd:hangup']);
    expect(await h.ended(callId)).toEqual([
      'Start',
      'MC:bob:Accept',
      'MC:carol:Invite',
      'MC:carol:Accept',
      'MC:alice:Hangup',
      'MC:bob:Hangup',
      'End:NormalEnd',
    ]);
    expect(await h.record(callId)).toMatchObject({
      CallType: 'MultiCall',
      CallResult: 'NormalEnd',
      CalleeList_Account: ['alice', 'bob', 'carol'],
    });
  });

  it('nobody joins a 1-to-1 call by callId, ringing or connected, even with OpenGroupJoin on: -1203', async () => {
    const alice = await h.user('alice');
    const bob = await h.user('bob');
    const dave = await h.user('dave');
    const callId = await h.call(alice, ['bob']);
    await bob.nextEvent('onCallReceived');
    expect(await dave.request('join', { callId })).toMatchObject({ ok: false, code: -1203 });
    await h.op(bob, 'accept', { callId });
    expect(await dave.request('join', { callId })).toMatchObject({ ok: false, code: -1203 });
    expect(await rest(h.t, 'call_config/set_call_policy', { OpenGroupJoin: true })).toMatchObject({ ErrorCode: 0 });
    expect(await dave.request('join', { callId })).toMatchObject({ ok: false, code: -1203 });
    expect((await rest(h.t, 'call_engine_http_srv/get_call_info', { CallId: callId })).Response!.UserList).toEqual([
      { User_Account: 'alice', Status: 'Calling' },
      { User_Account: 'bob', Status: 'Calling' },
    ]);
    await h.op(bob, 'hangup', { callId });
    expect(await h.ended(callId)).toEqual(['Start', 'MC:bob:Accept', 'MC:bob:Hangup', 'End:NormalEnd']);
    expect(await h.record(callId)).toMatchObject({ CallType: 'SingleCall', CalleeList_Account: ['alice', 'bob'] });
    expect(eventsOf(dave)).toEqual([]);
  });

  it('end_call of a connected call: endByServer, NormalEnd', async () => {
    const alice = await h.user('alice');
    const bob = await h.user('bob');
    const callId = await h.call(alice, ['bob']);
    await h.op(bob, 'accept', { callId });
    expect(await rest(h.t, 'call_engine_http_srv/end_call', { CallId: callId })).toMatchObject({ ErrorCode: 0 });
    await alice.nextEvent('onCallEnd');
    await bob.nextEvent('onCallEnd');
    expect(eventsOf(alice, callId).at(-1)).toBe('onCallEnd:endByServer');
    expect(eventsOf(bob, callId).at(-1)).toBe('onCallEnd:endByServer');
    expect(await h.ended(callId)).toEqual(['Start', 'MC:bob:Accept', 'End:NormalEnd']);
    expect(h.callbacksOf(callId)[2]!.query.get('OptPlatform')).toBe('RESTAPI');
  });

  it('end_call of a ringing call: Cancel', async () => {
    const alice = await h.user('alice');
    const bob = await h.user('bob');
    const callId = await h.call(alice, ['bob']);
    await rest(h.t, 'call_engine_http_srv/end_call', { CallId: callId });
    await bob.nextEvent('onCallNotConnected');
    expect(eventsOf(alice, callId)).toEqual(['onCallNotConnected:endByServer']);
    expect(await h.ended(callId)).toEqual(['Start', 'End:Cancel']);
  });

  it('refuses ops that the call state does not allow with -1203', async () => {
    const alice = await h.user('alice');
    const bob = await h.user('bob');
    const callId = await h.call(alice, ['bob']);
    expect(await alice.request('accept', { callId })).toMatchObject({ ok: false, code: -1203 });
    expect(await alice.request('reject', { callId })).toMatchObject({ ok: false, code: -1203 });
    expect(await bob.request('inviteUser', { callId, userIdList: ['carol'] })).toMatchObject({ ok: false, code: -1203 });
    await h.op(bob, 'accept', { callId });
    expect(await bob.request('accept', { callId })).toMatchObject({ ok: false, code: -1203 });
    expect(await bob.request('ignore', { callId })).toMatchObject({ ok: false, code: -1203 });
    expect(await bob.request('join', { callId })).toMatchObject({ ok: false, code: -1203 });
    await h.op(bob, 'hangup', { callId });
    for (const op of ['accept', 'reject', 'ignore', 'hangup', 'join']) {
      expect(await bob.request(op, { callId })).toMatchObject({ ok: false, code: -1203 });
    }
    expect(await bob.request('inviteUser', { callId, userIdList: ['carol'] })).toMatchObject({ ok: false, code: -1203 });
  });
});
