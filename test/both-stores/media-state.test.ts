/**
 * Media state and the media type switch (SPEC §4) over real sockets: `setMediaState` reaches the
 * other members only, for the fields given; the state is kept in storage, so a member who comes
 * back (also after a restart), a joiner and an invitee who accepts all learn it; `switchMediaType`
 * works on connected 1-to-1 calls only, and the record and EndCall callback carry the final type.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connectUser, type EventFrame, type TestClient } from '../helpers/client.js';
import { eventsOf, Harness, ManualClock } from '../helpers/harness.js';
import { rest } from '../helpers/rest.js';
import { removeTestData, startServer } from '../helpers/server.js';

let h: Harness;
afterEach(async () => {
  await h.close();
});
/** For tests that closed their harness themselves. */
const NOTHING_TO_CLOSE = { close: async () => undefined } as unknown as Harness;

const MEDIA_EVENTS = ['onUserVideoAvailable', 'onUserAudioAvailable', 'onCallMediaTypeChanged'];

/** Every media event a client received (taken by `nextEvent` or not), as `event:userId:available` or `event:old>new`. */
function mediaEvents(client: TestClient): string[] {
  return client.frames
    .filter((f): f is EventFrame => 'event' in f && MEDIA_EVENTS.includes(f.event))
    .map((e) =>
      e.event === 'onCallMediaTypeChanged'
        ? `${e.event}:${String(e.data.oldMediaType)}>${String(e.data.newMediaType)}`
        : `${e.event}:${String(e.data.userId)}:${String(e.data.available)}`,
    );
}

/** alice calls `callees` (video); each accepts. */
async function connectedCall(callees: string[]): Promise<{ callId: string; alice: TestClient; others: TestClient[] }> {
  const alice = await h.user('alice');
  const others = await Promise.all(callees.map((u) => h.user(u)));
  const callId = await h.call(alice, callees);
  for (const c of others) {
    await c.nextEvent('onCallReceived');
    await h.op(c, 'accept', { callId });
    await c.nextEvent('onCallBegin');
  }
  await alice.nextEvent('onCallBegin');
  return { callId, alice, others };
}

