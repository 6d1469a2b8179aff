/**
 * The client SDK's vocabulary: events and their payloads, options, error codes and the error
 * class. Apart from the client so that `webrtc.ts` and the index can use it without a cycle.
 */

import type {
  CallMemberState,
  CallRecord,
  EndReason,
  IceServer,
  IceServersAnswer,
  MediaType,
  Platform as ServerPlatform,
} from '../../protocol/wire.js';

// The wire vocabulary is shared with the server through protocol/ (type-only: nothing of the server is bundled).
export type { CallRecord, EndReason, IceServer, IceServersAnswer, MediaType };

/**
 * A member of a call: `Waiting` (ringing) or `Calling` (in it), and whether their own camera and
 * microphone are on, once they have said so (absent until then: treat as on).
 */
export type CallMember = CallMemberState;
/** Platform declared at connect (sent as `OptPlatform` in callbacks). */
export type Platform = Exclude<ServerPlatform, 'RESTAPI'>;

/** The `info` object of call events. */
export interface CallInfo {
  roomId: number | string;
  roomIdType: 1 | 2;
  userData: string;
  chatGroupId: string;
  /** Ring timeout, seconds. */
  timeout: number;
}

/** `{ callId, userId }` events. */
export interface CallUserEvent {
  callId: string;
  userId: string;
}

/**
 * A call as the client knows it ({@link DialtoneClient.currentCall}), in the shape of
 * `onCallState`. Times are unix ms: the server's when they came with `onCallState`, otherwise this
 * device's clock when it learned of the start or the connection.
 */
export interface CurrentCall {
  callId: string;
  callerId: string;
  /** The call's media type now (it changes with `onCallMediaTypeChanged`). */
  mediaType: MediaType;
  info: CallInfo;
  /** This user's own status: `Waiting` while it rings for them, `Calling` once in it. */
  status: 'Calling' | 'Waiting';
  /** Current members, this user included, with their camera and microphone as last heard. */
  members: CallMember[];
  startTime: number;
  /** 0 until the call connected. */
  acceptTime: number;
}

/** `onUserVideoAvailable` / `onUserAudioAvailable`: a member's camera / microphone went on or off. */
export interface MediaAvailableEvent {
  callId: string;
  userId: string;
  available: boolean;
}

/** Every event the client emits, with its payload. */
export interface ClientEvents {
  onCallReceived: { callId: string; callerId: string; calleeIdList: string[]; mediaType: MediaType; info: CallInfo };
  /**
   * The call connected for this user. `callerId` and `members` (with their camera and microphone)
   * come from Dialtone servers that have them (this version on); older ones leave them out.
   */
  onCallBegin: { callId: string; callerId?: string; mediaType: MediaType; info: CallInfo; members?: CallMember[] };
  /** `totalTime` in seconds. */
  onCallEnd: { callId: string; mediaType: MediaType; reason: EndReason; userId: string; totalTime: number };
  onCallNotConnected: { callId: string; mediaType: MediaType; reason: EndReason; userId: string };
  onUserReject: CallUserEvent;
  onUserNoResponse: CallUserEvent;
  onUserLineBusy: CallUserEvent;
  onUserInviting: CallUserEvent;
  onUserJoin: CallUserEvent;
  onUserLeave: CallUserEvent;
  onSignal: { callId: string; fromUserId: string; data: unknown };
  /** Sent after a reconnection to a member of a live call. Times are unix ms (the server's). */
  onCallState: CurrentCall;
  /** Another member's camera went on or off (`setMediaState`). */
  onUserVideoAvailable: MediaAvailableEvent;
  /** Another member's microphone went on or off (`setMediaState`). */
  onUserAudioAvailable: MediaAvailableEvent;
  /** A member switched the call's media type (`switchMediaType`); every member hears it, the switcher too. */
  onCallMediaTypeChanged: { callId: string; oldMediaType: MediaType; newMediaType: MediaType };
  onKickedOffline: Record<string, never>;
  onUserSigExpired: Record<string, never>;
  /**
   * SDK-local: the connection's state changed. `reason` says why it is `reconnecting` or
   * `disconnected` ({@link DisconnectReason}).
   */
  onConnectionStateChanged: { state: 'connected' | 'reconnecting' | 'disconnected'; reason?: DisconnectReason };
  /** SDK-local: a handler of `event` threw `error` (also printed with `console.error`); the other handlers still ran. */
  error: { event: ClientEventName; error: unknown };
}

