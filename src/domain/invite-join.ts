/** A call growing: a member invites more users (`inviteUser`), or a user joins by id (`join`). */
import { ERR, detail, dialtoneError, field, type Detail, type DialtoneError } from '../errors.js';
import { clientInfo, memberOf, userList } from './call-state.js';
import type { Effect, Step } from './effects.js';
import { connectedAt, enterEffects, inCall, toMember } from './members.js';
import { checkUserIdList, DEFAULT_MAX_MEMBERS, MAX_RING_TIMEOUT_SECONDS } from './start-call.js';
import type { Call } from './types.js';

/** Input of {@link invite}. */
export interface InviteInput {
  /** The inviting member; must be in the call. */
  userId: string;
  userIdList: string[];
  /** Ring timeout of the invitees, seconds; default the call's. */
  timeoutSeconds?: number | undefined;
  /** Invitees busy in another call: not rung, the inviter hears `onUserLineBusy`. */
  busy: ReadonlySet<string>;
  maxMembers?: number | undefined;
  /** Unix ms. */
  now: number;
}

/** An invite step also tells which users were rung. */
export interface InviteStep extends Step {
  invited: string[];
}

/** `inviteUser`: rings more users into the call; everyone in it hears `onUserInviting`. */
export function invite(call: Call, input: InviteInput): InviteStep | DialtoneError {
  const bad = (why: Detail) => dialtoneError(ERR.CLIENT_INVALID_PARAM, why);
  const inviter = memberOf(call, input.userId);
  if (inviter?.status !== 'Calling') return dialtoneError(ERR.CLIENT_NOT_ALLOWED, 'only a member in the call may invite');
  const list = checkUserIdList(input.userIdList);
  if (list) return list;
  const already = input.userIdList.findIndex((id) => memberOf(call, id));
  if (already >= 0) return bad(detail`${field('userIdList', already)} is already in the call`);
  const max = input.maxMembers ?? DEFAULT_MAX_MEMBERS;
  if (call.members.length + input.userIdList.length > max) return bad(`a call has at most ${max} members`);
  const timeout = input.timeoutSeconds ?? 0;
  if (!Number.isInteger(timeout) || timeout < 0 || timeout > MAX_RING_TIMEOUT_SECONDS)
    return bad(detail`${field('timeout')} must be 0 to ${MAX_RING_TIMEOUT_SECONDS} seconds`);
  const ringFor = timeout === 0 ? call.timeoutSeconds : timeout;

  const invited = input.userIdList.filter((id) => !input.busy.has(id));
  const busy = input.userIdList.filter((id) => input.busy.has(id));
  const everMembers = [...call.everMembers, ...input.userIdList.filter((id) => !call.everMembers.includes(id))];
  const after: Call = {
    ...call,
    callType: 'MultiCall',
    members: [...call.members, ...invited.map((userId) => ({ userId, status: 'Waiting' as const }))],
    everMembers,
  };
  const effects: Effect[] = [];
  for (const m of call.members) {
    for (const userId of invited) effects.push(toMember(m, 'onUserInviting', { callId: call.callId, userId }));
  }
  for (const userId of busy) effects.push(toMember(inviter, 'onUserLineBusy', { callId: call.callId, userId }));
  const received = {
    callId: call.callId,
    callerId: call.callerId,
    calleeIdList: after.members.filter((m) => m.userId !== call.callerId).map((m) => m.userId),
    mediaType: call.mediaType,
    info: { ...clientInfo(after), timeout: ringFor },
  };
  for (const userId of invited) {
    effects.push({ type: 'notify', userId, event: 'onCallReceived', data: received });
    effects.push({ type: 'setTimer', kind: 'ring', userId, dueAt: input.now + ringFor * 1000 });
  }
  if (invited.length > 0) {
    effects.push({
      type: 'callback',
      command: 'Call.CallbackAfterMemberChanged',
      callId: call.callId,
      userList: userList(after),
      changedUserList: invited.map((userId) => ({ User_Account: userId, ActionType: 'Invite' as const })),
      eventTime: input.now,
    });
  }
  return { callId: call.callId, call: after, effects, invited };
}

/** Input of {@link join}. */
export interface JoinInput {
  userId: string;
  deviceId?: string | undefined;
  /** True when the user is a member of another live call (`-1204`). */
  busy: boolean;
  /**
   * The app's `OpenGroupJoin` call policy: any of its users who knows the CallId may join a group
   * call, not only those invited to it. Default false.
   */
  openGroupJoin?: boolean;
  maxMembers?: number | undefined;
  /** Unix ms. */
  now: number;
}

/**
 * `join`: a user enters a live call by its id, straight into `Calling` (SPEC §5.2). Only a group
 * call, and only by someone it ever invited (also one who rejected, timed out or hung up) unless
 * the app opened its group calls: otherwise anyone who learns a CallId could walk into a
 * stranger's call. Who may is decided before whether they are busy or the call is full, so a
 * refused user learns nothing more about the call.
 */
export function join(call: Call, input: JoinInput): Step | DialtoneError {
  if (memberOf(call, input.userId)) return dialtoneError(ERR.CLIENT_NOT_ALLOWED, 'you are already a member of this call');
  if (call.callType !== 'MultiCall') return dialtoneError(ERR.CLIENT_NOT_ALLOWED, 'a 1-to-1 call cannot be joined');
  if (!input.openGroupJoin && !call.everMembers.includes(input.userId))
    return dialtoneError(ERR.CLIENT_NOT_ALLOWED, 'only users invited to this call may join it');
  if (input.busy) return dialtoneError(ERR.CLIENT_REPEATED_CALL, 'you are already in another call');
  const max = input.maxMembers ?? DEFAULT_MAX_MEMBERS;
  if (call.members.length + 1 > max) return dialtoneError(ERR.CLIENT_INVALID_PARAM, `a call has at most ${max} members`);
  const joined = inCall(input.userId, input.deviceId);
  const after: Call = {
    ...call,
    acceptTime: connectedAt(call, input.now),
    members: [...call.members, joined],
    everMembers: call.everMembers.includes(input.userId) ? call.everMembers : [...call.everMembers, input.userId],
  };
  return { callId: call.callId, call: after, effects: enterEffects(call, after, joined, 'Join', input.now) };
}
