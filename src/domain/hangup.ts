/** A member leaving a call with `hangup` (or `hangup { reason: "interrupt" }`). */
import { ERR, dialtoneError, type DialtoneError } from '../errors.js';
import { endEffects, memberOf, membersIn, userList } from './call-state.js';
import type { Effect, Step } from './effects.js';
import { leave } from './members.js';
import { presenceTimersOff } from './presence.js';
import type { Call } from './types.js';

/** Input of {@link hangup}. */
export interface HangupInput {
  userId: string;
  /** The device that hung up. */
  deviceId?: string | undefined;
  /** True for `reason: "interrupt"`: the member's media failed (result `Interrupt`). */
  interrupt?: boolean;
  /** Unix ms. */
  now: number;
}

/**
 * The caller hangs up before anyone accepted: every ringing callee is cancelled
 * (`Cancel_Invite`), everyone hears `canceled`, and the call ends with `Cancel`.
 */
function cancelByCaller(call: Call, now: number): Step {
  const waiting = membersIn(call, 'Waiting');
  const data = { callId: call.callId, mediaType: call.mediaType, reason: 'canceled', userId: call.callerId };
  const caller = memberOf(call, call.callerId)!;
  const effects: Effect[] = [
    {
      type: 'notify',
      userId: call.callerId,
      event: 'onCallNotConnected',
      data,
      ...(caller.deviceId ? { onlyDevice: caller.deviceId } : {}),
    },
    ...waiting.map((m) => ({ type: 'notify' as const, userId: m.userId, event: 'onCallNotConnected' as const, data })),
  ];
  const after: Call = { ...call, members: call.members.filter((m) => m.status !== 'Waiting') };
  effects.push({
    type: 'callback',
    command: 'Call.CallbackAfterMemberChanged',
    callId: call.callId,
    userList: userList(after),
    changedUserList: waiting.map((m) => ({ User_Account: m.userId, ActionType: 'Cancel_Invite' as const })),
    eventTime: now,
  });
  effects.push(...waiting.map((m) => ({ type: 'cancelTimer' as const, kind: 'ring' as const, userId: m.userId })));
  effects.push(...presenceTimersOff(call.callerId));
  effects.push(...endEffects(after, now, 'Cancel'));
  return { callId: call.callId, call: undefined, effects };
}

/**
 * Applies `hangup` by `userId`. Only members may hang up (`-1203` otherwise). A ringing callee
 * who hangs up rejects; the caller of a call nobody has answered cancels it; anyone else leaves.
 */
export function hangup(call: Call, input: HangupInput): Step | DialtoneError {
  const member = memberOf(call, input.userId);
  if (!member) return dialtoneError(ERR.CLIENT_NOT_ALLOWED, 'you are not a member of this call');
  if (member.status === 'Waiting') return leave(call, input.userId, 'reject', input.now, input.deviceId);
  if (input.userId === call.callerId && call.acceptTime === 0) return cancelByCaller(call, input.now);
  return leave(call, input.userId, input.interrupt ? 'interrupt' : 'hangup', input.now, input.deviceId);
}
