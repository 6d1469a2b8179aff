/**
 * What happens when a member leaves a call, for whatever reason, and whether the call then
 * ends (SPEC §5.2): a call ends when at most one member is `Calling` and nobody is `Waiting`,
 * or when nobody is `Calling` any more.
 */
import { clientInfo, endEffects, mediaOf, memberOf, memberStates, membersIn, userList } from './call-state.js';
import type { ClientEventName, Effect, NotifyEffect, Step } from './effects.js';
import { presenceTimersOff } from './presence.js';
import type { ActionType, Call, CallResult, EndReason, Member } from './types.js';

/** Why a member leaves. */
export type LeaveReason = 'reject' | 'ignore' | 'noAnswer' | 'hangup' | 'interrupt' | 'offline';

interface LeaveRule {
  /** MemberChanged action; none for `ignore` (SPEC §5.2: the caller hears line busy). */
  action?: ActionType;
  /** Event the remaining members get about the leaver. */
  othersEvent: ClientEventName;
  /** Client-facing reason when the call ends because of this. */
  endReason: EndReason;
  /** Result of a call that never connected and ends because of this. */
  outcome: CallResult;
}

const RULES: Record<LeaveReason, LeaveRule> = {
  reject: { action: 'Reject', othersEvent: 'onUserReject', endReason: 'reject', outcome: 'Reject' },
  ignore: { othersEvent: 'onUserLineBusy', endReason: 'lineBusy', outcome: 'CallBusy' },
  noAnswer: { action: 'NotAnswer', othersEvent: 'onUserNoResponse', endReason: 'noResponse', outcome: 'NotAnswer' },
  hangup: { action: 'Hangup', othersEvent: 'onUserLeave', endReason: 'hangup', outcome: 'Cancel' },
  interrupt: { action: 'Hangup', othersEvent: 'onUserLeave', endReason: 'hangup', outcome: 'Interrupt' },
  offline: { action: 'Offline', othersEvent: 'onUserLeave', endReason: 'offline', outcome: 'Offline' },
};

/** An event to one member: to the device they are in the call on, or to all their devices while ringing. */
export function toMember(member: Member, event: ClientEventName, data: Record<string, unknown>): NotifyEffect {
  const effect: NotifyEffect = { type: 'notify', userId: member.userId, event, data };
  if (member.deviceId !== undefined) effect.onlyDevice = member.deviceId;
  return effect;
}

/**
 * Effects of `joined` entering the call (by `Accept` or `Join`): `onCallBegin` to them; to those
 * already in it, `onUserJoin` (and `onCallBegin` when this connects the call); the MemberChanged
 * callback. `before` is the call before the change, `after` with it. `onCallBegin` also names the
 * caller and lists the members with their camera and microphone, so whoever enters (a joiner
 * too, who never heard `onCallReceived`) knows the call without asking.
 */
export function enterEffects(before: Call, after: Call, joined: Member, action: 'Accept' | 'Join', now: number): Effect[] {
  const firstConnect = before.acceptTime === 0;
  const begin = {
    callId: before.callId,
    callerId: before.callerId,
    mediaType: before.mediaType,
    info: clientInfo(after),
    members: memberStates(after),
  };
  const effects: Effect[] = [toMember(joined, 'onCallBegin', begin)];
  for (const m of membersIn(before, 'Calling')) {
    if (firstConnect) effects.push(toMember(m, 'onCallBegin', begin));
    effects.push(toMember(m, 'onUserJoin', { callId: before.callId, userId: joined.userId }));
  }
  effects.push({
    type: 'callback',
    command: 'Call.CallbackAfterMemberChanged',
    callId: before.callId,
    userList: userList(after),
    changedUserList: [{ User_Account: joined.userId, ActionType: action }],
    eventTime: now,
  });
  return effects;
}

/**
 * A member who is in the call, on `deviceId` when one acted. A ringing callee who accepts keeps
 * the camera and microphone state they set while it rang (`was`).
 */
export function inCall(userId: string, deviceId: string | undefined, was?: Member): Member {
  return { userId, status: 'Calling', ...(deviceId !== undefined ? { deviceId } : {}), ...(was ? mediaOf(was) : {}) };
}

/** When the call connected: already, or now with this first member entering. */
export function connectedAt(call: Call, now: number): number {
  return call.acceptTime === 0 ? now : call.acceptTime;
}

/** Seconds since the call connected, to the millisecond (0 if it never did). */
export function totalTime(call: Call, now: number): number {
  return call.acceptTime === 0 ? 0 : Math.max(0, now - call.acceptTime) / 1000;
}

/**
 * `userId` leaves `call` for `reason`. `deviceId` is the device that acted (for multi-device
 * events), when a device acted at all.
 */
