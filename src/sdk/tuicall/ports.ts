/**
 * What the engine stand-in needs from the world, as narrow interfaces: the signalling client
 * (a `DialtoneClient` in browsers), one call's WebRTC media (a `CallMedia`), the camera and
 * microphone, and the page (elements to render video into, audio to play). The browser wiring
 * is in `browser.ts`; unit tests pass fakes, so the engine's logic runs without a browser.
 */
import type { CallInfo, CallsParams, ClientEvents, MediaType } from '../client/types.js';

/** A member of a call with their camera and microphone as the server last heard them. */
export interface MemberMediaState {
  userId: string;
  status: 'Calling' | 'Waiting';
  /** Absent until the member first said (`setMediaState`). */
  camera?: boolean;
  /** Absent until the member first said (`setMediaState`). */
  microphone?: boolean;
}

/**
 * The client events the engine listens to. The media-state events and the `members`/`callerId`
 * of `onCallBegin` are part of SPEC §4; a server or client without them simply never sends them.
 */
export interface EngineClientEvents {
  onCallReceived: ClientEvents['onCallReceived'];
  onCallBegin: { callId: string; mediaType: MediaType; info: CallInfo; callerId?: string; members?: MemberMediaState[] };
  onCallEnd: ClientEvents['onCallEnd'];
  onCallNotConnected: ClientEvents['onCallNotConnected'];
  onUserReject: ClientEvents['onUserReject'];
  onUserNoResponse: ClientEvents['onUserNoResponse'];
  onUserLineBusy: ClientEvents['onUserLineBusy'];
  onUserInviting: ClientEvents['onUserInviting'];
  onUserJoin: ClientEvents['onUserJoin'];
  onUserLeave: ClientEvents['onUserLeave'];
  onCallState: Omit<ClientEvents['onCallState'], 'members'> & { members: MemberMediaState[] };
  onKickedOffline: ClientEvents['onKickedOffline'];
  onUserSigExpired: ClientEvents['onUserSigExpired'];
  onConnectionStateChanged: ClientEvents['onConnectionStateChanged'];
  onUserVideoAvailable: { callId: string; userId: string; available: boolean };
  onUserAudioAvailable: { callId: string; userId: string; available: boolean };
  onCallMediaTypeChanged: { callId: string; oldMediaType: MediaType; newMediaType: MediaType };
}

/** An event name of {@link EngineClientEvents}. */
export type EngineClientEventName = keyof EngineClientEvents;

/** The signalling client, as far as the engine uses it (a subset of `DialtoneClient`). */
export interface EngineClient {
  readonly userId: string;
  calls(params: CallsParams): Promise<{ callId: string; roomId: number | string; roomIdType: 1 | 2 }>;
  accept(callId: string): Promise<void>;
  reject(callId: string): Promise<void>;
  ignore(callId: string): Promise<void>;
  hangup(callId: string): Promise<void>;
  inviteUser(callId: string, userIdList: string[], options?: { timeout?: number }): Promise<string[]>;
  join(callId: string): Promise<void>;
  /** The sender's own camera/microphone on or off (SPEC §4); absent on a client without it. */
  setMediaState?: ((params: { callId: string; camera?: boolean; microphone?: boolean }) => Promise<void>) | undefined;
  /**
   * The call this user is in as the server said on sign-in (SPEC §4 `onCallState`), set when the
   * connection came up; absent on a client without it.
   */
  readonly currentCall?: EngineClientEvents['onCallState'] | null | undefined;
  /** Switches a connected 1-to-1 call's media type (SPEC §4); absent on a client without it. */
  switchMediaType?: ((params: { callId: string; mediaType: MediaType }) => Promise<void>) | undefined;
  on<E extends EngineClientEventName>(event: E, handler: (data: EngineClientEvents[E]) => void): unknown;
  off<E extends EngineClientEventName>(event: E, handler: (data: EngineClientEvents[E]) => void): unknown;
  destroy(): void;
}

/** The parts of a `MediaStreamTrack` the engine touches. */
export interface TrackLike {
  readonly kind: string;
  enabled: boolean;
  readonly readyState?: string;
  stop(): void;
  applyConstraints?(constraints: MediaTrackConstraints): Promise<void>;
  getSettings?(): { deviceId?: string };
}

/** The parts of a `MediaStream` the engine touches. */
export interface StreamLike {
  getTracks(): TrackLike[];
  getAudioTracks(): TrackLike[];
  getVideoTracks(): TrackLike[];
  addTrack(track: TrackLike): void;
  removeTrack(track: TrackLike): void;
}

