/**
 * Pure translation between Dialtone's client vocabulary (SPEC §4: `userId`, `mediaType`
 * `"Audio"`/`"Video"`, `info.roomId`/`roomIdType`, reason strings) and TUICallEngine's (`userID`,
 * media types 1 and 2, `roomID`/`strRoomID`, numeric `CallEndReason`, `TUIErrorCode`s), so the
 * engine itself only keeps state and every field mapping is testable on its own.
 */
import type { CallInfo, EndReason, MediaType } from '../client/types.js';
import { CallEndReason, TUICallRole, TUICallType, TUIErrorCode } from './constants.js';
import type { DeviceInfo } from './ports.js';

/** `1` audio, `2` video. */
export type CallType = typeof TUICallType.AUDIO_CALL | typeof TUICallType.VIDEO_CALL;

/** Dialtone's media type as the engine's number. */
export function toCallType(mediaType: MediaType): CallType {
  return mediaType === 'Video' ? TUICallType.VIDEO_CALL : TUICallType.AUDIO_CALL;
}

/** The engine's media type number as Dialtone's, or undefined when it is neither 1 nor 2. */
export function toMediaType(type: unknown): MediaType | undefined {
  if (type === TUICallType.AUDIO_CALL) return 'Audio';
  if (type === TUICallType.VIDEO_CALL) return 'Video';
  return undefined;
}

/** The engine's room fields: a numeric room in `roomID`, a string room in `strRoomID` with `roomID` 0. */
export function roomFields(roomId: number | string, roomIdType: 1 | 2): { roomID: number; strRoomID: string } {
  return roomIdType === 2 ? { roomID: 0, strRoomID: String(roomId) } : { roomID: Number(roomId), strRoomID: '' };
}

/** The room a caller asked for (`roomID` or `strRoomID`) as Dialtone's `roomId`/`roomIdType`; none: the server picks. */
export function roomRequest(p: { roomID?: unknown; strRoomID?: unknown }): { roomId?: number | string; roomIdType?: 1 | 2 } {
  if (typeof p.strRoomID === 'string' && p.strRoomID !== '') return { roomId: p.strRoomID, roomIdType: 2 };
  if (typeof p.roomID === 'number' && p.roomID > 0) return { roomId: p.roomID, roomIdType: 1 };
  return {};
}

/** Dialtone's end reason as the engine's `CallEndReason` number. */
export function endReasonCode(reason: EndReason | string): number {
  const codes: Record<string, number> = {
    unknown: CallEndReason.UnKnown,
    hangup: CallEndReason.Hangup,
    reject: CallEndReason.Reject,
    noResponse: CallEndReason.NoResponse,
    offline: CallEndReason.Offline,
    lineBusy: CallEndReason.LineBusy,
    canceled: CallEndReason.Canceled,
    otherDeviceAccepted: CallEndReason.OtherDeviceAccepted,
    otherDeviceReject: CallEndReason.OtherDeviceReject,
    endByServer: CallEndReason.EndByServer,
  };
  return codes[reason] ?? CallEndReason.UnKnown;
}

/** `caller` or `callee` as the engine's `callRole` number. */
export function roleCode(role: 'caller' | 'callee'): number {
  return role === 'caller' ? TUICallRole.CALLER : TUICallRole.CALLEE;
}

/** `ON_CALL_RECEIVED` (and `INVITED`): what the UI reads to show the incoming call. */
export function mapCallReceived(e: { callId: string; callerId: string; calleeIdList: string[]; mediaType: MediaType; info: CallInfo }) {
  const type = toCallType(e.mediaType);
  const groupID = e.info.chatGroupId ?? '';
  return {
    callId: e.callId,
    callerId: e.callerId,
    calleeIdList: [...e.calleeIdList],
    isGroupCall: groupID !== '' || e.calleeIdList.length > 1,
    groupID,
    chatGroupID: groupID,
    callMediaType: type,
    callType: type,
    ...roomFields(e.info.roomId, e.info.roomIdType),
    userData: e.info.userData ?? '',
    timeout: e.info.timeout,
    inviteData: { callType: type, roomID: e.info.roomId, userData: e.info.userData ?? '' },
  };
}

