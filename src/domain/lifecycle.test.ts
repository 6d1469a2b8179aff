/**
 * Every row of SPEC §5.2, for 1-to-1 and group calls, multiple devices (§5.3), and every op in
 * a state where it is not allowed (-1203). Effects are summarised as short strings:
 * `user[@device]:event[:reason]`, `MC:user:Action`, `End:Result`.
 */
import { describe, expect, it } from 'vitest';
import { isDialtoneError } from '../errors.js';
import { accept, heartbeatExpired, ignore, reject, ringTimeout } from './answer.js';
import type { Effect, Step } from './effects.js';
import { endByServer } from './end-by-server.js';
import { invite, join } from './invite-join.js';
import { hangup } from './hangup.js';
import { startCall } from './start-call.js';
import { ok, start, T0 } from '../testing/domain.js';

function summary(effects: Effect[]): string[] {
  const out: string[] = [];
  for (const e of effects) {
    if (e.type === 'notify') {
      const device = e.onlyDevice ? `@${e.onlyDevice}` : e.exceptDevice ? `@!${e.exceptDevice}` : '';
      const reason = typeof e.data.reason === 'string' ? `:${e.data.reason}` : '';
      out.push(`${e.userId}${device}:${e.event}${reason}`);
    } else if (e.type === 'callback') {
      if (e.command === 'Call.CallbackAfterMemberChanged')
        out.push(...e.changedUserList.map((c) => `MC:${c.User_Account}:${c.ActionType}`));
      if (e.command === 'Call.CallbackAfterEndCall') out.push(`End:${e.callRecord.CallResult}`);
    }
  }
  return out;
}

function record(step: Step) {
  const r = step.effects.find((e) => e.type === 'record');
  return r?.type === 'record' ? r.record : undefined;
}

const codeOf = (r: unknown) => (isDialtoneError(r) ? r.code : 'ok');

