/**
 * The call model of SPEC §3–§5, as plain data, with the wire vocabulary it is written in
 * (`protocol/wire.ts`). Nothing here does I/O; times are unix milliseconds passed in by the caller.
 */

import type { CallResult, CallType, MediaType, MemberStatus, RoomIdType } from '../protocol/wire.js';

// Re-exported so server code keeps importing the model and its words from one place.
export { CALLBACK_COMMANDS } from '../protocol/wire.js';
export type {
  ActionType,
  CallbackCommand,
  CallMemberState,
  CallRecord,
  CallResult,
  CallType,
  EndReason,
  MediaType,
  MemberStatus,
  Platform,
  RoomIdType,
} from '../protocol/wire.js';

/** A current member of a live call. */
export interface Member {
  userId: string;
  status: MemberStatus;
  /**
   * The device the member is in the call on (the caller's, or the one that accepted or joined).
   * Events of the call go to that device only; absent while ringing (every device rings) and for
   * a robot caller.
   */
  deviceId?: string;
  /** The member's own camera is on (`setMediaState`); absent until they first say. */
  camera?: boolean;
  /** The member's own microphone is on (`setMediaState`); absent until they first say. */
  microphone?: boolean;
}

/** A live call's whole state. */
export interface Call {
  sdkAppId: number;
  callId: string;
  callerId: string;
  /** True when started by `start_call_by_robot`: the caller has no connection. */
  robotCaller: boolean;
  /** The call's media type now: it starts as `calls` asked and may change by `switchMediaType`. */
  mediaType: MediaType;
  callType: CallType;
  /** Number for RoomIdType 1, string for 2. */
  roomId: number | string;
  roomIdType: RoomIdType;
  chatGroupId: string;
  userData: string;
  /** Ring timeout, seconds. */
  timeoutSeconds: number;
  /** Unix ms. */
  startTime: number;
  /** Unix ms when first connected; 0 if never. */
  acceptTime: number;
  /** Current members, caller first. */
  members: Member[];
  /** Everyone who was ever a member, caller included, in order of joining. */
  everMembers: string[];
  /** Outcome of the last callee who left without connecting; decides the result of a call that never connected. */
  lastCalleeOutcome?: CallResult;
}

/** A `UserList` entry of a callback. */
export interface CallbackUser {
  User_Account: string;
  Status: MemberStatus;
}
