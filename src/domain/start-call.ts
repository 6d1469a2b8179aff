/** Starting a call (`calls` and `start_call_by_robot`). */
import { ERR, detail, dialtoneError, field, type Detail, type DialtoneError } from '../errors.js';
import { IDENTIFIER_RULE, isIdentifier, isUserId, isWellFormed, USER_ID_RULE, WELL_FORMED_RULE } from '../protocol/identifiers.js';
import { callInfo, clientInfo, endEffects, userList } from './call-state.js';
import type { Effect, Step } from './effects.js';
import { toMember } from './members.js';
import type { Call, MediaType, RoomIdType } from './types.js';

/** Default ring timeout, seconds. */
export const DEFAULT_RING_TIMEOUT_SECONDS = 30;
/** Longest ring timeout a client may ask for, seconds. */
export const MAX_RING_TIMEOUT_SECONDS = 600;
/** Default most members in a call, caller included. */
export const DEFAULT_MAX_MEMBERS = 9;
/** Largest `userData`, UTF-8 bytes. */
export const MAX_USER_DATA_BYTES = 1000;
/** Largest numeric room id. */
export const MAX_NUMERIC_ROOM_ID = 4294967295;
/** Longest string room id, Unicode code points. */
export const MAX_STRING_ROOM_ID_LENGTH = 64;

/** Everything needed to start a call; ids and time are supplied by the caller of the domain. */
export interface StartCallInput {
  sdkAppId: number;
  callId: string;
  callerId: string;
  /** The caller's device: the call's events for the caller go there. */
  callerDeviceId?: string | undefined;
  robotCaller: boolean;
  calleeIds: string[];
  mediaType: MediaType;
  roomId?: number | string | undefined;
  roomIdType?: RoomIdType | undefined;
  /** Used when no room id is given and RoomIdType is 2 or absent. */
  generatedStringRoomId: string;
  /** Used when no room id is given and RoomIdType is 1. */
  generatedNumericRoomId: number;
  /** Ring timeout, seconds; 0 or absent means {@link DEFAULT_RING_TIMEOUT_SECONDS}. */
  timeoutSeconds?: number | undefined;
  userData?: string | undefined;
  chatGroupId?: string | undefined;
  /** Callees that are `Calling` or `Waiting` in another live call. */
  busy: ReadonlySet<string>;
  /** True when the caller is already in a live call (refused with `-1204`). */
  callerBusy: boolean;
  /** Default {@link DEFAULT_MAX_MEMBERS}. */
  maxMembers?: number | undefined;
  /** Unix ms. */
  now: number;
}

/** A start step also tells the room the call was given, even when it ended at once. */
export interface StartStep extends Step {
  room: { roomId: number | string; roomIdType: RoomIdType };
}

/** Resolves the room id rules of SPEC §4 / issue 2: a numeric id 1..4294967295 is type 1, an identifier (SPEC §1) type 2. */
export function resolveRoomId(
  roomId: number | string | undefined,
  roomIdType: RoomIdType | undefined,
  generatedString: string,
  generatedNumeric: number,
): { roomId: number | string; roomIdType: RoomIdType } | DialtoneError {
  const bad = (why: Detail) => dialtoneError(ERR.CLIENT_INVALID_PARAM, why);
  if (roomId === undefined || roomId === '') {
    return roomIdType === 1 ? { roomId: generatedNumeric, roomIdType: 1 } : { roomId: generatedString, roomIdType: 2 };
  }
  const numeric = typeof roomId === 'number' ? roomId : roomIdType === 1 && /^\d{1,10}$/.test(roomId) ? Number(roomId) : undefined;
  if (typeof roomId === 'number' || roomIdType === 1) {
    if (roomIdType === 2) return bad(detail`${field('roomId')} is a number, so ${field('roomIdType')} must be 1`);
    if (numeric === undefined || !Number.isInteger(numeric) || numeric < 1 || numeric > MAX_NUMERIC_ROOM_ID) {
      return bad(detail`${field('roomId')} must be an integer from 1 to ${MAX_NUMERIC_ROOM_ID} when ${field('roomIdType')} is 1`);
    }
    return { roomId: numeric, roomIdType: 1 };
  }
  if (!isIdentifier(roomId)) return bad(detail`${field('roomId')} ${IDENTIFIER_RULE}`);
  return { roomId, roomIdType: 2 };
}

/**
 * Starts a call. Busy callees are not rung: the caller gets `onUserLineBusy` for each, and when
 * nobody is left ringing the call ends at once with `CallBusy`.
 */
