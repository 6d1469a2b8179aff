/**
 * The call model and the vocabulary of SPEC §3–§5, as plain data. Nothing here does I/O;
 * times are unix milliseconds passed in by the caller.
 */

/** `Audio` or `Video`. */
export type MediaType = 'Audio' | 'Video';
/** `SingleCall` (1-to-1) or `MultiCall` (group). */
export type CallType = 'SingleCall' | 'MultiCall';
/** `Waiting` = invited and ringing; `Calling` = in the call. */
export type MemberStatus = 'Waiting' | 'Calling';
/** Final outcome of a call (SPEC §5.4). */
export type CallResult = 'Cancel' | 'Reject' | 'NotAnswer' | 'NormalEnd' | 'CallBusy' | 'Interrupt' | 'Offline';
/** MemberChanged action (SPEC §3.4). */
export type ActionType = 'Accept' | 'Reject' | 'NotAnswer' | 'Hangup' | 'Join' | 'Offline' | 'Invite' | 'Cancel_Invite';
/** Client-facing end reason (SPEC §4). */
export type EndReason =
  | 'unknown'
  | 'hangup'
  | 'reject'
  | 'noResponse'
  | 'offline'
  | 'lineBusy'
  | 'canceled'
  | 'otherDeviceAccepted'
  | 'otherDeviceReject'
  | 'endByServer';
/** `1` numeric room id, `2` string room id. */
export type RoomIdType = 1 | 2;
/** Platform a client declared at connect; `RESTAPI` for REST-caused events. */
export type Platform = 'Web' | 'Android' | 'iOS' | 'Windows' | 'Mac' | 'iPad' | 'Unknown' | 'RESTAPI';

/** The three callback commands (SPEC §3). */
export const CALLBACK_COMMANDS = ['Call.CallbackAfterStartCall', 'Call.CallbackAfterMemberChanged', 'Call.CallbackAfterEndCall'] as const;
/** One of {@link CALLBACK_COMMANDS}. */
export type CallbackCommand = (typeof CALLBACK_COMMANDS)[number];

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
}

/** A live call's whole state. */
export interface Call {
  sdkAppId: number;
  callId: string;
  callerId: string;
  /** True when started by `start_call_by_robot`: the caller has no connection. */
  robotCaller: boolean;
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

/** The record of an ended call (SPEC §2.3). Times are unix seconds. */
export interface CallRecord {
  CallId: string;
  Caller_Account: string;
  MediaType: MediaType;
  CallType: CallType;
  StartTime: number;
  AcceptTime: number;
  EndTime: number;
  CallResult: CallResult;
  CalleeList_Account: string[];
  RoomId: string;
  RoomIdType: RoomIdType;
}

/** A `UserList` entry of a callback. */
export interface CallbackUser {
  User_Account: string;
  Status: MemberStatus;
}