/** `ON_CALL_BEGIN`. */
export function mapCallBegin(e: { callId: string; mediaType: MediaType; info: CallInfo }, role: 'caller' | 'callee') {
  return {
    callId: e.callId,
    callMediaType: toCallType(e.mediaType),
    callRole: roleCode(role),
    ...roomFields(e.info.roomId, e.info.roomIdType),
  };
}

/** Where a call is, for events that do not carry it. */
export interface CallContext {
  role: 'caller' | 'callee';
  roomId: number | string;
  roomIdType: 1 | 2;
  chatGroupId: string;
}

/** `CALLING_END`: `totalTime` in seconds, `reason` a `CallEndReason`. */
export function mapCallEnd(
  e: { callId: string; mediaType: MediaType; reason: EndReason; userId: string; totalTime: number },
  ctx: CallContext,
) {
  return {
    callId: e.callId,
    callMediaType: toCallType(e.mediaType),
    callRole: roleCode(ctx.role),
    ...roomFields(ctx.roomId, ctx.roomIdType),
    groupID: ctx.chatGroupId,
    totalTime: e.totalTime,
    userID: e.userId,
    reason: endReasonCode(e.reason),
  };
}

/** `ON_CALL_NOT_CONNECTED` (and the deprecated `ON_CALL_CANCELED` / `CALLING_CANCEL`). */
export function mapNotConnected(e: { callId: string; mediaType: MediaType; reason: EndReason; userId: string }, ctx: CallContext) {
  return {
    callId: e.callId,
    callMediaType: toCallType(e.mediaType),
    callRole: roleCode(ctx.role),
    ...roomFields(ctx.roomId, ctx.roomIdType),
    groupID: ctx.chatGroupId,
    userID: e.userId,
    reason: endReasonCode(e.reason),
  };
}

/** `USER_ENTER`, `USER_LEAVE`, `REJECT`, `LINE_BUSY`, `ON_USER_INVITING`: `{ userID }`. */
export function mapUser(e: { callId: string; userId: string }) {
  return { callId: e.callId, userID: e.userId };
}

/** `NO_RESP`: the UI reads `userIDList`. */
export function mapNoResponse(e: { callId: string; userId: string }) {
  return { callId: e.callId, userID: e.userId, userIDList: [e.userId] };
}

/** `CALL_TYPE_CHANGED`: `{ oldCallType, newCallType }` (and `type`, which the UI also reads). */
export function mapMediaTypeChanged(e: { callId: string; oldMediaType: MediaType; newMediaType: MediaType }) {
  const newCallType = toCallType(e.newMediaType);
  return { callId: e.callId, oldCallType: toCallType(e.oldMediaType), newCallType, type: newCallType };
}

/** `USER_VIDEO_AVAILABLE`. */
export function mapVideoAvailable(userId: string, available: boolean) {
  return { userID: userId, isVideoAvailable: available };
}

/** `USER_AUDIO_AVAILABLE`. */
export function mapAudioAvailable(userId: string, available: boolean) {
  return { userID: userId, isAudioAvailable: available };
}

/** What the engine knows of a remote member's media. */
export interface RemoteMedia {
  hasVideoTrack: boolean;
  hasAudioTrack: boolean;
  /** What the member said with `setMediaState`; absent: nothing said. */
  camera?: boolean;
  microphone?: boolean;
}

/**
 * Whether a remote member's video and audio are available: their media arrived and they have not
 * turned it off; video only while the call is a video call.
 */
export function availability(r: RemoteMedia, callMediaType: MediaType): { video: boolean; audio: boolean } {
  return {
    video: callMediaType === 'Video' && r.hasVideoTrack && r.camera !== false,
    audio: r.hasAudioTrack && r.microphone !== false,
  };
}

