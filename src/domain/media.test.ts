/**
 * Members' camera and microphone (`setMediaState`) and the media type switch (`switchMediaType`):
 * who hears what, what is kept in the call, what the record says, and when each is refused.
 */
import { describe, expect, it } from 'vitest';
import { isDialtoneError } from '../errors.js';
import { accept, heartbeatExpired } from './answer.js';
import type { Effect, Step } from './effects.js';
import { hangup } from './hangup.js';
import { invite, join } from './invite-join.js';
import { setMediaState, switchMediaType } from './media.js';
import { resume } from './presence.js';
import type { Call } from './types.js';
import { ok, start, T0 } from '../testing/domain.js';

/** `user[@device]:event:{data without callId}` for each client event. */
function events(effects: Effect[]): string[] {
  return effects.flatMap((e) => {
    if (e.type !== 'notify') return [];
    const { callId: _callId, ...data } = e.data;
    return [`${e.userId}${e.onlyDevice ? `@${e.onlyDevice}` : ''}:${e.event}:${JSON.stringify(data)}`];
  });
}

const codeOf = (r: unknown) => (isDialtoneError(r) ? r.code : 'ok');

/** alice (a1) called bob, who accepted on b1. */
function connected(): Call {
  return ok(accept(start(['bob']), { userId: 'bob', deviceId: 'b1', now: T0 + 1000 })).call!;
}

/** alice (a1) called bob and carol; both accepted (b1, c1). */
function group(): Call {
  const rung = start(['bob', 'carol']);
  const bobIn = ok(accept(rung, { userId: 'bob', deviceId: 'b1', now: T0 + 1000 })).call!;
  return ok(accept(bobIn, { userId: 'carol', deviceId: 'c1', now: T0 + 2000 })).call!;
}

function record(step: Step) {
  const r = step.effects.find((e) => e.type === 'record');
  return r?.type === 'record' ? r.record : undefined;
}

describe('setMediaState', () => {
  it('tells the others in the call, for the fields given only, and keeps the state in the call', () => {
    const s = ok(setMediaState(group(), { userId: 'bob', camera: false }));
    expect(events(s.effects)).toEqual([
      'alice@a1:onUserVideoAvailable:{"userId":"bob","available":false}',
      'carol@c1:onUserVideoAvailable:{"userId":"bob","available":false}',
    ]);
    expect(s.call!.members.find((m) => m.userId === 'bob')).toEqual({ userId: 'bob', status: 'Calling', deviceId: 'b1', camera: false });

    const both = ok(setMediaState(s.call!, { userId: 'bob', camera: true, microphone: false }));
    expect(events(both.effects)).toEqual([
      'alice@a1:onUserVideoAvailable:{"userId":"bob","available":true}',
      'alice@a1:onUserAudioAvailable:{"userId":"bob","available":false}',
      'carol@c1:onUserVideoAvailable:{"userId":"bob","available":true}',
      'carol@c1:onUserAudioAvailable:{"userId":"bob","available":false}',
    ]);
    expect(both.call!.members.find((m) => m.userId === 'bob')).toMatchObject({ camera: true, microphone: false });
    // Nothing else about the call changes.
    expect({ ...both.call!, members: [] }).toEqual({ ...group(), members: [] });
  });

  it('never echoes to the sender, and a ringing member hears nothing until they enter', () => {
    const rung = start(['bob', 'carol']);
    const bobIn = ok(accept(rung, { userId: 'bob', deviceId: 'b1', now: T0 + 1000 })).call!;
    const s = ok(setMediaState(bobIn, { userId: 'alice', microphone: false }));
    expect(events(s.effects)).toEqual(['bob@b1:onUserAudioAvailable:{"userId":"alice","available":false}']);
  });

  it('sends the events again when the state is unchanged, and then hands back the same call (nothing to save)', () => {
    const off = ok(setMediaState(connected(), { userId: 'alice', camera: false })).call!;
    const again = ok(setMediaState(off, { userId: 'alice', camera: false }));
    expect(again.call).toBe(off);
    expect(events(again.effects)).toEqual(['bob@b1:onUserVideoAvailable:{"userId":"alice","available":false}']);
  });

  it('lets a ringing callee set theirs, tells those in the call, and keeps it when they accept', () => {
    const rung = start(['bob']);
    const s = ok(setMediaState(rung, { userId: 'bob', camera: false }));
    expect(events(s.effects)).toEqual(['alice@a1:onUserVideoAvailable:{"userId":"bob","available":false}']);
    const accepted = ok(accept(s.call!, { userId: 'bob', deviceId: 'b1', now: T0 + 1000 }));
    expect(accepted.call!.members[1]).toEqual({ userId: 'bob', status: 'Calling', deviceId: 'b1', camera: false });
  });

  it('refuses: neither field given (-1202), not a member (-1203)', () => {
    const refused = setMediaState(connected(), { userId: 'alice' });
    expect(codeOf(refused)).toBe(-1202);
    expect(isDialtoneError(refused) && refused.message).toBe('give camera, microphone or both');
    expect(codeOf(setMediaState(connected(), { userId: 'dave', camera: true }))).toBe(-1203);
    const left = ok(hangup(group(), { userId: 'carol', deviceId: 'c1', now: T0 + 3000 })).call!;
    expect(codeOf(setMediaState(left, { userId: 'carol', camera: true }))).toBe(-1203);
  });
});