/**
 * Why the connection went away: the network (`connectionLost`, then `reconnectFailed` when the
 * reconnect window ran out), this client (`destroyed`), a newer sign-in of the same device
 * (`kicked`), the UserSig running out (`userSigExpired`), or a refused sign-in on reconnection
 * (`authFailed`).
 */
export type DisconnectReason = 'connectionLost' | 'reconnectFailed' | 'destroyed' | 'kicked' | 'userSigExpired' | 'authFailed';

/** A client event name. */
export type ClientEventName = keyof ClientEvents;

/** Every client event name, as constants (`client.on(ClientEvent.onCallReceived, …)`). */
export const ClientEvent = {
  onCallReceived: 'onCallReceived',
  onCallBegin: 'onCallBegin',
  onCallEnd: 'onCallEnd',
  onCallNotConnected: 'onCallNotConnected',
  onUserReject: 'onUserReject',
  onUserNoResponse: 'onUserNoResponse',
  onUserLineBusy: 'onUserLineBusy',
  onUserInviting: 'onUserInviting',
  onUserJoin: 'onUserJoin',
  onUserLeave: 'onUserLeave',
  onSignal: 'onSignal',
  onCallState: 'onCallState',
  onUserVideoAvailable: 'onUserVideoAvailable',
  onUserAudioAvailable: 'onUserAudioAvailable',
  onCallMediaTypeChanged: 'onCallMediaTypeChanged',
  onKickedOffline: 'onKickedOffline',
  onUserSigExpired: 'onUserSigExpired',
  onConnectionStateChanged: 'onConnectionStateChanged',
  error: 'error',
} as const satisfies { [E in ClientEventName]: E };

/** Error codes the client may reject with (SPEC §1, §4, and the SDK's own). */
export const ClientErrorCode = {
  /** Invalid parameter. */
  INVALID_PARAM: -1202,
  /** Not allowed in the call's current state. */
  NOT_ALLOWED: -1203,
  /** Already in a call. */
  REPEATED_CALL: -1204,
  /** The request could not be sent or got no answer (connection lost, timeout). */
  SEND_FAILED: -1406,
  /** The client was destroyed, kicked offline, or its UserSig expired. */
  NOT_CONNECTED: -1201,
} as const;

/** An error from the server or the SDK, with its code. */
export class DialtoneClientError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'DialtoneClientError';
  }
}

/** Minimal WebSocket surface the SDK needs (browser WebSocket and `ws` both fit). */
export interface WebSocketLike {
  readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

/** A WebSocket constructor. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** Options of {@link DialtoneClient.init}. */
export interface InitOptions {
  /** Server base URL, e.g. `http://127.0.0.1:8080` or `wss://calls.example.com`. */
  server: string;
  sdkAppId: number;
  userId: string;
  userSig: string;
  /** Default `Web` in browsers, `Unknown` elsewhere. */
  platform?: Platform;
  /** Device id for multi-device login; keep it stable across reconnects. Default `default`. */
  device?: string;
  /** WebSocket implementation. Default: the global one, else the `ws` package. */
  WebSocket?: WebSocketConstructor;
  /** Heartbeat interval, ms. Default 10000. */
  heartbeatIntervalMs?: number;
  /** Give up reconnecting after this long, ms. Default 25000 (inside the server's 30 s expiry). */
  reconnectWindowMs?: number;
  /** Reply timeout of an op, ms. Default 10000. */
  requestTimeoutMs?: number;
}

/** Arguments of {@link DialtoneClient.calls}. */
export interface CallsParams {
  userIdList: string[];
  mediaType: MediaType;
  roomId?: number | string;
  roomIdType?: 1 | 2;
  /** Ring timeout, seconds. Default 30. */
  timeout?: number;
  userData?: string;
  chatGroupId?: string;
}

/** Arguments of {@link DialtoneClient.setMediaState}: give `camera`, `microphone` or both. */
export interface MediaStateParams {
  /** Default: the current call's. */
  callId?: string;
  /** This user's own camera is on. */
  camera?: boolean;
  /** This user's own microphone is on. */
  microphone?: boolean;
}

/** Arguments of {@link DialtoneClient.switchMediaType}. */
export interface SwitchMediaTypeParams {
  /** Default: the current call's. */
  callId?: string;
  mediaType: MediaType;
}

/** Arguments of {@link DialtoneClient.getRecentCalls}. */
export interface RecentCallsParams {
  /** How many records, 1 to 50. Default 20. */
  limit?: number;
}
