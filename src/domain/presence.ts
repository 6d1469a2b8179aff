/**
 * A member's connection coming and going: heartbeat expiry is armed (or, for a page that closed
 * its socket, the shorter leave grace), and cleared on return.
 */
import { clientInfo, memberOf, memberStates } from './call-state.js';
import type { Effect, Step } from './effects.js';
import type { Call } from './types.js';

/** Disarms both timers of a member's absence: for a member who leaves or returns. */
export function presenceTimersOff(userId: string): Effect[] {
  return [
    { type: 'cancelTimer', kind: 'offline', userId },
    { type: 'cancelTimer', kind: 'leave', userId },
  ];
}

/**
 * The last connection of `userId` was closed by the page itself (a reload or a closed tab): arm
 * the leave grace at `dueAt` (unix ms) if they are in the call on `deviceId`. If that device does
 * not come back by then, they leave as `Hangup` ({@link graceExpired}). Ringing callees and robot
 * callers are left alone, as by {@link armHeartbeatExpiry}.
 */
export function armLeaveGrace(call: Call, userId: string, dueAt: number, deviceId: string): Step {
  const member = memberOf(call, userId);
  const robot = call.robotCaller && userId === call.callerId;
  const applies = member?.status === 'Calling' && !robot && member.deviceId === deviceId;
  return { callId: call.callId, call, effects: applies ? [{ type: 'setTimer', kind: 'leave', userId, dueAt }] : [] };
}

/**
 * A connection of `userId` is gone: arm their heartbeat expiry at `dueAt` (unix ms) if they are
 * in the call — on `goneDeviceId` when given (other devices of theirs are still connected, but
 * not the one they are in the call on). Ringing callees are not expired: their ring timeout
 * decides. A robot caller never connects and never expires.
 */
export function armHeartbeatExpiry(call: Call, userId: string, dueAt: number, goneDeviceId?: string): Step {
  const member = memberOf(call, userId);
  const robot = call.robotCaller && userId === call.callerId;
  const applies = member?.status === 'Calling' && !robot && (goneDeviceId === undefined || member.deviceId === goneDeviceId);
  const effects: Effect[] = applies ? [{ type: 'setTimer', kind: 'offline', userId, dueAt }] : [];
  return { callId: call.callId, call, effects };
}

/**
 * `userId` connected on `deviceId`: clear their heartbeat expiry and tell that device where the
 * call stands: a ringing callee rings again (`onCallReceived`); a member in the call gets
 * `onCallState`, with every member's camera and microphone as last set. When the device the
 * member was in the call on is gone, the call follows the new one.
 */
export function resume(call: Call, userId: string, deviceId: string, previousDeviceOnline: boolean): Step {
  const member = memberOf(call, userId);
  if (!member || (call.robotCaller && userId === call.callerId)) return { callId: call.callId, call, effects: [] };
  if (member.status === 'Waiting') {
    const data = {
      callId: call.callId,
      callerId: call.callerId,
      calleeIdList: call.members.filter((m) => m.userId !== call.callerId).map((m) => m.userId),
      mediaType: call.mediaType,
      info: clientInfo(call),
    };
    return { callId: call.callId, call, effects: [{ type: 'notify', userId, event: 'onCallReceived', data, onlyDevice: deviceId }] };
  }
  const moves = member.deviceId !== deviceId && !previousDeviceOnline;
  const after: Call = moves ? { ...call, members: call.members.map((m) => (m.userId === userId ? { ...m, deviceId } : m)) } : call;
  const state = {
    callId: call.callId,
    callerId: call.callerId,
    mediaType: call.mediaType,
    info: clientInfo(call),
    status: member.status,
    members: memberStates(call),
    startTime: call.startTime,
    acceptTime: call.acceptTime,
  };
  return {
    callId: call.callId,
    call: after,
    effects: [...presenceTimersOff(userId), { type: 'notify', userId, event: 'onCallState', data: state, onlyDevice: deviceId }],
  };
}