describe('the state reaches whoever needs it', () => {
  it('onCallState to a member who comes back lists every member with what they set', () => {
    const c = ok(
      setMediaState(ok(setMediaState(connected(), { userId: 'bob', camera: false })).call!, { userId: 'alice', microphone: true }),
    ).call!;
    const s = resume(c, 'alice', 'a2', false);
    const state = s.effects.find((e) => e.type === 'notify' && e.event === 'onCallState');
    expect(state?.type === 'notify' && state.data.members).toEqual([
      { userId: 'alice', status: 'Calling', microphone: true },
      { userId: 'bob', status: 'Calling', camera: false },
    ]);
    // The device move keeps the state.
    expect(s.call!.members[0]).toEqual({ userId: 'alice', status: 'Calling', deviceId: 'a2', microphone: true });
  });

  it('onCallBegin lists the members with their state, to a joiner and to an invitee who accepts', () => {
    const c = ok(setMediaState(group(), { userId: 'carol', camera: false, microphone: false })).call!;
    const left = ok(hangup(c, { userId: 'bob', deviceId: 'b1', now: T0 + 3000 })).call!;
    const back = ok(join(left, { userId: 'bob', deviceId: 'b2', busy: false, now: T0 + 4000 }));
    const begin = back.effects.find((e) => e.type === 'notify' && e.event === 'onCallBegin');
    expect(begin?.type === 'notify' && begin.onlyDevice).toBe('b2');
    expect(begin?.type === 'notify' && begin.data.callerId).toBe('alice');
    expect(begin?.type === 'notify' && begin.data.members).toEqual([
      { userId: 'alice', status: 'Calling' },
      { userId: 'carol', status: 'Calling', camera: false, microphone: false },
      { userId: 'bob', status: 'Calling' },
    ]);

    const invited = ok(invite(c, { userId: 'alice', userIdList: ['dave'], busy: new Set(), now: T0 + 5000 })).call!;
    const daveIn = ok(accept(invited, { userId: 'dave', deviceId: 'd1', now: T0 + 6000 }));
    const daveBegin = daveIn.effects.find((e) => e.type === 'notify' && e.event === 'onCallBegin' && e.userId === 'dave');
    expect(daveBegin?.type === 'notify' && daveBegin.data.members).toContainEqual({
      userId: 'carol',
      status: 'Calling',
      camera: false,
      microphone: false,
    });
  });

  it('a member who leaves and joins again starts with no state', () => {
    const c = ok(setMediaState(group(), { userId: 'bob', camera: false })).call!;
    const left = ok(hangup(c, { userId: 'bob', deviceId: 'b1', now: T0 + 3000 })).call!;
    const back = ok(join(left, { userId: 'bob', deviceId: 'b1', busy: false, now: T0 + 4000 })).call!;
    expect(back.members.find((m) => m.userId === 'bob')).toEqual({ userId: 'bob', status: 'Calling', deviceId: 'b1' });
  });
});

describe('switchMediaType', () => {
  it('changes a connected 1-to-1 call and tells both members, the switcher too', () => {
    const s = ok(switchMediaType(connected(), { userId: 'bob', mediaType: 'Audio' }));
    expect(s.call!.mediaType).toBe('Audio');
    expect(events(s.effects)).toEqual([
      'alice@a1:onCallMediaTypeChanged:{"oldMediaType":"Video","newMediaType":"Audio"}',
      'bob@b1:onCallMediaTypeChanged:{"oldMediaType":"Video","newMediaType":"Audio"}',
    ]);
    const back = ok(switchMediaType(s.call!, { userId: 'alice', mediaType: 'Video' }));
    expect(back.call!.mediaType).toBe('Video');
    expect(events(back.effects)[0]).toBe('alice@a1:onCallMediaTypeChanged:{"oldMediaType":"Audio","newMediaType":"Video"}');
  });

  it('to the type the call already has: nothing changes, nobody is told', () => {
    const c = connected();
    const s = ok(switchMediaType(c, { userId: 'alice', mediaType: 'Video' }));
    expect(s.call).toBe(c);
    expect(s.effects).toEqual([]);
  });

  it('the record and the EndCall callback carry the type the call has when it ends', () => {
    const audio = ok(switchMediaType(connected(), { userId: 'alice', mediaType: 'Audio' })).call!;
    const ended = ok(hangup(audio, { userId: 'bob', deviceId: 'b1', now: T0 + 60_000 }));
    expect(record(ended)).toMatchObject({ MediaType: 'Audio', CallResult: 'NormalEnd' });
    const end = ended.effects.find((e) => e.type === 'callback' && e.command === 'Call.CallbackAfterEndCall');
    expect(end?.type === 'callback' && end.command === 'Call.CallbackAfterEndCall' && end.callRecord.MediaType).toBe('Audio');
    expect(events(ended.effects)).toContain('alice@a1:onCallEnd:{"mediaType":"Audio","reason":"hangup","userId":"bob","totalTime":59}');
    const offline = ok(heartbeatExpired(audio, 'alice', T0 + 90_000));
    expect(record(offline)).toMatchObject({ MediaType: 'Audio', CallResult: 'Offline' });
  });

  it('refuses (-1203): a ringing call, a group call, one who is not in the call', () => {
    expect(codeOf(switchMediaType(start(['bob']), { userId: 'alice', mediaType: 'Audio' }))).toBe(-1203);
    expect(codeOf(switchMediaType(start(['bob']), { userId: 'bob', mediaType: 'Audio' }))).toBe(-1203);
    expect(codeOf(switchMediaType(group(), { userId: 'alice', mediaType: 'Audio' }))).toBe(-1203);
    expect(codeOf(switchMediaType(connected(), { userId: 'carol', mediaType: 'Audio' }))).toBe(-1203);
    // A 1-to-1 call that invited someone is a group call from then on.
    const grown = ok(invite(connected(), { userId: 'alice', userIdList: ['carol'], busy: new Set(), now: T0 + 2000 })).call!;
    expect(codeOf(switchMediaType(grown, { userId: 'alice', mediaType: 'Audio' }))).toBe(-1203);
  });
});