describe('setMediaState', () => {
  it('tells the other member, only about the fields given, and the sender only by the reply', async () => {
    h = await Harness.create();
    const {
      callId,
      alice,
      others: [bob],
    } = await connectedCall(['bob']);
    expect(await alice.request('setMediaState', { callId, camera: false })).toMatchObject({ ok: true, result: {} });
    expect((await bob!.nextEvent('onUserVideoAvailable')).data).toEqual({ callId, userId: 'alice', available: false });
    expect(await bob!.request('setMediaState', { callId, microphone: false })).toMatchObject({ ok: true, result: {} });
    expect((await alice.nextEvent('onUserAudioAvailable')).data).toEqual({ callId, userId: 'bob', available: false });
    expect(await alice.request('setMediaState', { callId, camera: true, microphone: true })).toMatchObject({ ok: true });
    await bob!.nextEvent('onUserAudioAvailable');
    // Events of one op go out together, and before those of a later op: by now any echo would have come.
    expect(await bob!.request('setMediaState', { callId, camera: true })).toMatchObject({ ok: true });
    await alice.nextEvent('onUserVideoAvailable');

    expect(mediaEvents(bob!)).toEqual([
      'onUserVideoAvailable:alice:false',
      'onUserVideoAvailable:alice:true',
      'onUserAudioAvailable:alice:true',
    ]);
    expect(mediaEvents(alice)).toEqual(['onUserAudioAvailable:bob:false', 'onUserVideoAvailable:bob:true']);
    expect(eventsOf(bob!, callId)).toEqual([
      'onCallReceived',
      'onCallBegin',
      'onUserVideoAvailable',
      'onUserVideoAvailable',
      'onUserAudioAvailable',
    ]);
    expect(eventsOf(alice, callId)).toEqual(['onCallBegin', 'onUserJoin', 'onUserAudioAvailable', 'onUserVideoAvailable']);
    // Media state is no member change: no callback beyond the call's own.
    expect(h.summary(callId)).toEqual(['Start', 'MC:bob:Accept']);
  });

  it('in a group call every other member in it hears it, a ringing invitee does not; a joiner and an accepting invitee get the state in onCallBegin', async () => {
    h = await Harness.create();
    const {
      callId,
      alice,
      others: [bob, carol],
    } = await connectedCall(['bob', 'carol']);
    const dave = await h.user('dave');
    await h.op(alice, 'inviteUser', { callId, userIdList: ['dave'] });
    await dave.nextEvent('onCallReceived');
    await h.op(carol!, 'setMediaState', { callId, camera: false, microphone: false });
    expect((await alice.nextEvent('onUserVideoAvailable')).data).toEqual({ callId, userId: 'carol', available: false });
    expect((await bob!.nextEvent('onUserAudioAvailable')).data).toEqual({ callId, userId: 'carol', available: false });
    await h.op(bob!, 'hangup', { callId });
    await alice.nextEvent('onUserLeave');

    // dave, invited while carol's camera was on, accepts after it went off.
    await h.op(dave, 'accept', { callId });
    const daveBegin = await dave.nextEvent('onCallBegin');
    expect(daveBegin.data.members).toEqual([
      { userId: 'alice', status: 'Calling' },
      { userId: 'carol', status: 'Calling', camera: false, microphone: false },
      { userId: 'dave', status: 'Calling' },
    ]);
    expect(mediaEvents(dave)).toEqual([]);

    // bob comes back by join and finds the same.
    await h.op(bob!, 'join', { callId });
    const bobBegin = await bob!.nextEvent('onCallBegin');
    expect(bobBegin.data.members).toContainEqual({ userId: 'carol', status: 'Calling', camera: false, microphone: false });
    expect(bobBegin.data.members).toContainEqual({ userId: 'bob', status: 'Calling' });
    expect(mediaEvents(carol!)).toEqual([]);
  });

  it('a member who reconnects gets onCallState with every member camera and microphone', async () => {
    h = await Harness.create();
    const {
      callId,
      alice,
      others: [bob],
    } = await connectedCall(['bob']);
    await h.op(alice, 'setMediaState', { callId, camera: false });
    await h.op(bob!, 'setMediaState', { callId, microphone: false, camera: true });
    await alice.nextEvent('onUserAudioAvailable');
    bob!.ws.terminate();
    await bob!.closed();
    const back = await h.user('bob');
    expect((await back.nextEvent('onCallState')).data).toMatchObject({
      callId,
      mediaType: 'Video',
      status: 'Calling',
      members: [
        { userId: 'alice', status: 'Calling', camera: false },
        { userId: 'bob', status: 'Calling', camera: true, microphone: false },
      ],
    });
    // The new connection hears the others' changes.
    await h.op(alice, 'setMediaState', { callId, camera: true });
    expect((await back.nextEvent('onUserVideoAvailable')).data).toEqual({ callId, userId: 'alice', available: true });
  });

  it('is durable: after a server restart a member who comes back still gets it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'dialtone-media-'));
    const clock = new ManualClock();
    try {
      h = await Harness.create({ dataDir, clock });
      const {
        callId,
        alice,
        others: [bob],
      } = await connectedCall(['bob']);
      await h.op(alice, 'setMediaState', { callId, camera: false, microphone: true });
      await h.op(alice, 'switchMediaType', { callId, mediaType: 'Audio' });
      await bob!.nextEvent('onCallMediaTypeChanged');
      await h.t.server.dispatcher.idle();
      for (const c of h.clients) c.close();
      await h.t.server.close();

      const t2 = await startServer({ dataDir, keepDataDir: true, overrides: { clock, sweepIntervalMs: 0 } });
      try {
        const bob2 = await connectUser(t2, 'bob');
        expect((await bob2.nextEvent('onCallState')).data).toMatchObject({
          callId,
          mediaType: 'Audio',
          members: [
            { userId: 'alice', status: 'Calling', camera: false, microphone: true },
            { userId: 'bob', status: 'Calling' },
          ],
        });
        bob2.close();
      } finally {
        await t2.close();
      }
    } finally {
      await h.receiver.close();
      h = NOTHING_TO_CLOSE;
      await removeTestData(dataDir);
    }
  });

  it('refuses one who is not a member, and a call that ended (-1203)', async () => {
    h = await Harness.create();
    const {
      callId,
      alice,
      others: [bob],
    } = await connectedCall(['bob']);
    const mallory = await h.user('mallory');
    expect(await mallory.request('setMediaState', { callId, camera: false })).toMatchObject({ ok: false, code: -1203 });
    expect(await alice.request('setMediaState', { callId: 'no-such-call', camera: false })).toMatchObject({ ok: false, code: -1203 });
    await h.op(bob!, 'hangup', { callId });
    await alice.nextEvent('onCallEnd');
    expect(await alice.request('setMediaState', { callId, camera: false })).toMatchObject({ ok: false, code: -1203 });
    expect(mediaEvents(bob!)).toEqual([]);
  });
});