export function leave(call: Call, userId: string, reason: LeaveReason, now: number, deviceId?: string): Step {
  const member = memberOf(call, userId);
  if (!member) return { callId: call.callId, call, effects: [] };
  const rule = RULES[reason];
  const effects: Effect[] = [];

  effects.push(
    ...(member.status === 'Waiting' ? [{ type: 'cancelTimer' as const, kind: 'ring' as const, userId }] : presenceTimersOff(userId)),
  );
  effects.push(...selfEvents(call, member, reason, now, deviceId));

  const after: Call = { ...call, members: call.members.filter((m) => m.userId !== userId) };
  if (member.status === 'Waiting') after.lastCalleeOutcome = rule.outcome;
  const others = rule.othersEvent === 'onUserLeave' ? membersIn(after, 'Calling') : after.members;
  for (const m of others) effects.push(toMember(m, rule.othersEvent, { callId: call.callId, userId }));
  if (rule.action) {
    effects.push({
      type: 'callback',
      command: 'Call.CallbackAfterMemberChanged',
      callId: call.callId,
      userList: userList(after),
      changedUserList: [{ User_Account: userId, ActionType: rule.action }],
      eventTime: now,
    });
  }
  const settled = settle(after, now, reason, userId);
  return { callId: call.callId, call: settled.call, effects: [...effects, ...settled.effects] };
}

function selfEvents(call: Call, member: Member, reason: LeaveReason, now: number, deviceId?: string): NotifyEffect[] {
  const userId = member.userId;
  const base = { callId: call.callId, mediaType: call.mediaType };
  if (member.status === 'Calling') {
    // Whoever leaves a call they were in hears it ended for them; an offline member cannot hear.
    if (reason === 'offline') return [];
    return [toMember(member, 'onCallEnd', { ...base, reason: 'hangup', userId, totalTime: totalTime(call, now) })];
  }
  const own = RULES[reason].endReason;
  if (deviceId === undefined || reason === 'noAnswer') {
    return [{ type: 'notify', userId, event: 'onCallNotConnected', data: { ...base, reason: own, userId } }];
  }
  return [
    { type: 'notify', userId, event: 'onCallNotConnected', data: { ...base, reason: own, userId }, onlyDevice: deviceId },
    { type: 'notify', userId, event: 'onCallNotConnected', data: { ...base, reason: 'otherDeviceReject', userId }, exceptDevice: deviceId },
  ];
}

/** The result of a call ending now because `reason` happened to its last leaver. */
function resultOf(call: Call, reason: LeaveReason): CallResult {
  const connected = call.acceptTime > 0;
  if (connected && call.callType === 'MultiCall') return 'NormalEnd';
  if (reason === 'interrupt') return 'Interrupt';
  if (reason === 'offline') return 'Offline';
  if (connected) return 'NormalEnd';
  return call.lastCalleeOutcome ?? 'Cancel';
}

/**
 * Ends `call` if its membership no longer sustains it; otherwise returns it unchanged. Waiting
 * members left when nobody is Calling are cancelled (`Cancel_Invite`).
 */
export function settle(call: Call, now: number, reason: LeaveReason, actorId: string): Step {
  const calling = membersIn(call, 'Calling');
  const waiting = membersIn(call, 'Waiting');
  if (!(calling.length === 0 || (calling.length <= 1 && waiting.length === 0))) return { callId: call.callId, call, effects: [] };

  const endReason = RULES[reason].endReason;
  const base = { callId: call.callId, mediaType: call.mediaType };
  const effects: Effect[] = [];
  for (const m of calling) {
    effects.push(
      call.acceptTime > 0
        ? toMember(m, 'onCallEnd', { ...base, reason: endReason, userId: actorId, totalTime: totalTime(call, now) })
        : toMember(m, 'onCallNotConnected', { ...base, reason: endReason, userId: actorId }),
    );
  }
  for (const m of waiting) effects.push(toMember(m, 'onCallNotConnected', { ...base, reason: endReason, userId: actorId }));
  const final: Call = { ...call, members: calling };
  if (waiting.length > 0) {
    effects.push({
      type: 'callback',
      command: 'Call.CallbackAfterMemberChanged',
      callId: call.callId,
      userList: userList(final),
      changedUserList: waiting.map((m) => ({ User_Account: m.userId, ActionType: 'Cancel_Invite' as const })),
      eventTime: now,
    });
  }
  effects.push(...waiting.map((m) => ({ type: 'cancelTimer' as const, kind: 'ring' as const, userId: m.userId })));
  effects.push(...calling.flatMap((m) => presenceTimersOff(m.userId)));
  effects.push(...endEffects(final, now, resultOf(call, reason)));
  return { callId: call.callId, call: undefined, effects };
}
