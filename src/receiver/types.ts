/**
 * The typed, normalised shape of a Dialtone callback as the receiver hands it to app code
 * (SPEC §3.3–3.5). The wire vocabulary comes from `protocol/wire.ts`, which the server uses
 * too (type-only), so the receiver and the sender cannot drift apart.
 */
import type { ActionType, CallbackCommand, CallResult, CallType, MediaType, MemberStatus } from '../protocol/wire.js';

export type { ActionType, CallbackCommand, CallResult };

/**
 * The query parameters Dialtone appends to the configured callback URL (SPEC §3.1, §3.2), read
 * case-insensitively and normalised to these spellings. Parameters of the configured URL itself
 * are not included.
 */
export interface CallbackQuery {
  /** The app's SDKAppID, as sent (a decimal string). */
  SdkAppid: string;
  /** The callback command; when the query lacks it, the body's `CallbackCommand`. */
  CallbackCommand: string;
  /** Always `json` when present. */
  contenttype?: string;
  /** IP of the client whose action caused the event (the server's own for timer-caused events). */
  ClientIP?: string;
  /** Platform of the acting client: `Web`, `Android`, `iOS`, `Windows`, `Mac`, `iPad`, `RESTAPI` or `Unknown`. */
  OptPlatform?: string;
  /** Unix seconds at sending; present only when a callback token is enabled. */
  RequestTime?: string;
  /** Lowercase hex SHA-256 of `Token + RequestTime`; present only when a callback token is enabled. */
  Sign?: string;
}

/** A member in a callback's `UserList`. */
export interface CallbackUser {
  /** User id, always a string (bare numbers on the wire are converted with their exact digits). */
  User_Account: string;
  /** `Calling` = in the call; `Waiting` = invited and ringing. */
  Status: MemberStatus;
}

/** Fields every callback carries after normalisation. */
export interface CallbackCommon {
  /** The SDKAppID from the query string (0 when {@link parseCallback} was given no query). */
  sdkAppId: number;
  /** The call this callback is about. */
  callId: string;
  /** When the event happened, unix **milliseconds** (the body's `EventTime`). */
  eventTime: number;
  /** The normalised query parameters. */
  query: CallbackQuery;
  /**
   * The `webhook-id` header: unique per callback and identical on every retry of it, so use it
   * to drop duplicates. Absent only when the request had no such header.
   */
  webhookId?: string;
  /** The body as `JSON.parse` returns it, every field included (also ones this library does not know). */
  raw: unknown;
}

/** `Call.CallbackAfterStartCall`: a call was started (SPEC §3.3). */
export interface StartCallCallback extends CallbackCommon {
  command: 'Call.CallbackAfterStartCall';
  /** The call's details; `MediaType` is filled from `CallMediaType` when only that spelling was sent. */
  callInfo: {
    CallId: string;
    MediaType: MediaType;
    /** IM group id, `''` when none. */
    ChatGroupId: string;
    /** Media room id, always a string (`''` allowed). */
    RoomId: string;
    /** `1` numeric room id, `2` string room id. */
    RoomIdType: number;
  };
  /** Every member at that moment: the caller `Calling`, the callees `Waiting`. */
  userList: CallbackUser[];
}

/** `Call.CallbackAfterMemberChanged`: a member's state changed because of an action (SPEC §3.4). */
export interface MemberChangedCallback extends CallbackCommon {
  command: 'Call.CallbackAfterMemberChanged';
  /** The membership after the change (members who left are gone). */
  userList: CallbackUser[];
  /** Who changed and how; `ActionType` is normalised from the reference docs' spellings. */
  changedUserList: { User_Account: string; ActionType: ActionType }[];
}

/** The record of an ended call, as carried by `Call.CallbackAfterEndCall` (SPEC §2.3). */
export interface CallbackCallRecord {
  CallId: string;
  Caller_Account: string;
  MediaType: MediaType;
  CallType: CallType;
  /** Unix **seconds**. */
  StartTime: number;
  /** Unix seconds. */
  EndTime: number;
  /** Unix seconds; 0 when the call never connected. */
  AcceptTime: number;
  CallResult: CallResult;
  /** Every member the call ever had, caller included. */
  CalleeList_Account: string[];
  RoomId: string;
  /** `1` numeric room id, `2` string room id. */
  RoomIdType: number;
}

/** `Call.CallbackAfterEndCall`: a call ended (SPEC §3.5). */
export interface EndCallCallback extends CallbackCommon {
  command: 'Call.CallbackAfterEndCall';
  callRecord: CallbackCallRecord;
}

/** Any callback, discriminated on `command`. */
export type DialtoneCallback = StartCallCallback | MemberChangedCallback | EndCallCallback;
