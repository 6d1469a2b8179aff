import { describe, expect, it } from 'vitest';
import { isDialtoneError } from '../errors.js';
import type { Step } from './effects.js';
import { hangup } from './hangup.js';
import { startCall } from './start-call.js';

const T0 = 1_800_000_000_000;

function started(calleeIds: string[]) {
  const step = startCall({
    sdkAppId: 1,
    callId: 'c1',
    callerId: 'alice',
    robotCaller: false,
    calleeIds,
    mediaType: 'Audio',
    roomId: 99,
    generatedStringRoomId: 'g',
    generatedNumericRoomId: 1,
    busy: new Set(),
    callerBusy: false,
    now: T0,
  }) as Step;
  return step.call!;
}

describe('hangup by the caller before anyone answered', () => {
  it('cancels every ringing callee and ends the call with Cancel', () => {
    const step = hangup(started(['bob', 'carol']), { userId: 'alice', now: T0 + 4_500 }) as Step;
    expect(step.call).toBeUndefined();
    const notes = step.effects.filter((e) => e.type === 'notify');
    expect(notes).toEqual(
      ['alice', 'bob', 'carol'].map((userId) => ({
        type: 'notify',
        userId,
        event: 'onCallNotConnected',
        data: { callId: 'c1', mediaType: 'Audio', reason: 'canceled', userId: 'alice' },
      })),
    );
    expect(
      step.effects.filter((e) => e.type === 'cancelTimer' && e.kind === 'ring').map((e) => e.type === 'cancelTimer' && e.userId),
    ).toEqual(['bob', 'carol']);
    const callbacks = step.effects.filter((e) => e.type === 'callback');
    expect(callbacks).toEqual([
      {
        type: 'callback',
        command: 'Call.CallbackAfterMemberChanged',
        callId: 'c1',
        userList: [{ User_Account: 'alice', Status: 'Calling' }],
        changedUserList: [
          { User_Account: 'bob', ActionType: 'Cancel_Invite' },
          { User_Account: 'carol', ActionType: 'Cancel_Invite' },
        ],
        eventTime: T0 + 4_500,
      },
      {
        type: 'callback',
        command: 'Call.CallbackAfterEndCall',
        callRecord: {
          CallId: 'c1',
          Caller_Account: 'alice',
          MediaType: 'Audio',
          CallType: 'MultiCall',
          StartTime: T0 / 1000,
          AcceptTime: 0,
          EndTime: T0 / 1000 + 4,
          CallResult: 'Cancel',
          CalleeList_Account: ['alice', 'bob', 'carol'],
          RoomId: '99',
          RoomIdType: 1,
        },
        eventTime: T0 + 4_500,
      },
    ]);
  });

  it('refuses a hangup from someone who is not a member with -1203', () => {
    const r = hangup(started(['bob']), { userId: 'mallory', now: T0 });
    expect(isDialtoneError(r) && r.code).toBe(-1203);
  });
});