/** One call's peer connections (a `CallMedia`). */
export interface CallMediaSession {
  /** Starts answering and offering with the local stream it was given. */
  start(): Promise<unknown>;
  /** Closes every connection (the engine stops the local tracks itself). */
  stop(): void;
  /** Puts a new track in place of the one of its kind without renegotiating, where supported. */
  replaceTrack?(track: TrackLike): Promise<void>;
  /** Camera on or off: switches the local track and tells the server (`CallMedia.setCamera`), where supported. */
  setCamera?(on: boolean): Promise<void>;
  /** Microphone on or off, likewise (`CallMedia.setMicrophone`). */
  setMicrophone?(on: boolean): Promise<void>;
  /** Listens for the call's measures (`CallMedia.on`): voice volume and network quality. */
  on?<E extends keyof MediaMeasures>(event: E, handler: (data: MediaMeasures[E]) => void): unknown;
  /** Stops listening (`CallMedia.off`). */
  off?<E extends keyof MediaMeasures>(event: E, handler: (data: MediaMeasures[E]) => void): unknown;
}

/**
 * The measures a call's media reports (a subset of `CallMediaEvents`), each event one member (or
 * this device, under its own user id), all of one reading back to back.
 */
export interface MediaMeasures {
  /** 0 (silence) to 100. */
  volume: { userId: string; volume: number };
  /** TRTC's scale: 0 unknown, 1 excellent … 5 very bad, 6 down. */
  networkQuality: { userId: string; quality: number };
}

/** Options of {@link EnginePlatform.createCallMedia}. */
export interface CallMediaParams {
  callId: string;
  mediaType: MediaType;
  localStream: StreamLike;
  /** `configureDialtone`'s; absent: the media uses the server's (`getIceServers`). */
  iceServers?: RTCIceServer[];
  /** This device comes back into a call it was in: the members connect to it afresh (`CallMedia` `rejoin`). */
  rejoin?: boolean;
  onRemoteStream(userId: string, stream: StreamLike): void;
  onRemoteGone(userId: string): void;
}

/** Options of {@link EnginePlatform.connect}. */
export interface ConnectParams {
  server: string;
  sdkAppId: number;
  userId: string;
  userSig: string;
  device?: string;
}

/** A camera, microphone or speaker (`getDeviceList`). */
export interface DeviceInfo {
  deviceId: string;
  /** The TRTC name of the label. */
  deviceName: string;
  /** What the UI shows. */
  label: string;
  groupId: string;
  kind: 'videoinput' | 'audioinput' | 'audiooutput';
}

/** How a video is drawn. */
export interface RenderOptions {
  /** CSS `object-fit`: `contain`, `cover` (default) or `fill`. */
  objectFit?: string;
  /** Mirror horizontally (default for the local preview). */
  mirror?: boolean;
  /** Clockwise rotation in degrees (0, 90, 180, 270). */
  rotation?: number;
}

/** The browser the engine runs in. */
export interface EnginePlatform {
  /** Signs in to Dialtone. */
  connect(params: ConnectParams): Promise<EngineClient>;
  /** Opens camera and/or microphone. */
  getUserMedia(constraints: MediaStreamConstraints): Promise<StreamLike>;
  /** Cameras, microphones and speakers. */
  enumerateDevices(): Promise<DeviceInfo[]>;
  /** Calls `listener` when devices are plugged or unplugged; returns the unsubscribe. */
  onDeviceChange(listener: () => void): () => void;
  /** The WebRTC side of one call. */
  createCallMedia(client: EngineClient, params: CallMediaParams): CallMediaSession;
  /** Draws the video of `stream` inside the element with id `domId`; false when there is no such element. */
  renderVideo(domId: string, stream: StreamLike, options: RenderOptions): boolean;
  /** Removes what {@link renderVideo} drew in `domId`. */
  clearVideo(domId: string): void;
  /** Plays a remote member's audio (no element of the page needed). */
  playAudio(userId: string, stream: StreamLike): void;
  /** Stops playing a member's audio. */
  stopAudio(userId: string): void;
  /** Mutes or unmutes every remote member's audio. */
  muteAudio(muted: boolean): void;
  /** Sends remote audio to this output device; false where the browser cannot choose. */
  setSpeaker(deviceId: string): Promise<boolean>;
  /** The page's origin, the default server. */
  origin(): string | undefined;
}