describe('switchMediaType', () => {
  it('switches a connected 1-to-1 call: both hear it, and the record and the EndCall callback carry the final type', async () => {
    h = await Harness.create();
    const {
      callId,
      alice,
      others: [bob],
    } = await connectedCall(['bob']);
    expect(await bob!.request('switchMediaType', { callId, mediaType: 'Audio' })).toMatchObject({ ok: true, result: {} });
    const changed = { callId, oldMediaType: 'Video', newMediaType: 'Audio' };
    expect((await alice.nextEvent('onCallMediaTypeChanged')).data).toEqual(changed);
    expect((await bob!.nextEvent('onCallMediaTypeChanged')).data).toEqual(changed);
    const info = await rest(h.t, 'call_engine_http_srv/get_call_info', { CallId: callId });
    expect(info.Response!.CallInfo).toMatchObject({ MediaType: 'Audio' });

    // The same type again changes nothing and tells nobody.
    expect(await alice.request('switchMediaType', { callId, mediaType: 'Audio' })).toMatchObject({ ok: true });
    await h.op(alice, 'hangup', { callId });
    expect((await bob!.nextEvent('onCallEnd')).data).toMatchObject({ mediaType: 'Audio', reason: 'hangup' });
    expect(mediaEvents(alice)).toEqual(['onCallMediaTypeChanged:Video>Audio']);
    expect(mediaEvents(bob!)).toEqual(['onCallMediaTypeChanged:Video>Audio']);

    expect(await h.ended(callId)).toEqual(['Start', 'MC:bob:Accept', 'MC:alice:Hangup', 'End:NormalEnd']);
    const record = await h.record(callId);
    expect(record).toMatchObject({ CallId: callId, MediaType: 'Audio', CallType: 'SingleCall', CallResult: 'NormalEnd' });
    const start = h.callbacksOf(callId)[0]!;
    expect((start.body.CallInfo as { MediaType: string }).MediaType).toBe('Video');
    const end = h.callbacksOf(callId)[3]!;
    expect(end.body.CallRecord).toEqual(record);
    const found = await rest(h.t, 'call_record_http_srv/get_record_by_filter', {});
    expect(found.Response!.CallRecordList).toContainEqual(record);
  });

  it('and back: a call switched twice ends with the type it had last', async () => {
    h = await Harness.create();
    const {
      callId,
      alice,
      others: [bob],
    } = await connectedCall(['bob']);
    await h.op(alice, 'switchMediaType', { callId, mediaType: 'Audio' });
    await h.op(bob!, 'switchMediaType', { callId, mediaType: 'Video' });
    expect((await alice.nextEvent('onCallMediaTypeChanged')).data).toMatchObject({ newMediaType: 'Audio' });
    expect((await alice.nextEvent('onCallMediaTypeChanged')).data).toMatchObject({ oldMediaType: 'Audio', newMediaType: 'Video' });
    await h.op(bob!, 'hangup', { callId });
    await h.ended(callId);
    expect((await h.record(callId)).MediaType).toBe('Video');
  });

  it('refuses a ringing call, a group call and one who is not in the call (-1203), and changes nothing', async () => {
    h = await Harness.create();
    const alice = await h.user('alice');
    const bob = await h.user('bob');
    const ringing = await h.call(alice, ['bob']);
    await bob.nextEvent('onCallReceived');
    expect(await alice.request('switchMediaType', { callId: ringing, mediaType: 'Audio' })).toMatchObject({ ok: false, code: -1203 });
    expect(await bob.request('switchMediaType', { callId: ringing, mediaType: 'Audio' })).toMatchObject({ ok: false, code: -1203 });
    await h.op(alice, 'hangup', { callId: ringing });
    await h.ended(ringing);
    expect((await h.record(ringing)).MediaType).toBe('Video');

    const carol = await h.user('carol');
    const groupCall = await h.call(alice, ['bob', 'carol']);
    await h.op(bob, 'accept', { callId: groupCall });
    await h.op(carol, 'accept', { callId: groupCall });
    expect(await bob.request('switchMediaType', { callId: groupCall, mediaType: 'Audio' })).toMatchObject({ ok: false, code: -1203 });
    const mallory = await h.user('mallory');
    expect(await mallory.request('switchMediaType', { callId: groupCall, mediaType: 'Audio' })).toMatchObject({ ok: false, code: -1203 });
    const info = await rest(h.t, 'call_engine_http_srv/get_call_info', { CallId: groupCall });
    expect(info.Response!.CallInfo).toMatchObject({ MediaType: 'Video' });
    for (const c of [alice, bob, carol]) expect(mediaEvents(c)).toEqual([]);
  });
});