describe('1-to-1 calls, row by row', () => {
  it('callee accepts: connected, onCallBegin to both, Accept', () => {
    const s = ok(accept(start(['bob']), { userId: 'bob', deviceId: 'b1', now: T0 + 3000 }));
    expect(summary(s.effects)).toEqual([
      'bob@b1:onCallBegin',
      'bob@!b1:onCallNotConnected:otherDeviceAccepted',
      'alice@a1:onCallBegin',
      'alice@a1:onUserJoin',
      'MC:bob:Accept',
    ]);
    expect(s.call).toMatchObject({
      acceptTime: T0 + 3000,
      members: [
        { userId: 'alice', status: 'Calling' },
        { userId: 'bob', status: 'Calling', deviceId: 'b1' },
      ],
    });
    expect(s.effects).toContainEqual({ type: 'cancelTimer', kind: 'ring', userId: 'bob' });
  });

  it('callee rejects: ends Reject', () => {
    const s = ok(reject(start(['bob']), { userId: 'bob', deviceId: 'b1', now: T0 + 2000 }));
    expect(summary(s.effects)).toEqual([
      'bob@b1:onCallNotConnected:reject',
      'bob@!b1:onCallNotConnected:otherDeviceReject',
      'alice@a1:onUserReject',
      'MC:bob:Reject',
      'alice@a1:onCallNotConnected:reject',
      'End:Reject',
    ]);
    expect(s.call).toBeUndefined();
    expect(record(s)).toMatchObject({
      CallResult: 'Reject',
      AcceptTime: 0,
      StartTime: T0 / 1000,
      EndTime: T0 / 1000 + 2,
      CalleeList_Account: ['alice', 'bob'],
    });
  });

  it('callee does not answer before the timeout: ends NotAnswer', () => {
    const s = ringTimeout(start(['bob']), 'bob', T0 + 30_000);
    expect(summary(s.effects)).toEqual([
      'bob:onCallNotConnected:noResponse',
      'alice@a1:onUserNoResponse',
      'MC:bob:NotAnswer',
      'alice@a1:onCallNotConnected:noResponse',
      'End:NotAnswer',
    ]);
  });

  it('callee ignores: the caller hears line busy, no MemberChanged, ends CallBusy', () => {
    const s = ok(ignore(start(['bob']), { userId: 'bob', deviceId: 'b1', now: T0 + 1000 }));
    expect(summary(s.effects)).toEqual([
      'bob@b1:onCallNotConnected:lineBusy',
      'bob@!b1:onCallNotConnected:otherDeviceReject',
      'alice@a1:onUserLineBusy',
      'alice@a1:onCallNotConnected:lineBusy',
      'End:CallBusy',
    ]);
  });

  it('callee busy at start: ends CallBusy at once', () => {
    const s = ok(
      startCall({
        sdkAppId: 1,
        callId: 'c1',
        callerId: 'alice',
        callerDeviceId: 'a1',
        robotCaller: false,
        calleeIds: ['bob'],
        mediaType: 'Audio',
        generatedStringRoomId: 'r',
        generatedNumericRoomId: 1,
        busy: new Set(['bob']),
        callerBusy: false,
        now: T0,
      }),
    );
    expect(summary(s.effects)).toEqual(['alice@a1:onUserLineBusy', 'alice@a1:onCallNotConnected:lineBusy', 'End:CallBusy']);
  });

  it('caller hangs up before the callee accepted: Cancel_Invite, ends Cancel', () => {
    const s = ok(hangup(start(['bob']), { userId: 'alice', deviceId: 'a1', now: T0 + 1000 }));
    expect(summary(s.effects)).toEqual([
      'alice@a1:onCallNotConnected:canceled',
      'bob:onCallNotConnected:canceled',
      'MC:bob:Cancel_Invite',
      'End:Cancel',
    ]);
  });

  it('a connected member hangs up: Hangup, ends NormalEnd', () => {
    const connected = ok(accept(start(['bob']), { userId: 'bob', deviceId: 'b1', now: T0 + 1000 })).call!;
    const s = ok(hangup(connected, { userId: 'bob', deviceId: 'b1', now: T0 + 61_500 }));
    expect(summary(s.effects)).toEqual([
      'bob@b1:onCallEnd:hangup',
      'alice@a1:onUserLeave',
      'MC:bob:Hangup',
      'alice@a1:onCallEnd:hangup',
      'End:NormalEnd',
    ]);
    const end = s.effects.find((e) => e.type === 'notify' && e.userId === 'alice' && e.event === 'onCallEnd');
    expect(end).toMatchObject({ data: { userId: 'bob', totalTime: 60.5 } });
    expect(record(s)).toMatchObject({ AcceptTime: T0 / 1000 + 1, EndTime: T0 / 1000 + 61, CallResult: 'NormalEnd' });
  });

  it('the caller hangs up a connected call: ends NormalEnd', () => {
    const connected = ok(accept(start(['bob']), { userId: 'bob', deviceId: 'b1', now: T0 + 1000 })).call!;
    const s = ok(hangup(connected, { userId: 'alice', deviceId: 'a1', now: T0 + 5000 }));
    expect(summary(s.effects)).toEqual([
      'alice@a1:onCallEnd:hangup',
      'bob@b1:onUserLeave',
      'MC:alice:Hangup',
      'bob@b1:onCallEnd:hangup',
      'End:NormalEnd',
    ]);
  });

  it('a member reports media failure (hangup interrupt): ends Interrupt', () => {
    const connected = ok(accept(start(['bob']), { userId: 'bob', deviceId: 'b1', now: T0 + 1000 })).call!;
    const s = ok(hangup(connected, { userId: 'bob', deviceId: 'b1', interrupt: true, now: T0 + 5000 }));
    expect(summary(s.effects)).toContain('End:Interrupt');
    expect(summary(s.effects)).toContain('MC:bob:Hangup');
  });

  it("a member's heartbeat expires: Offline, ends Offline", () => {
    const connected = ok(accept(start(['bob']), { userId: 'bob', deviceId: 'b1', now: T0 + 1000 })).call!;
    const s = heartbeatExpired(connected, 'bob', T0 + 40_000);
    expect(summary(s.effects)).toEqual(['alice@a1:onUserLeave', 'MC:bob:Offline', 'alice@a1:onCallEnd:offline', 'End:Offline']);
  });

  it("the caller's heartbeat expires before anyone answered: ringing callees are cancelled, ends Offline", () => {
    const s = heartbeatExpired(start(['bob']), 'alice', T0 + 40_000);
    expect(summary(s.effects)).toEqual(['MC:alice:Offline', 'bob:onCallNotConnected:offline', 'MC:bob:Cancel_Invite', 'End:Offline']);
  });

  it('a member invites more users: Invite, the call becomes a group call', () => {
    const connected = ok(accept(start(['bob']), { userId: 'bob', deviceId: 'b1', now: T0 + 1000 })).call!;
    const s = ok(invite(connected, { userId: 'bob', userIdList: ['carol'], busy: new Set(), now: T0 + 2000 }));
    expect(summary(s.effects)).toEqual(['alice@a1:onUserInviting', 'bob@b1:onUserInviting', 'carol:onCallReceived', 'MC:carol:Invite']);
    expect(s.invited).toEqual(['carol']);
    expect(s.call).toMatchObject({ callType: 'MultiCall', everMembers: ['alice', 'bob', 'carol'] });
    expect(s.effects).toContainEqual({ type: 'setTimer', kind: 'ring', userId: 'carol', dueAt: T0 + 2000 + 30_000 });
  });

  it('nobody joins a 1-to-1 call by callId: -1203', () => {
    const connected = ok(accept(start(['bob']), { userId: 'bob', deviceId: 'b1', now: T0 + 1000 })).call!;
    expect(codeOf(join(connected, { userId: 'dave', deviceId: 'd1', busy: false, now: T0 + 2000 }))).toBe(-1203);
    expect(codeOf(join(connected, { userId: 'dave', deviceId: 'd1', busy: false, openGroupJoin: true, now: T0 + 2000 }))).toBe(-1203);
  });

  it('end_call of a connected call: endByServer to everyone, ends NormalEnd', () => {
    const connected = ok(accept(start(['bob']), { userId: 'bob', deviceId: 'b1', now: T0 + 1000 })).call!;
    const s = endByServer(connected, T0 + 9000);
    expect(summary(s.effects)).toEqual(['alice@a1:onCallEnd:endByServer', 'bob@b1:onCallEnd:endByServer', 'End:NormalEnd']);
  });

  it('end_call of a ringing call: ends Cancel', () => {
    const s = endByServer(start(['bob']), T0 + 9000);
    expect(summary(s.effects)).toEqual(['alice@a1:onCallNotConnected:endByServer', 'bob:onCallNotConnected:endByServer', 'End:Cancel']);
  });
});

