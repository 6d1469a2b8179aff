/** A member's connection coming and going: heartbeat expiry is armed, and cleared on return. */
import { clientInfo, memberOf, memberStates } from './call-state.js';
import type { Effect, Step } from './effects.js';
import type { Call } from './types.js';

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
    effects: [
      { type: 'cancelTimer', kind: 'offline', userId },
      { type: 'notify', userId, event: 'onCallState', data: state, onlyDevice: deviceId },
    ],
  };
}
