/**
 * What a domain step asks the outside world to do. Use cases persist the callback, record and
 * timer effects in the step's transaction and deliver the client events after commit.
 */
import type { ActionType, CallbackUser, CallRecord, MediaType, RoomIdType } from './types.js';

/** Client event names of SPEC §4. */
export type ClientEventName =
  | 'onCallReceived'
  | 'onCallBegin'
  | 'onCallEnd'
  | 'onCallNotConnected'
  | 'onUserReject'
  | 'onUserNoResponse'
  | 'onUserLineBusy'
  | 'onUserInviting'
  | 'onUserJoin'
  | 'onUserLeave'
  | 'onSignal'
  | 'onKickedOffline'
  | 'onUserSigExpired'
  | 'onCallState'
  | 'onUserVideoAvailable'
  | 'onUserAudioAvailable'
  | 'onCallMediaTypeChanged';

/** Send a client event to a user's connected devices. */
export interface NotifyEffect {
  type: 'notify';
  userId: string;
  event: ClientEventName;
  data: Record<string, unknown>;
  /** Only to this device of the user. */
  onlyDevice?: string;
  /** To every device of the user except this one. */
  exceptDevice?: string;
}

/** The `CallInfo` object of StartCall callbacks and `get_call_info`. */
export interface CallbackCallInfo {
  CallId: string;
  MediaType: MediaType;
  ChatGroupId: string;
  RoomId: string;
  RoomIdType: RoomIdType;
}

/** A callback to enqueue, as typed data; `callbacks/` renders the wire body. */
export type CallbackEffect =
  | {
      type: 'callback';
      command: 'Call.CallbackAfterStartCall';
      callInfo: CallbackCallInfo;
      userList: CallbackUser[];
      eventTime: number;
    }
  | {
      type: 'callback';
      command: 'Call.CallbackAfterMemberChanged';
      callId: string;
      userList: CallbackUser[];
      changedUserList: { User_Account: string; ActionType: ActionType }[];
      eventTime: number;
    }
  | {
      type: 'callback';
      command: 'Call.CallbackAfterEndCall';
      callRecord: CallRecord;
      eventTime: number;
    };

/**
 * Kinds of server timer a call can own: a callee's ring timeout, a member's heartbeat expiry, and
 * the grace a member whose page closed its socket has to come back (`leave`, SPEC §4 Leaving).
 */
export type TimerKind = 'ring' | 'offline' | 'leave';

/** Arm a timer (replacing one of the same kind and user). `dueAt` is unix ms. */
export interface SetTimerEffect {
  type: 'setTimer';
  kind: TimerKind;
  userId: string;
  dueAt: number;
}

/** Disarm a timer. */
export interface CancelTimerEffect {
  type: 'cancelTimer';
  kind: TimerKind;
  userId: string;
}

/** The call ended; store its record. */
export interface RecordEffect {
  type: 'record';
  record: CallRecord;
}

/** Any effect of a domain step. */
export type Effect = NotifyEffect | CallbackEffect | SetTimerEffect | CancelTimerEffect | RecordEffect;

/** Result of a domain step: the next state (undefined once the call has ended) and its effects. */
export interface Step {
  callId: string;
  call: import('./types.js').Call | undefined;
  effects: Effect[];
}