describe('group calls, row by row', () => {
  const group = () => start(['bob', 'carol']);

  it('accepts: the first connects the call, later ones join it', () => {
    const first = ok(accept(group(), { userId: 'bob', deviceId: 'b1', now: T0 + 1000 }));
    expect(summary(first.effects)).toEqual([
      'bob@b1:onCallBegin',
      'bob@!b1:onCallNotConnected:otherDeviceAccepted',
      'alice@a1:onCallBegin',
      'alice@a1:onUserJoin',
      'MC:bob:Accept',
    ]);
    const second = ok(accept(first.call!, { userId: 'carol', deviceId: 'c1', now: T0 + 2000 }));
    expect(summary(second.effects)).toEqual([
      'carol@c1:onCallBegin',
      'carol@!c1:onCallNotConnected:otherDeviceAccepted',
      'alice@a1:onUserJoin',
      'bob@b1:onUserJoin',
      'MC:carol:Accept',
    ]);
    expect(second.call?.acceptTime).toBe(T0 + 1000);
  });

  it('a reject leaves the call ringing for the others; the last outcome decides the result', () => {
    const s1 = ok(reject(group(), { userId: 'bob', deviceId: 'b1', now: T0 + 1000 }));
    expect(summary(s1.effects)).toEqual([
      'bob@b1:onCallNotConnected:reject',
      'bob@!b1:onCallNotConnected:otherDeviceReject',
      'alice@a1:onUserReject',
      'carol:onUserReject',
      'MC:bob:Reject',
    ]);
    expect(s1.call).toBeDefined();
    const s2 = ringTimeout(s1.call!, 'carol', T0 + 30_000);
    expect(summary(s2.effects)).toEqual([
      'carol:onCallNotConnected:noResponse',
      'alice@a1:onUserNoResponse',
      'MC:carol:NotAnswer',
      'alice@a1:onCallNotConnected:noResponse',
      'End:NotAnswer',
    ]);
    expect(record(s2)).toMatchObject({ CallType: 'MultiCall', CallResult: 'NotAnswer', CalleeList_Account: ['alice', 'bob', 'carol'] });
  });

  it('ignore by one callee leaves the others ringing; the caller hears line busy', () => {
    const s = ok(ignore(group(), { userId: 'carol', deviceId: 'c1', now: T0 + 1000 }));
    expect(summary(s.effects)).toEqual([
      'carol@c1:onCallNotConnected:lineBusy',
      'carol@!c1:onCallNotConnected:otherDeviceReject',
      'alice@a1:onUserLineBusy',
      'bob:onUserLineBusy',
    ]);
    expect(s.call?.members.map((m) => m.userId)).toEqual(['alice', 'bob']);
  });

  it('a callee who rejected joins again by callId: Join', () => {
    let call = ok(accept(group(), { userId: 'bob', deviceId: 'b1', now: T0 + 1000 })).call!;
    call = ok(reject(call, { userId: 'carol', deviceId: 'c1', now: T0 + 1500 })).call!;
    const s = ok(join(call, { userId: 'carol', deviceId: 'c2', busy: false, now: T0 + 2000 }));
    expect(summary(s.effects)).toEqual(['carol@c2:onCallBegin', 'alice@a1:onUserJoin', 'bob@b1:onUserJoin', 'MC:carol:Join']);
    expect(s.call?.members.map((m) => `${m.userId}:${m.status}`)).toEqual(['alice:Calling', 'bob:Calling', 'carol:Calling']);
  });

  it('busy callees at start are not rung; the others are', () => {
    const call = start(['bob', 'carol'], ['carol']);
    expect(call.members.map((m) => m.userId)).toEqual(['alice', 'bob']);
    expect(call.everMembers).toEqual(['alice', 'bob', 'carol']);
  });

  it('caller cancels a group call: Cancel_Invite for every ringing callee', () => {
    const s = ok(hangup(group(), { userId: 'alice', deviceId: 'a1', now: T0 + 1000 }));
    expect(summary(s.effects)).toEqual([
      'alice@a1:onCallNotConnected:canceled',
      'bob:onCallNotConnected:canceled',
      'carol:onCallNotConnected:canceled',
      'MC:bob:Cancel_Invite',
      'MC:carol:Cancel_Invite',
      'End:Cancel',
    ]);
  });

  it('hangups leave a connected group call running until one member is left: NormalEnd', () => {
    let call = ok(accept(group(), { userId: 'bob', deviceId: 'b1', now: T0 + 1000 })).call!;
    call = ok(accept(call, { userId: 'carol', deviceId: 'c1', now: T0 + 1000 })).call!;
    const s1 = ok(hangup(call, { userId: 'alice', deviceId: 'a1', now: T0 + 5000 }));
    expect(summary(s1.effects)).toEqual(['alice@a1:onCallEnd:hangup', 'bob@b1:onUserLeave', 'carol@c1:onUserLeave', 'MC:alice:Hangup']);
    const s2 = ok(hangup(s1.call!, { userId: 'bob', deviceId: 'b1', now: T0 + 6000 }));
    expect(summary(s2.effects)).toEqual([
      'bob@b1:onCallEnd:hangup',
      'carol@c1:onUserLeave',
      'MC:bob:Hangup',
      'carol@c1:onCallEnd:hangup',
      'End:NormalEnd',
    ]);
  });

  it('a heartbeat loss in a connected group call: Offline, the call goes on, and ends NormalEnd', () => {
    let call = ok(accept(group(), { userId: 'bob', deviceId: 'b1', now: T0 + 1000 })).call!;
    call = ok(accept(call, { userId: 'carol', deviceId: 'c1', now: T0 + 1000 })).call!;
    const s1 = heartbeatExpired(call, 'carol', T0 + 40_000);
    expect(summary(s1.effects)).toEqual(['alice@a1:onUserLeave', 'bob@b1:onUserLeave', 'MC:carol:Offline']);
    const s2 = heartbeatExpired(s1.call!, 'bob', T0 + 50_000);
    expect(summary(s2.effects)).toContain('End:NormalEnd');
  });

  it('a connected member waiting on ringing invitees keeps the call alive', () => {
    let call = ok(accept(group(), { userId: 'bob', deviceId: 'b1', now: T0 + 1000 })).call!;
    const s = ok(hangup(call, { userId: 'bob', deviceId: 'b1', now: T0 + 2000 }));
    expect(s.call?.members.map((m) => `${m.userId}:${m.status}`)).toEqual(['alice:Calling', 'carol:Waiting']);
    call = s.call!;
    const end = ringTimeout(call, 'carol', T0 + 30_000);
    expect(summary(end.effects)).toContain('End:NormalEnd');
  });

  it('invite and join respect the 9-member limit', () => {
    const eight = start(['1', '2', '3', '4', '5', '6', '7']);
    expect(codeOf(invite(eight, { userId: 'alice', userIdList: ['8', '9'], busy: new Set(), now: T0 }))).toBe(-1202);
    const nine = ok(invite(eight, { userId: 'alice', userIdList: ['8'], busy: new Set(), now: T0 })).call!;
    expect(nine.members).toHaveLength(9);
    expect(codeOf(join(nine, { userId: 'x', busy: false, now: T0 }))).toBe(-1203);
    expect(codeOf(join(nine, { userId: 'x', busy: false, openGroupJoin: true, now: T0 }))).toBe(-1202);
  });

  it('busy invitees are not rung; the inviter hears line busy', () => {
    const call = ok(accept(start(['bob']), { userId: 'bob', deviceId: 'b1', now: T0 })).call!;
    const s = ok(invite(call, { userId: 'bob', userIdList: ['carol', 'dave'], busy: new Set(['dave']), now: T0 }));
    expect(s.invited).toEqual(['carol']);
    expect(summary(s.effects)).toContain('bob@b1:onUserLineBusy');
  });
});