export function startCall(input: StartCallInput): StartStep | DialtoneError {
  const bad = (why: Detail) => dialtoneError(ERR.CLIENT_INVALID_PARAM, why);
  if (input.callerBusy) return dialtoneError(ERR.CLIENT_REPEATED_CALL);
  const maxMembers = input.maxMembers ?? DEFAULT_MAX_MEMBERS;
  // The transports refuse bad ids first, by their own field names; this keeps any other way in
  // from storing an id that could not be read back (SPEC §1).
  if (!isUserId(input.callerId)) return bad(detail`the caller's user id ${USER_ID_RULE}`);
  const callees = checkUserIdList(input.calleeIds, input.callerId);
  if (callees) return callees;
  if (input.calleeIds.length + 1 > maxMembers) {
    return bad(
      detail`${field('userIdList')} has ${input.calleeIds.length} users; a call has at most ${maxMembers} members, caller included`,
    );
  }
  if (input.userData !== undefined && !isWellFormed(input.userData)) return bad(detail`${field('userData')} ${WELL_FORMED_RULE}`);
  if (input.userData !== undefined && new TextEncoder().encode(input.userData).length > MAX_USER_DATA_BYTES) {
    return bad(detail`${field('userData')} must be at most ${MAX_USER_DATA_BYTES} bytes of UTF-8`);
  }
  if (input.chatGroupId !== undefined && input.chatGroupId !== '' && !isIdentifier(input.chatGroupId)) {
    return bad(detail`${field('chatGroupId')} ${IDENTIFIER_RULE}`);
  }
  const timeout = input.timeoutSeconds ?? 0;
  if (!Number.isInteger(timeout) || timeout < 0 || timeout > MAX_RING_TIMEOUT_SECONDS) {
    return bad(detail`${field('timeout')} must be 0 to ${MAX_RING_TIMEOUT_SECONDS} seconds`);
  }
  const room = resolveRoomId(input.roomId, input.roomIdType, input.generatedStringRoomId, input.generatedNumericRoomId);
  if (room instanceof Error) return room;

  const ringing = input.calleeIds.filter((id) => !input.busy.has(id));
  const busy = input.calleeIds.filter((id) => input.busy.has(id));
  const call: Call = {
    sdkAppId: input.sdkAppId,
    callId: input.callId,
    callerId: input.callerId,
    robotCaller: input.robotCaller,
    mediaType: input.mediaType,
    callType: input.calleeIds.length === 1 ? 'SingleCall' : 'MultiCall',
    roomId: room.roomId,
    roomIdType: room.roomIdType,
    chatGroupId: input.chatGroupId ?? '',
    userData: input.userData ?? '',
    timeoutSeconds: timeout === 0 ? DEFAULT_RING_TIMEOUT_SECONDS : timeout,
    startTime: input.now,
    acceptTime: 0,
    members: [
      { userId: input.callerId, status: 'Calling', ...(input.callerDeviceId !== undefined ? { deviceId: input.callerDeviceId } : {}) },
      ...ringing.map((userId) => ({ userId, status: 'Waiting' as const })),
    ],
    everMembers: [input.callerId, ...input.calleeIds],
  };

  const effects: Effect[] = [
    { type: 'callback', command: 'Call.CallbackAfterStartCall', callInfo: callInfo(call), userList: userList(call), eventTime: input.now },
  ];
  const received = {
    callId: call.callId,
    callerId: call.callerId,
    calleeIdList: [...input.calleeIds],
    mediaType: call.mediaType,
    info: clientInfo(call),
  };
  for (const userId of ringing) {
    effects.push({ type: 'notify', userId, event: 'onCallReceived', data: received });
    effects.push({ type: 'setTimer', kind: 'ring', userId, dueAt: input.now + call.timeoutSeconds * 1000 });
  }
  const caller = call.members[0]!;
  for (const userId of busy) effects.push(toMember(caller, 'onUserLineBusy', { callId: call.callId, userId }));
  if (ringing.length > 0) return { callId: call.callId, call, effects, room };

  const lastBusy = busy[busy.length - 1] ?? call.callerId;
  call.lastCalleeOutcome = 'CallBusy';
  effects.push(
    toMember(caller, 'onCallNotConnected', { callId: call.callId, mediaType: call.mediaType, reason: 'lineBusy', userId: lastBusy }),
  );
  effects.push(...endEffects(call, input.now, 'CallBusy'));
  return { callId: call.callId, call: undefined, effects, room };
}

/**
 * The `userIdList` rules shared by `calls` and `inviteUser`: not empty, each a user id, no
 * repeats, not `exclude` (the caller). Undefined when they hold.
 */
export function checkUserIdList(userIds: readonly string[], exclude?: string): DialtoneError | undefined {
  const bad = (why: Detail) => dialtoneError(ERR.CLIENT_INVALID_PARAM, why);
  if (userIds.length === 0) return bad(detail`${field('userIdList')} must not be empty`);
  const seen = new Map<string, number>();
  for (const [i, id] of userIds.entries()) {
    if (!isUserId(id)) return bad(detail`${field('userIdList', i)} ${USER_ID_RULE}`);
    const first = seen.get(id);
    if (first !== undefined) return bad(detail`${field('userIdList', i)} repeats ${field('userIdList', first)}`);
    if (id === exclude) return bad(detail`${field('userIdList', i)} is the caller`);
    seen.set(id, i);
  }
  return undefined;
}