describe('bad frames', () => {
  it('are answered -1202 naming the argument, and reach nobody', async () => {
    h = await Harness.create();
    const {
      callId,
      alice,
      others: [bob],
    } = await connectedCall(['bob']);
    const refusals: [string, unknown, string][] = [
      ['setMediaState', { callId, camera: 'off' }, 'camera must be true or false'],
      ['setMediaState', { callId, microphone: 1 }, 'microphone must be true or false'],
      ['setMediaState', { callId }, 'give camera, microphone or both'],
      ['setMediaState', { camera: false }, 'callId is required'],
      ['setMediaState', { callId: '', camera: false }, 'callId must be'],
      ['switchMediaType', { callId, mediaType: 'audio' }, 'mediaType must be one of Audio, Video'],
      ['switchMediaType', { callId }, 'mediaType is required'],
      ['switchMediaType', { callId, mediaType: 2 }, 'mediaType must be one of Audio, Video'],
    ];
    for (const [op, args, message] of refusals) {
      const reply = await alice.request(op, args);
      expect(reply, `${op} ${JSON.stringify(args)}`).toMatchObject({ ok: false, code: -1202 });
      expect(reply.message).toContain(message);
    }
    alice.sendRaw(JSON.stringify({ id: 'raw', op: 'setMediaState', args: [true] }));
    expect(await alice.replyTo('raw')).toMatchObject({ ok: false, code: -1202 });

    // The call goes on as before: the next good op is heard, and nothing before it was.
    await h.op(alice, 'setMediaState', { callId, microphone: false });
    await bob!.nextEvent('onUserAudioAvailable');
    expect(mediaEvents(bob!)).toEqual(['onUserAudioAvailable:alice:false']);
    expect(mediaEvents(alice)).toEqual([]);
    const info = await rest(h.t, 'call_engine_http_srv/get_call_info', { CallId: callId });
    expect(info.Response).toMatchObject({
      CallInfo: { MediaType: 'Video' },
      UserList: [{ User_Account: 'alice' }, { User_Account: 'bob' }],
    });
  });
});