describe('multiple devices (SPEC §5.3)', () => {
  it('the accepting device wins; the call then follows that device only', () => {
    const s = ok(accept(start(['bob']), { userId: 'bob', deviceId: 'phone', now: T0 }));
    expect(summary(s.effects).filter((x) => x.startsWith('bob'))).toEqual([
      'bob@phone:onCallBegin',
      'bob@!phone:onCallNotConnected:otherDeviceAccepted',
    ]);
    expect(codeOf(accept(s.call!, { userId: 'bob', deviceId: 'laptop', now: T0 }))).toBe(-1203);
    const end = ok(hangup(s.call!, { userId: 'alice', deviceId: 'a1', now: T0 + 1000 }));
    expect(summary(end.effects)).toContain('bob@phone:onCallEnd:hangup');
  });
});

describe('ops where they are not allowed: -1203', () => {
  const connected = () => ok(accept(start(['bob', 'carol']), { userId: 'bob', deviceId: 'b1', now: T0 })).call!;
  it.each([
    ['accept by a member already in the call', () => accept(connected(), { userId: 'bob', now: T0 })],
    ['accept by the caller', () => accept(connected(), { userId: 'alice', now: T0 })],
    ['accept by a stranger', () => accept(connected(), { userId: 'mallory', now: T0 })],
    ['reject by a member already in the call', () => reject(connected(), { userId: 'bob', now: T0 })],
    ['reject by a stranger', () => reject(connected(), { userId: 'mallory', now: T0 })],
    ['ignore by a member already in the call', () => ignore(connected(), { userId: 'bob', now: T0 })],
    ['ignore by a stranger', () => ignore(connected(), { userId: 'mallory', now: T0 })],
    ['hangup by a stranger', () => hangup(connected(), { userId: 'mallory', now: T0 })],
    ['invite by a ringing callee', () => invite(connected(), { userId: 'carol', userIdList: ['dave'], busy: new Set(), now: T0 })],
    ['invite by a stranger', () => invite(connected(), { userId: 'mallory', userIdList: ['dave'], busy: new Set(), now: T0 })],
    ['join by a member', () => join(connected(), { userId: 'carol', busy: false, now: T0 })],
  ])('%s', (_name, op) => {
    expect(codeOf(op())).toBe(-1203);
  });

  it('join by a user busy in another call: -1204', () => {
    const rejected = ok(reject(connected(), { userId: 'carol', now: T0 })).call!;
    expect(codeOf(join(rejected, { userId: 'carol', busy: true, now: T0 }))).toBe(-1204);
  });

  it('invite of someone already in the call: -1202', () => {
    expect(codeOf(invite(connected(), { userId: 'bob', userIdList: ['carol'], busy: new Set(), now: T0 }))).toBe(-1202);
  });

  it('timers for members who are no longer ringing or in the call do nothing', () => {
    const call = connected();
    expect(ringTimeout(call, 'bob', T0).effects).toEqual([]);
    expect(heartbeatExpired(call, 'carol', T0).effects).toEqual([]);
    expect(heartbeatExpired(call, 'mallory', T0).effects).toEqual([]);
  });
});
