import { describe, expect, it } from 'vitest';
import { isDialtoneError } from '../errors.js';
import type { Step } from './effects.js';
import { resolveRoomId, startCall, type StartCallInput } from './start-call.js';

const NOW = 1_800_000_000_123;

function input(overrides: Partial<StartCallInput> = {}): StartCallInput {
  return {
    sdkAppId: 1400000000,
    callId: 'call-1',
    callerId: 'alice',
    robotCaller: false,
    calleeIds: ['bob'],
    mediaType: 'Video',
    generatedStringRoomId: 'room-generated',
    generatedNumericRoomId: 424242,
    busy: new Set(),
    callerBusy: false,
    now: NOW,
    ...overrides,
  };
}

function ok(result: Step | Error): Step {
  if (isDialtoneError(result)) throw result;
  return result as Step;
}

describe('startCall', () => {
  it('starts a 1-to-1 call: StartCall callback, onCallReceived and a ring timer for the callee', () => {
    const step = ok(startCall(input()));
    expect(step.call).toMatchObject({
      callId: 'call-1',
      callType: 'SingleCall',
      roomId: 'room-generated',
      roomIdType: 2,
      timeoutSeconds: 30,
      startTime: NOW,
      acceptTime: 0,
      members: [
        { userId: 'alice', status: 'Calling' },
        { userId: 'bob', status: 'Waiting' },
      ],
      everMembers: ['alice', 'bob'],
    });
    expect(step.effects).toEqual([
      {
        type: 'callback',
        command: 'Call.CallbackAfterStartCall',
        callInfo: { CallId: 'call-1', MediaType: 'Video', ChatGroupId: '', RoomId: 'room-generated', RoomIdType: 2 },
        userList: [
          { User_Account: 'alice', Status: 'Calling' },
          { User_Account: 'bob', Status: 'Waiting' },
        ],
        eventTime: NOW,
      },
      {
        type: 'notify',
        userId: 'bob',
        event: 'onCallReceived',
        data: {
          callId: 'call-1',
          callerId: 'alice',
          calleeIdList: ['bob'],
          mediaType: 'Video',
          info: { roomId: 'room-generated', roomIdType: 2, userData: '', chatGroupId: '', timeout: 30 },
        },
      },
      { type: 'setTimer', kind: 'ring', userId: 'bob', dueAt: NOW + 30_000 },
    ]);
  });

  it('makes a group call MultiCall and rings every callee with its timeout', () => {
    const step = ok(startCall(input({ calleeIds: ['bob', 'carol'], timeoutSeconds: 12 })));
    expect(step.call?.callType).toBe('MultiCall');
    expect(step.effects.filter((e) => e.type === 'setTimer')).toEqual([
      { type: 'setTimer', kind: 'ring', userId: 'bob', dueAt: NOW + 12_000 },
      { type: 'setTimer', kind: 'ring', userId: 'carol', dueAt: NOW + 12_000 },
    ]);
  });

  it('refuses a caller already in a call with -1204', () => {
    const r = startCall(input({ callerBusy: true }));
    expect(isDialtoneError(r) && r.code).toBe(-1204);
  });

  it.each([
    ['empty list', { calleeIds: [] }],
    ['duplicates', { calleeIds: ['bob', 'bob'] }],
    ['the caller itself', { calleeIds: ['alice'] }],
    ['more than 8 callees', { calleeIds: ['1', '2', '3', '4', '5', '6', '7', '8', '9'] }],
    ['a negative timeout', { timeoutSeconds: -1 }],
    ['a fractional timeout', { timeoutSeconds: 1.5 }],
    ['a timeout over 600 s', { timeoutSeconds: 601 }],
  ] as const)('refuses %s with -1202', (_name, overrides) => {
    const r = startCall(input(overrides as Partial<StartCallInput>));
    expect(isDialtoneError(r) && r.code).toBe(-1202);
  });

  it('accepts exactly 9 members', () => {
    const step = ok(startCall(input({ calleeIds: ['1', '2', '3', '4', '5', '6', '7', '8'] })));
    expect(step.call?.members).toHaveLength(9);
  });

  it('does not ring busy callees: the caller hears line busy, and a 1-to-1 call ends with CallBusy', () => {
    const step = ok(startCall(input({ busy: new Set(['bob']) })));
    expect(step.call).toBeUndefined();
    expect(step.effects.map((e) => (e.type === 'notify' ? `${e.userId}:${e.event}` : e.type === 'callback' ? e.command : e.type))).toEqual([
      'Call.CallbackAfterStartCall',
      'alice:onUserLineBusy',
      'alice:onCallNotConnected',
      'record',
      'Call.CallbackAfterEndCall',
    ]);
    const record = step.effects.find((e) => e.type === 'record');
    expect(record).toMatchObject({ record: { CallResult: 'CallBusy', AcceptTime: 0, CalleeList_Account: ['alice', 'bob'] } });
  });

  it('rings the free callees of a group call and reports the busy ones', () => {
    const step = ok(startCall(input({ calleeIds: ['bob', 'carol'], busy: new Set(['carol']) })));
    expect(step.call?.members.map((m) => m.userId)).toEqual(['alice', 'bob']);
    expect(step.effects).toContainEqual({
      type: 'notify',
      userId: 'alice',
      event: 'onUserLineBusy',
      data: { callId: 'call-1', userId: 'carol' },
    });
  });
});

describe('resolveRoomId', () => {
  const r = (id: number | string | undefined, type?: 1 | 2) => resolveRoomId(id, type, 'gen', 77);
  it('generates a string room id when absent, numeric when type 1 is asked for', () => {
    expect(r(undefined)).toEqual({ roomId: 'gen', roomIdType: 2 });
    expect(r(undefined, 1)).toEqual({ roomId: 77, roomIdType: 1 });
  });
  it('takes numbers in 1..4294967295 as type 1', () => {
    expect(r(1)).toEqual({ roomId: 1, roomIdType: 1 });
    expect(r(4294967295, 1)).toEqual({ roomId: 4294967295, roomIdType: 1 });
    expect(r('123', 1)).toEqual({ roomId: 123, roomIdType: 1 });
  });
  it('takes strings up to 64 characters as type 2', () => {
    expect(r('123')).toEqual({ roomId: '123', roomIdType: 2 });
    expect(r('x'.repeat(64), 2)).toEqual({ roomId: 'x'.repeat(64), roomIdType: 2 });
  });
  it.each([[0], [4294967296], [1.5], [-3]])('refuses numeric room id %s', (id) => {
    expect(isDialtoneError(r(id))).toBe(true);
  });
  it('refuses mismatched types and long strings', () => {
    expect(isDialtoneError(r(5, 2))).toBe(true);
    expect(isDialtoneError(r('abc', 1))).toBe(true);
    expect(isDialtoneError(r('x'.repeat(65)))).toBe(true);
  });
});