/** An error as the engine reports it: a `TUIErrorCode`-style `code` and a message. */
export class TUICallError extends Error {
  constructor(
    /** A `TUIErrorCode`, or a server code (70001 …) passed through. */
    readonly code: number,
    message: string,
    /** Dialtone's own code when the server or client refused (SPEC §4). */
    readonly dialtoneCode?: number,
  ) {
    super(message);
    this.name = 'TUICallError';
  }
}

/**
 * Dialtone's client codes as `TUIErrorCode`s: `-1202` invalid parameter → `-1001`, `-1201` the
 * client is closed → `-1002`, the others of SPEC §4 (`-1203`, `-1204`, `-1406`) → `-1`; the server's
 * positive codes (UserSig `70001` …, the same as Tencent's) pass through.
 */
export function errorCode(dialtoneCode: number): number {
  if (dialtoneCode === -1202) return TUIErrorCode.ERR_INVALID_PARAMETER;
  if (dialtoneCode === -1201) return TUIErrorCode.ERR_SDK_NOT_INITIALIZED;
  if (dialtoneCode > 0) return dialtoneCode;
  return TUIErrorCode.ERR_FAILED;
}

/** Any failure of `op` as a {@link TUICallError}. */
export function toTUIError(err: unknown, op: string): TUICallError {
  if (err instanceof TUICallError) return err;
  if (typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'number') {
    const e = err as { code: number; message?: unknown };
    return new TUICallError(errorCode(e.code), `${op} failed: ${String(e.message ?? 'error')} (Dialtone ${e.code})`, e.code);
  }
  return new TUICallError(TUIErrorCode.ERR_FAILED, `${op} failed: ${err instanceof Error ? err.message : String(err)}`);
}

/**
 * A `getUserMedia` failure as a {@link TUICallError} of the camera's or the microphone's codes. The
 * message starts with the browser's `<name>: <message>` (`NotAllowedError: Permission denied`),
 * which the UI looks for to show its permission hint.
 */
export function deviceError(err: unknown, device: 'camera' | 'microphone'): TUICallError {
  const name = typeof err === 'object' && err !== null ? String((err as { name?: unknown }).name ?? 'Error') : 'Error';
  const message = typeof err === 'object' && err !== null ? String((err as { message?: unknown }).message ?? '') : String(err);
  const cam = device === 'camera';
  let code: number = cam ? TUIErrorCode.ERR_CAMERA_START_FAILED : TUIErrorCode.ERR_MICROPHONE_START_FAILED;
  if (name === 'NotAllowedError' || name === 'SecurityError') {
    code = cam ? TUIErrorCode.ERR_CAMERA_NOT_AUTHORIZED : TUIErrorCode.ERR_MICROPHONE_NOT_AUTHORIZED;
  } else if (name === 'NotReadableError' || name === 'AbortError') {
    code = cam ? TUIErrorCode.ERR_CAMERA_OCCUPIED : TUIErrorCode.ERR_MICROPHONE_OCCUPIED;
  } else if (name === 'NotFoundError' || name === 'OverconstrainedError') {
    code = cam ? TUIErrorCode.ERR_CAMERA_DEVICE_EMPTY : TUIErrorCode.ERR_MICROPHONE_DEVICE_EMPTY;
  }
  return new TUICallError(code, `${name}: ${message}`);
}

/** The `MediaDeviceInfo.kind` a `getDeviceList` / `switchDevice` type names, or undefined. */
export function deviceKind(type: unknown): DeviceInfo['kind'] | undefined {
  if (type === 'camera' || type === 'video') return 'videoinput';
  if (type === 'microphone' || type === 'microphones' || type === 'audio') return 'audioinput';
  if (type === 'speaker') return 'audiooutput';
  return undefined;
}
