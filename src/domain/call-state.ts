/** Small pure helpers over a {@link Call} shared by the domain steps. */
import type { CallbackCallInfo, Effect } from './effects.js';
import type { Call, CallMemberState, CallRecord, CallResult, CallbackUser, Member } from './types.js';

/** The callback `UserList` for the current members. */
export function userList(call: Call): CallbackUser[] {
  return call.members.map((m) => ({ User_Account: m.userId, Status: m.status }));
}

/** The `CallInfo` object shared by StartCall callbacks and `get_call_info`. */
export function callInfo(call: Call): CallbackCallInfo {
  return {
    CallId: call.callId,
    MediaType: call.mediaType,
    ChatGroupId: call.chatGroupId,
    RoomId: String(call.roomId),
    RoomIdType: call.roomIdType,
  };
}

/** The `info` object of client events. */
export function clientInfo(call: Call): Record<string, unknown> {
  return {
    roomId: call.roomId,
    roomIdType: call.roomIdType,
    userData: call.userData,
    chatGroupId: call.chatGroupId,
    timeout: call.timeoutSeconds,
  };
}

/**
 * The current members as client events list them (`onCallState`, `onCallBegin`): status, and
 * camera and microphone once each member has set them.
 */
export function memberStates(call: Call): CallMemberState[] {
  return call.members.map((m) => ({ userId: m.userId, status: m.status, ...mediaOf(m) }));
}

/** A member's own camera and microphone state, only the parts they have set. */
export function mediaOf(member: Member): Pick<Member, 'camera' | 'microphone'> {
  return {
    ...(member.camera !== undefined ? { camera: member.camera } : {}),
    ...(member.microphone !== undefined ? { microphone: member.microphone } : {}),
  };
}

/** The member entry of `userId`, if they are a current member. */
export function memberOf(call: Call, userId: string): Member | undefined {
  return call.members.find((m) => m.userId === userId);
}

/** Current members in the given status. */
export function membersIn(call: Call, status: Member['status']): Member[] {
  return call.members.filter((m) => m.status === status);
}

/** Builds the record of a call ending now with `result`. */
export function recordOf(call: Call, now: number, result: CallResult): CallRecord {
  return {
    CallId: call.callId,
    Caller_Account: call.callerId,
    MediaType: call.mediaType,
    CallType: call.callType,
    StartTime: toSeconds(call.startTime),
    AcceptTime: call.acceptTime === 0 ? 0 : toSeconds(call.acceptTime),
    EndTime: toSeconds(now),
    CallResult: result,
    CalleeList_Account: [...call.everMembers],
    RoomId: String(call.roomId),
    RoomIdType: call.roomIdType,
  };
}

/**
 * Effects of ending a call: cancel every remaining ring timer, store the record, and enqueue
 * the EndCall callback. Client events are the caller's business, since they differ by cause.
 */
export function endEffects(call: Call, now: number, result: CallResult): Effect[] {
  const effects: Effect[] = membersIn(call, 'Waiting').map((m) => ({ type: 'cancelTimer', kind: 'ring', userId: m.userId }) as const);
  const record = recordOf(call, now, result);
  effects.push({ type: 'record', record });
  effects.push({ type: 'callback', command: 'Call.CallbackAfterEndCall', callRecord: record, eventTime: now });
  return effects;
}

/** Whole seconds of a unix-ms time. */
export function toSeconds(ms: number): number {
  return Math.floor(ms / 1000);
}
