/** SPEC §5.2 for group calls, over real sockets with a real callback receiver. */
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

describe('group calls', () => {
  it('everyone accepts, then hangs up one by one: NormalEnd when one is left', async () => {
    const [alice, bob, carol] = [await h.user('alice'), await h.user('bob'), await h.user('carol')];
    const callId = await h.call(alice, ['bob', 'carol']);
    await h.op(bob, 'accept', { callId });
    await h.op(carol, 'accept', { callId });
    await carol.nextEvent('onCallBegin');
    await h.op(alice, 'hangup', { callId });
    await bob.nextEvent('onUserLeave');
    expect(h.summary(callId)).not.toContain('End:NormalEnd');
    await h.op(bob, 'hangup', { callId });
    await carol.nextEvent('onCallEnd');
    expect(eventsOf(alice, callId)).toEqual(['onCallBegin', 'onUserJoin', 'onUserJoin', 'onCallEnd:hangup']);
    expect(eventsOf(bob, callId)).toEqual(['onCallReceived', 'onCallBegin', 'onUserJoin', 'onUserLeave', 'onCallEnd:hangup']);
    expect(eventsOf(carol, callId)).toEqual(['onCallReceived', 'onCallBegin', 'onUserLeave', 'onUserLeave', 'onCallEnd:hangup']);
    expect(await h.ended(callId)).toEqual([
      'Start',
      'MC:bob:Accept',
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

  it('one rejects, the other does not answer: Reject, NotAnswer, result of the last callee', async () => {
    const [alice, bob, carol] = [await h.user('alice'), await h.user('bob'), await h.user('carol')];
    const callId = await h.call(alice, ['bob', 'carol']);
    await h.op(bob, 'reject', { callId });
    await carol.nextEvent('onUserReject');
    await alice.nextEvent('onUserReject');
    await h.advance(30_000);
    await alice.nextEvent('onCallNotConnected');
    expect(eventsOf(alice, callId)).toEqual(['onUserReject', 'onUserNoResponse', 'onCallNotConnected:noResponse']);
    expect(await h.ended(callId)).toEqual(['Start', 'MC:bob:Reject', 'MC:carol:NotAnswer', 'End:NotAnswer']);
  });

  it('one is busy at start, the other accepts and hangs up: NormalEnd', async () => {
    const [alice, bob] = [await h.user('alice'), await h.user('bob')];
    const carol = await h.user('carol');
    await h.user('dave');
    await h.call(carol, ['dave']);
    const callId = await h.call(alice, ['bob', 'carol']);
    await alice.nextEvent('onUserLineBusy');
    await h.op(bob, 'accept', { callId });
    await h.op(bob, 'hangup', { callId });
    expect(await h.ended(callId)).toEqual(['Start', 'MC:bob:Accept', 'MC:bob:Hangup', 'End:NormalEnd']);
    const start = h.callbacksOf(callId)[0]!;
    expect(start.body.UserList).toEqual([
      { User_Account: 'alice', Status: 'Calling' },
      { User_Account: 'bob', Status: 'Waiting' },
    ]);
  });

  it('one ignores, the other rejects: CallBusy is not the last outcome, Reject is', async () => {
    const [alice, bob, carol] = [await h.user('alice'), await h.user('bob'), await h.user('carol')];
    const callId = await h.call(alice, ['bob', 'carol']);
    await h.op(bob, 'ignore', { callId });
    await alice.nextEvent('onUserLineBusy');
    await h.op(carol, 'reject', { callId });
    expect(await h.ended(callId)).toEqual(['Start', 'MC:carol:Reject', 'End:Reject']);
  });

  it('the caller cancels: Cancel_Invite for each ringing callee, Cancel', async () => {
    const [alice, bob, carol] = [await h.user('alice'), await h.user('bob'), await h.user('carol')];
    const callId = await h.call(alice, ['bob', 'carol']);
    await h.op(alice, 'hangup', { callId });
    await bob.nextEvent('onCallNotConnected');
    await carol.nextEvent('onCallNotConnected');
    expect(await h.ended(callId)).toEqual(['Start', 'MC:bob:Cancel_Invite', 'MC:carol:Cancel_Invite', 'End:Cancel']);
  });

  it('a member drops off: Offline, and the call goes on', async () => {
    const [alice, bob, carol] = [await h.user('alice'), await h.user('bob'), await h.user('carol')];
    const callId = await h.call(alice, ['bob', 'carol']);
    await h.op(bob, 'accept', { callId });
    await h.op(carol, 'accept', { callId });
    carol.ws.terminate();
    await h.advance(31_000);
    await alice.nextEvent('onUserLeave');
    expect(await h.callbacks(callId, 4)).toEqual(['Start', 'MC:bob:Accept', 'MC:carol:Accept', 'MC:carol:Offline']);
    expect((await rest(h.t, 'call_engine_http_srv/get_call_info', { CallId: callId })).Response!.UserList).toEqual([
      { User_Account: 'alice', Status: 'Calling' },
      { User_Account: 'bob', Status: 'Calling' },
    ]);
    await h.op(alice, 'hangup', { callId });
    expect(await h.ended(callId)).toEqual([
      'Start',
      'MC:bob:Accept',
      'MC:carol:Accept',
      'MC:carol:Offline',
      'MC:alice:Hangup',
      'End:NormalEnd',
    ]);
  });

  it('invites and joins into a group call: Invite, Join, and the 9-member limit, after who may join', async () => {
    const alice = await h.user('alice');
    const bob = await h.user('bob');
    const c1 = await h.user('c1');
    const callId = await h.call(alice, ['bob', 'c1', 'c2', 'c3', 'c4', 'c5']);
    await h.op(bob, 'accept', { callId });
    await h.op(c1, 'reject', { callId });
    expect(await bob.request('inviteUser', { callId, userIdList: ['c6', 'c7', 'c8', 'c9'] })).toMatchObject({ ok: false, code: -1202 });
    expect(await h.op(bob, 'inviteUser', { callId, userIdList: ['c6', 'c7', 'c8'] })).toEqual({ userIdList: ['c6', 'c7', 'c8'] });
    // Nine members: a user never invited is refused as such before the limit; a former member hits the limit.
    const late = await h.user('late');
    expect(await late.request('join', { callId })).toMatchObject({ ok: false, code: -1203 });
    expect(await c1.request('join', { callId })).toMatchObject({ ok: false, code: -1202 });
    await h.op(alice, 'hangup', { callId });
    await h.op(c1, 'join', { callId });
    await bob.nextEvent('onUserJoin');
    await h.op(bob, 'hangup', { callId });
    await h.op(c1, 'hangup', { callId });
    // Nobody is left in the call; the ringing invitees are cancelled.
    expect(await h.ended(callId)).toEqual([
      'Start',
      'MC:bob:Accept',
      'MC:c1:Reject',
      'MC:c6:Invite',
      'MC:c7:Invite',
      'MC:c8:Invite',
      'MC:alice:Hangup',
      'MC:c1:Join',
      'MC:bob:Hangup',
      'MC:c1:Hangup',
      'MC:c2:Cancel_Invite',
      'MC:c3:Cancel_Invite',
      'MC:c4:Cancel_Invite',
      'MC:c5:Cancel_Invite',
      'MC:c6:Cancel_Invite',
      'MC:c7:Cancel_Invite',
      'MC:c8:Cancel_Invite',
      'End:NormalEnd',
    ]);
    expect((await h.record(callId)).CalleeList_Account).not.toContain('late');
  });

  it('a connected member waits for the others still ringing, then the last timeout ends the call', async () => {
    const [alice, bob] = [await h.user('alice'), await h.user('bob')];
    const callId = await h.call(alice, ['bob', 'carol']);
    await h.op(bob, 'accept', { callId });
    await h.op(bob, 'hangup', { callId });
    expect(h.summary(callId)).not.toContain('End:NormalEnd');
    await h.advance(30_000);
    await alice.nextEvent('onCallEnd');
    expect(await h.ended(callId)).toEqual(['Start', 'MC:bob:Accept', 'MC:bob:Hangup', 'MC:carol:NotAnswer', 'End:NormalEnd']);
  });
});

describe('who may join a group call by callId (SPEC §5.2)', () => {
  it('a callee who rejected, one who timed out and one who hung up each join again: Join', async () => {
    const [alice, bob, carol, dave, erin] = [
      await h.user('alice'),
      await h.user('bob'),
      await h.user('carol'),
      await h.user('dave'),
      await h.user('erin'),
    ];
    const callId = await h.call(alice, ['bob', 'carol', 'dave', 'erin']);
    await h.op(bob, 'accept', { callId });
    await h.op(erin, 'accept', { callId });
    await h.op(carol, 'reject', { callId });
    await h.op(erin, 'hangup', { callId });
    await h.advance(30_000);
    await dave.nextEvent('onCallNotConnected');
    expect(await h.callbacks(callId, 6)).toEqual([
      'Start',
      'MC:bob:Accept',
      'MC:erin:Accept',
      'MC:carol:Reject',
      'MC:erin:Hangup',
      'MC:dave:NotAnswer',
    ]);
    for (const former of [carol, dave, erin]) {
      await h.op(former, 'join', { callId });
      await former.nextEvent('onCallBegin');
    }
    expect(await h.callbacks(callId, 9)).toEqual([
      'Start',
      'MC:bob:Accept',
      'MC:erin:Accept',
      'MC:carol:Reject',
      'MC:erin:Hangup',
      'MC:dave:NotAnswer',
      'MC:carol:Join',
      'MC:dave:Join',
      'MC:erin:Join',
    ]);
    expect((await rest(h.t, 'call_engine_http_srv/get_call_info', { CallId: callId })).Response!.UserList).toEqual(
      ['alice', 'bob', 'carol', 'dave', 'erin'].map((u) => ({ User_Account: u, Status: 'Calling' })),
    );
  });

  it('a user never invited: -1203 while OpenGroupJoin is off, Join while it is on', async () => {
    const [alice, bob, mallory, trent] = [await h.user('alice'), await h.user('bob'), await h.user('mallory'), await h.user('trent')];
    const callId = await h.call(alice, ['bob', 'carol']);
    await h.op(bob, 'accept', { callId });
    expect(await mallory.request('join', { callId })).toMatchObject({ ok: false, code: -1203 });

    expect(await rest(h.t, 'call_config/set_call_policy', { OpenGroupJoin: true })).toMatchObject({ ErrorCode: 0 });
    await h.op(mallory, 'join', { callId });
    await mallory.nextEvent('onCallBegin');
    expect((await alice.nextEvent('onUserJoin')).data).toMatchObject({ callId, userId: 'bob' });
    expect((await alice.nextEvent('onUserJoin')).data).toMatchObject({ callId, userId: 'mallory' });

    expect(await rest(h.t, 'call_config/set_call_policy', { OpenGroupJoin: false })).toMatchObject({ ErrorCode: 0 });
    expect(await trent.request('join', { callId })).toMatchObject({ ok: false, code: -1203 });
    // Having joined once, mallory is a former member: she may come back with the policy off.
    await h.op(mallory, 'hangup', { callId });
    await h.op(mallory, 'join', { callId });
    expect(await h.callbacks(callId, 5)).toEqual(['Start', 'MC:bob:Accept', 'MC:mallory:Join', 'MC:mallory:Hangup', 'MC:mallory:Join']);
    expect(eventsOf(trent)).toEqual([]);
  });
});
