/** A member leaving a call with `hangup`. */
import { ERR, dialtoneError, type DialtoneError } from '../errors.js';
import { endEffects, memberOf, membersIn, userList } from './call-state.js';
import type { Effect, Step } from './effects.js';
import type { Call } from './types.js';

/** Input of {@link hangup}. */
export interface HangupInput {
  userId: string;
  /** Unix ms. */
  now: number;
}

/**
 * The caller hangs up before anyone accepted: every ringing callee is cancelled
 * (`Cancel_Invite`), everyone hears `canceled`, and the call ends with `Cancel`.
 */
function cancelByCaller(call: Call, now: number): Step {
  const waiting = membersIn(call, 'Waiting');
  const notConnected = (userId: string) => ({
    type: 'notify' as const,
    userId,
    event: 'onCallNotConnected' as const,
    data: { callId: call.callId, mediaType: call.mediaType, reason: 'canceled', userId: call.callerId },
  });
  const effects: Effect[] = [notConnected(call.callerId), ...waiting.map((m) => notConnected(m.userId))];
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
  effects.push(...endEffects(after, now, 'Cancel'));
  return { callId: call.callId, call: undefined, effects };
}

/** Applies `hangup` by `userId`. Only members may hang up (`-1203` otherwise). */
export function hangup(call: Call, input: HangupInput): Step | DialtoneError {
  const member = memberOf(call, input.userId);
  if (!member) return dialtoneError(ERR.CLIENT_NOT_ALLOWED, 'not a member of this call');
  if (input.userId === call.callerId && call.acceptTime === 0) return cancelByCaller(call, input.now);
  return dialtoneError(ERR.CLIENT_NOT_ALLOWED, 'hangup of a connected call is not supported yet');
}
