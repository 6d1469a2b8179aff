/** The client's current call, event by event: members, their camera and microphone, the media type. */
import { describe, expect, it } from 'vitest';
import { afterEvent, started, withMediaState } from './current-call.js';
import type { CallInfo, ClientEventName, ClientEvents, CurrentCall } from './types.js';

const info: CallInfo = { roomId: 'r1', roomIdType: 2, userData: '', chatGroupId: '', timeout: 30 };
const T = 1_800_000_000_000;

/** Applies events in order as `self` (bob unless told), one millisecond apart. */
function run(events: [ClientEventName, unknown][], from: CurrentCall | null = null, self = 'bob'): CurrentCall | null {
  let current = from;
  events.forEach(([name, data], i) => {
    current = afterEvent(current, name, data as ClientEvents[typeof name], self, T + i);
  });
  return current;
}

const received: [ClientEventName, unknown] = [
  'onCallReceived',
  { callId: 'c1', callerId: 'alice', calleeIdList: ['bob'], mediaType: 'Video', info },
];

describe('current call', () => {
  it('rings, connects with the members the server lists, and follows their camera, microphone and the media type', () => {
    const ringing = run([received]);
    expect(ringing).toEqual({
      callId: 'c1',
      callerId: 'alice',
      mediaType: 'Video',
      info,
      status: 'Waiting',
      members: [
        { userId: 'alice', status: 'Calling' },
        { userId: 'bob', status: 'Waiting' },
      ],
      startTime: T,
      acceptTime: 0,
    });
    const begin = {
      callId: 'c1',
      callerId: 'alice',
      mediaType: 'Video',
      info,
      members: [
        { userId: 'alice', status: 'Calling', camera: false },
        { userId: 'bob', status: 'Calling' },
      ],
    };
    const inCall = run([['onCallBegin', begin]], ringing);
    expect(inCall).toMatchObject({ status: 'Calling', startTime: T, acceptTime: T, members: begin.members });

    const later = run(
      [
        ['onUserVideoAvailable', { callId: 'c1', userId: 'alice', available: true }],
        ['onUserAudioAvailable', { callId: 'c1', userId: 'alice', available: false }],
        ['onUserVideoAvailable', { callId: 'other', userId: 'alice', available: false }],
        ['onCallMediaTypeChanged', { callId: 'c1', oldMediaType: 'Video', newMediaType: 'Audio' }],
      ],
      inCall,
    );
    expect(later?.mediaType).toBe('Audio');
    expect(later?.members[0]).toEqual({ userId: 'alice', status: 'Calling', camera: true, microphone: false });
    // Each change is a new object: what a page held is unchanged.
    expect(inCall?.members[0]).toEqual({ userId: 'alice', status: 'Calling', camera: false });
    expect(run([['onCallEnd', { callId: 'c1', mediaType: 'Audio', reason: 'hangup', userId: 'alice', totalTime: 3 }]], later)).toBeNull();
  });

  it('follows members coming and going in a group call', () => {
    const call = started('alice', { userIdList: ['bob', 'carol'], mediaType: 'Audio' }, { callId: 'g1', roomId: 7, roomIdType: 1 }, T);
    expect(call).toMatchObject({
      callerId: 'alice',
      status: 'Calling',
      info: { roomId: 7, roomIdType: 1, timeout: 30, userData: '', chatGroupId: '' },
      acceptTime: 0,
    });
    const after = run(
      [
        ['onCallBegin', { callId: 'g1', mediaType: 'Audio', info }],
        ['onUserJoin', { callId: 'g1', userId: 'bob' }],
        ['onUserReject', { callId: 'g1', userId: 'carol' }],
        ['onUserInviting', { callId: 'g1', userId: 'dave' }],
        ['onUserInviting', { callId: 'g1', userId: 'dave' }],
        ['onUserAudioAvailable', { callId: 'g1', userId: 'dave', available: false }],
        ['onUserJoin', { callId: 'g1', userId: 'dave' }],
        ['onUserLeave', { callId: 'g1', userId: 'bob' }],
      ],
      call,
      'alice',
    );
    expect(after?.members).toEqual([
      { userId: 'alice', status: 'Calling' },
      { userId: 'dave', status: 'Calling', microphone: false },
    ]);
    expect(after?.acceptTime).toBe(T);
  });

  it('takes onCallState whole, and a joiner who heard no ring learns the call from onCallBegin', () => {
    const state: CurrentCall = {
      callId: 'c9',
      callerId: 'alice',
      mediaType: 'Video',
      info,
      status: 'Calling',
      members: [{ userId: 'bob', status: 'Calling', microphone: false }],
      startTime: 5,
      acceptTime: 6,
    };
    expect(run([['onCallState', state]], run([received]))).toEqual(state);
    const joined = run([['onCallBegin', { callId: 'g2', callerId: 'carol', mediaType: 'Audio', info, members: state.members }]]);
    expect(joined).toMatchObject({ callId: 'g2', callerId: 'carol', status: 'Calling', members: state.members, acceptTime: T });
  });

  it('ends with the call, a kick or an expired UserSig, and ignores other calls', () => {
    const ringing = run([received]);
    expect(
      run([['onCallNotConnected', { callId: 'c1', mediaType: 'Video', reason: 'otherDeviceAccepted', userId: 'bob' }]], ringing),
    ).toBeNull();
    expect(run([['onCallNotConnected', { callId: 'zz', mediaType: 'Video', reason: 'canceled', userId: 'x' }]], ringing)).toBe(ringing);
    expect(run([['onCallBegin', { callId: 'zz', mediaType: 'Video', info }]], ringing)).toBe(ringing);
    expect(run([['onKickedOffline', {}]], ringing)).toBeNull();
    expect(run([['onUserSigExpired', {}]], ringing)).toBeNull();
    expect(run([['onUserJoin', { callId: 'c1', userId: 'x' }]], null)).toBeNull();
  });

  it("sets this user's own state after setMediaState, only for a member", () => {
    const call = started('alice', { userIdList: ['bob'], mediaType: 'Video' }, { callId: 'c1', roomId: 'r', roomIdType: 2 }, T);
    expect(withMediaState(call, 'alice', { camera: false }).members[0]).toEqual({ userId: 'alice', status: 'Calling', camera: false });
    expect(withMediaState(call, 'nobody', { camera: false })).toBe(call);
  });
});
