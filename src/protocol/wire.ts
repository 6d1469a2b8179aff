/**
 * The wire vocabulary of SPEC §3–§5: the words the server, the receiver library
 * (`dialtone/receiver`) and the client SDK (`@dialtone/client`) all send or read. It lives here,
 * not in `domain/`, so those two libraries can share it without importing the server; the
 * domain re-exports it. Plain types and one constant, with no imports.
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
/**
 * A member as `onCallState` and `onCallBegin` list them (SPEC §4): their status and, once they
 * have said so with `setMediaState`, whether their own camera and microphone are on.
 */
export interface CallMemberState {
  userId: string;
  status: MemberStatus;
  /** Absent until the member first sets it. */
  camera?: boolean;
  /** Absent until the member first sets it. */
  microphone?: boolean;
}
/**
 * The record of an ended call (SPEC §2.3), as the REST API and the client op `getRecentCalls`
 * (SPEC §4) give it. Times are unix seconds.
 */
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

/** `1` numeric room id, `2` string room id. */
export type RoomIdType = 1 | 2;
/** Platform a client declared at connect; `RESTAPI` for REST-caused events. */
export type Platform = 'Web' | 'Android' | 'iOS' | 'Windows' | 'Mac' | 'iPad' | 'Unknown' | 'RESTAPI';

/** The three callback commands (SPEC §3). */
export const CALLBACK_COMMANDS = ['Call.CallbackAfterStartCall', 'Call.CallbackAfterMemberChanged', 'Call.CallbackAfterEndCall'] as const;
/** One of {@link CALLBACK_COMMANDS}. */
export type CallbackCommand = (typeof CALLBACK_COMMANDS)[number];

/**
 * One STUN or TURN server as `getIceServers` gives it (SPEC §4.1), in the shape of WebRTC's
 * `RTCIceServer`: `urls` always an array; `username` and `credential` for TURN.
 */
export interface IceServer {
  urls: string[];
  username?: string;
  credential?: string;
}

/** The answer of `getIceServers`: the servers, and how long their credentials last (s; 0: they do not expire). */
export interface IceServersAnswer {
  iceServers: IceServer[];
  ttl: number;
}
