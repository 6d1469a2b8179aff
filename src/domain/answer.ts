/** A ringing callee answering: `accept`, `reject`, `ignore`, or not answering in time. */
import { ERR, dialtoneError, type DialtoneError } from '../errors.js';
import { memberOf } from './call-state.js';
import type { Effect, Step } from './effects.js';
import { connectedAt, enterEffects, inCall, leave } from './members.js';
import type { Call } from './types.js';

/** Who answers, from which device, when. */
export interface AnswerInput {
  userId: string;
  deviceId?: string | undefined;
  /** Unix ms. */
  now: number;
}

function ringingMember(call: Call, userId: string): DialtoneError | undefined {
  const member = memberOf(call, userId);
  if (!member) return dialtoneError(ERR.CLIENT_NOT_ALLOWED, 'you are not invited to this call');
  if (member.status !== 'Waiting') return dialtoneError(ERR.CLIENT_NOT_ALLOWED, 'you have already answered this call');
  return undefined;
}

/**
 * `accept`: the callee joins the call on the accepting device; their other devices stop ringing
 * (`otherDeviceAccepted`). The first accept connects the call (`onCallBegin` to those in it).
 */
export function accept(call: Call, input: AnswerInput): Step | DialtoneError {
  const refused = ringingMember(call, input.userId);
  if (refused) return refused;
  const joined = inCall(input.userId, input.deviceId, memberOf(call, input.userId));
  const after: Call = {
    ...call,
    acceptTime: connectedAt(call, input.now),
    members: call.members.map((m) => (m.userId === input.userId ? joined : m)),
  };
  const effects: Effect[] = [{ type: 'cancelTimer', kind: 'ring', userId: input.userId }];
  const [begin, ...rest] = enterEffects(call, after, joined, 'Accept', input.now);
  effects.push(begin!);
  if (input.deviceId !== undefined) {
    effects.push({
      type: 'notify',
      userId: input.userId,
      event: 'onCallNotConnected',
      data: { callId: call.callId, mediaType: call.mediaType, reason: 'otherDeviceAccepted', userId: input.userId },
      exceptDevice: input.deviceId,
    });
  }
  effects.push(...rest);
  return { callId: call.callId, call: after, effects };
}

/** `reject`: the callee declines (on every device: the others hear `otherDeviceReject`). */
export function reject(call: Call, input: AnswerInput): Step | DialtoneError {
  return ringingMember(call, input.userId) ?? leave(call, input.userId, 'reject', input.now, input.deviceId);
}

/** `ignore`: the callee declines as busy; the others hear `onUserLineBusy`. */
export function ignore(call: Call, input: AnswerInput): Step | DialtoneError {
  return ringingMember(call, input.userId) ?? leave(call, input.userId, 'ignore', input.now, input.deviceId);
}

/** The ring timer of `userId` fired. A no-op unless they are still ringing. */
export function ringTimeout(call: Call, userId: string, now: number): Step {
  const member = memberOf(call, userId);
  if (member?.status !== 'Waiting') return { callId: call.callId, call, effects: [] };
  return leave(call, userId, 'noAnswer', now);
}

/**
 * The leave grace of `userId` ran out (their page closed its socket and did not come back): they
 * hang up. A no-op unless they are in the call.
 */
export function graceExpired(call: Call, userId: string, now: number): Step {
  const member = memberOf(call, userId);
  if (member?.status !== 'Calling') return { callId: call.callId, call, effects: [] };
  return leave(call, userId, 'hangup', now);
}

/** The heartbeat of `userId` expired. A no-op unless they are in the call. */
export function heartbeatExpired(call: Call, userId: string, now: number): Step {
  const member = memberOf(call, userId);
  if (member?.status !== 'Calling') return { callId: call.callId, call, effects: [] };
  return leave(call, userId, 'offline', now);
}
