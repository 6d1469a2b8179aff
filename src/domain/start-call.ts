/** Starting a call (`calls` and `start_call_by_robot`). */
import { ERR, dialtoneError, type DialtoneError } from '../errors.js';
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
/** Longest string room id, characters. */
export const MAX_STRING_ROOM_ID_LENGTH = 64;

/** Everything needed to start a call; ids and time are supplied by the caller of the domain. */
export interface StartCallInput {
  sdkAppId: number;
  callId: string;
  callerId: string;
  /** The caller's device: the call's events for the caller go there. */
  callerDeviceId?: string;
  robotCaller: boolean;
  calleeIds: string[];
  mediaType: MediaType;
  roomId?: number | string;
  roomIdType?: RoomIdType;
  /** Used when no room id is given and RoomIdType is 2 or absent. */
  generatedStringRoomId: string;
  /** Used when no room id is given and RoomIdType is 1. */
  generatedNumericRoomId: number;
  /** Ring timeout, seconds; 0 or absent means {@link DEFAULT_RING_TIMEOUT_SECONDS}. */
  timeoutSeconds?: number;
  userData?: string;
  chatGroupId?: string;
  /** Callees that are `Calling` or `Waiting` in another live call. */
  busy: ReadonlySet<string>;
  /** True when the caller is already in a live call (refused with `-1204`). */
  callerBusy: boolean;
  /** Default {@link DEFAULT_MAX_MEMBERS}. */
  maxMembers?: number;
  /** Unix ms. */
  now: number;
}

/** A start step also tells the room the call was given, even when it ended at once. */
export interface StartStep extends Step {
  room: { roomId: number | string; roomIdType: RoomIdType };
}

/** Resolves the room id rules of SPEC §4 / issue 2: a numeric id 1..4294967295 is type 1, a string ≤ 64 chars type 2. */
export function resolveRoomId(
  roomId: number | string | undefined,
  roomIdType: RoomIdType | undefined,
  generatedString: string,
  generatedNumeric: number,
): { roomId: number | string; roomIdType: RoomIdType } | DialtoneError {
  const bad = (why: string) => dialtoneError(ERR.CLIENT_INVALID_PARAM, why);
  if (roomId === undefined || roomId === '') {
    return roomIdType === 1 ? { roomId: generatedNumeric, roomIdType: 1 } : { roomId: generatedString, roomIdType: 2 };
  }
  const numeric = typeof roomId === 'number' ? roomId : roomIdType === 1 && /^\d{1,10}$/.test(roomId) ? Number(roomId) : undefined;
  if (typeof roomId === 'number' || roomIdType === 1) {
    if (roomIdType === 2) return bad('a numeric roomId needs roomIdType 1');
    if (numeric === undefined || !Number.isInteger(numeric) || numeric < 1 || numeric > MAX_NUMERIC_ROOM_ID) {
      return bad(`roomId must be an integer in 1..${MAX_NUMERIC_ROOM_ID} for roomIdType 1`);
    }
    return { roomId: numeric, roomIdType: 1 };
  }
  if (roomId.length > MAX_STRING_ROOM_ID_LENGTH) return bad(`a string roomId is at most ${MAX_STRING_ROOM_ID_LENGTH} characters`);
  return { roomId, roomIdType: 2 };
}

/**
 * Starts a call. Busy callees are not rung: the caller gets `onUserLineBusy` for each, and when
 * nobody is left ringing the call ends at once with `CallBusy`.
 */
export function startCall(input: StartCallInput): StartStep | DialtoneError {
  const bad = (why: string) => dialtoneError(ERR.CLIENT_INVALID_PARAM, why);
  if (input.callerBusy) return dialtoneError(ERR.CLIENT_REPEATED_CALL);
  const maxMembers = input.maxMembers ?? DEFAULT_MAX_MEMBERS;
  if (input.calleeIds.length === 0) return bad('userIdList is empty');
  if (new Set(input.calleeIds).size !== input.calleeIds.length) return bad('userIdList has duplicates');
  if (input.calleeIds.includes(input.callerId)) return bad('userIdList contains the caller');
  if (input.calleeIds.length + 1 > maxMembers) return bad(`a call has at most ${maxMembers} members, caller included`);
  if (input.userData !== undefined && new TextEncoder().encode(input.userData).length > MAX_USER_DATA_BYTES) {
    return bad(`userData is at most ${MAX_USER_DATA_BYTES} bytes`);
  }
  const timeout = input.timeoutSeconds ?? 0;
  if (!Number.isInteger(timeout) || timeout < 0 || timeout > MAX_RING_TIMEOUT_SECONDS) {
    return bad(`timeout must be 0..${MAX_RING_TIMEOUT_SECONDS} seconds`);
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
