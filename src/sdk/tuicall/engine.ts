/**
 * A stand-in for `TUICallEngine` of `@tencentcloud/call-engine-js` 3.3.x, so that Tencent's
 * open-source call UI runs unmodified on Dialtone (SPEC §8). It has the public methods of that
 * package's type declarations and drives a Dialtone client (signalling, SPEC §4) and one
 * `CallMedia` per call (WebRTC) underneath; it translates names and fields (map.ts) and keeps the
 * state Tencent's engine keeps for the UI: the current call, who entered it, whose video and audio
 * are available, the local camera and microphone. Written from the declarations, Tencent's public
 * documentation and what the UI's own source reads, never from the closed engine's code.
 *
 * Behaviour the UI depends on that the declarations do not say: `SDK_READY` after `login`;
 * `calls`/`call`/`groupCall`/`accept` resolve to `{ code: 0, … }`; `hangup` resolves to an array;
 * `USER_VIDEO_AVAILABLE` with `isVideoAvailable: true` is what makes the UI call
 * `startRemoteView`; errors carry a string `message`.
 */
import type { CallInfo, MediaType } from '../client/types.js';
import { TUICallErrorEventCode, TUIErrorCode, VIDEO_ENCODER_MAP } from './constants.js';
import { TUICallEvent } from './events.js';
import {
  availability,
  deviceError,
  deviceKind,
  mapAudioAvailable,
  mapCallBegin,
  mapCallEnd,
  mapCallReceived,
  mapMediaTypeChanged,
  mapNoResponse,
  mapNotConnected,
  mapUser,
  mapVideoAvailable,
  roomFields,
  roomRequest,
  toMediaType,
  toTUIError,
  TUICallError,
  type CallContext,
} from './map.js';
import type {
  CallMediaSession,
  DeviceInfo,
  EngineClient,
  EngineClientEventName,
  EngineClientEvents,
  EnginePlatform,
  MediaMeasures,
  MemberMediaState,
  RenderOptions,
  StreamLike,
  TrackLike,
} from './ports.js';
import { profileChat, trtcCloudStub, type Profile, type ProfileChat, type TRTCCloudStub } from './stubs.js';

/** A member who leaves the call's way out: the engine event it becomes and how its data maps. */
const DEPARTURES = {
  onUserLeave: [TUICallEvent.USER_LEAVE, mapUser],
  onUserReject: [TUICallEvent.REJECT, mapUser],
  onUserLineBusy: [TUICallEvent.LINE_BUSY, mapUser],
  onUserNoResponse: [TUICallEvent.NO_RESP, mapNoResponse],
} as const;

/** The element id of the UI's own view (`openCamera('localVideo')`). */
const LOCAL_VIEW_ID = 'localVideo';

/** Dialtone's own settings of the engine (`configureDialtone`). */
export interface DialtoneOptions {
  /** Server base URL, e.g. `https://calls.example.com`. Default: the page's origin. */
  server?: string | undefined;
  /** Device id for multi-device sign-in (SPEC §4); default `default`. */
  device?: string | undefined;
  /**
   * STUN/TURN servers for WebRTC; given, they replace the server's. Default: the server's
   * (`getIceServers`), fetched by the call's media and again before their credentials expire.
   */
  iceServers?: RTCIceServer[] | undefined;
}

const settings: DialtoneOptions = {};

/**
 * Sets where and how the engine connects; call it before `login`. Only the fields given change
 * (`undefined` resets one to its default).
 */
export function configureDialtone(options: DialtoneOptions): void {
  for (const key of ['server', 'device', 'iceServers'] as const) {
    if (key in options) {
      if (options[key] === undefined) delete settings[key];
      else (settings as Record<string, unknown>)[key] = options[key];
    }
  }
}

/** The settings `configureDialtone` made. */
export function dialtoneSettings(): Readonly<DialtoneOptions> {
  return { ...settings };
}

let defaultPlatform: (() => EnginePlatform) | undefined;

/** Sets the platform `createInstance` uses (the browser one in the bundle; tests pass fakes). */
export function setDefaultPlatform(factory: () => EnginePlatform): void {
  defaultPlatform = factory;
}

/** Options of `createInstance`, as declared (most are reporting details Dialtone ignores). */
export interface TUICallEngineOptions {
  SDKAppID?: number;
  sdkAppID?: number;
  /** A chat instance of the app; when given, `getTim()` returns it (profiles come from it). */
  tim?: unknown;
  callkitVersion?: string;
  framework?: string;
  isFromChat?: boolean;
  language?: number;
  component?: number;
  isSharedInstance?: boolean;
}

/** `login`/`init` parameters. */
export interface LoginParams {
  userID: string;
  userSig: string;
  assetsPath?: string;
  /** Accepted here too, when `createInstance` was given none. */
  SDKAppID?: number;
}

type Handler = (...args: unknown[]) => unknown;
type Status = 'dialing' | 'ringing' | 'joining' | 'connected';

interface Remote {
  userId: string;
  /** In the call (accepted or joined), not just invited. */
  entered: boolean;
  stream?: StreamLike | undefined;
  camera?: boolean;
  microphone?: boolean;
  /** What USER_VIDEO_AVAILABLE / USER_AUDIO_AVAILABLE last said. */
  video: boolean;
  audio: boolean;
  viewId?: string | undefined;
}

interface Call {
  callId: string;
  role: 'caller' | 'callee';
  status: Status;
  mediaType: MediaType;
  callerId: string;
  roomId: number | string;
  roomIdType: 1 | 2;
  chatGroupId: string;
  remotes: Map<string, Remote>;
  media?: CallMediaSession | undefined;
  /** What this device last told the server with `setMediaState`. */
  sent: { camera?: boolean; microphone?: boolean };
  /** This side hung up or rejected: media is gone, only the server's closing event is awaited. */
  closing: boolean;
  /**
   * A call this user was already in when this page signed in (it reloaded): it rings here again,
   * as the UI can only enter a call by answering it; `accept` rejoins it, `reject` hangs up.
   * The members who were in it then.
   */
  resumed?: string[] | undefined;
}

/** One reading of a measure, collected until the media's back-to-back events of it are in. */
type Reading<T> = { items: T[]; flush: boolean };

/** A `{ code: 0 }` answer, as the UI checks for. */
function ok(data: Record<string, unknown> = {}): Record<string, unknown> {
  return { code: 0, message: 'success', ...data, data };
}

function liveTracks(stream: StreamLike | undefined, kind: 'audio' | 'video'): TrackLike[] {
  if (!stream) return [];
  const tracks = kind === 'audio' ? stream.getAudioTracks() : stream.getVideoTracks();
  return tracks.filter((t) => t.readyState !== 'ended');
}

const LEVEL_NAMES = ['debug', 'info', 'warn', 'error'] as const;

/** TUICallEngine on Dialtone. */
export class TUICallEngine {
  /** As declared. */
  static className = 'TUICallEngine';
  /** The instance `createInstance` made, or null. */
  static instance: TUICallEngine | null = null;

  /** The chat instance the UI asks for profiles: the app's own when given, else {@link profileChat}. */
  tim: unknown;
  /** The TRTCCloud stand-in ({@link getTRTCCloudInstance}). */
  trtcCloud: TRTCCloudStub;

  private readonly platform: EnginePlatform;
  private readonly listeners = new Map<string, { fn: Handler; ctx: unknown }[]>();
  private readonly profiles: ProfileChat;
  private sdkAppId: number | undefined;
  private client: EngineClient | undefined;
  private unsubscribe: (() => void)[] = [];
  private self: Profile = { userID: '', nick: '', avatar: '' };
  private current: Call | undefined;
  /** A `calls` is waiting for its reply: events of an unknown call are kept until it comes. */
  private dialing: { events: [EngineClientEventName, unknown][]; cancelled: boolean } | undefined;
  private local: StreamLike | undefined;
  private localViewId: string | undefined;
  private readonly render: { local: RenderOptions; all: RenderOptions; users: Map<string, RenderOptions> } = {
    local: {},
    all: {},
    users: new Map(),
  };
  private videoProfile = '480p';
  private readonly devices: { camera?: string; microphone?: string; speaker?: string } = {};
  /** The way the camera faces, once `switchCamera` chose (a chosen camera device wins). */
  private facing: 'user' | 'environment' | undefined;
  private readonly permission = { audio: false, video: false };
  private logLevel = 1;
  /** Calls this device heard of, by group id and room id, for `joinInGroupCall`. */
  private readonly knownCalls = new Map<string, string>();

  /** Use {@link TUICallEngine.createInstance}; `platform` is for tests and other environments. */
  constructor(options: TUICallEngineOptions = {}, platform?: EnginePlatform) {
    const p = platform ?? defaultPlatform?.();
    if (!p) throw new TUICallError(TUIErrorCode.ERR_SDK_NOT_INITIALIZED, 'no platform: load the engine in a browser');
    this.platform = p;
    this.sdkAppId = options.SDKAppID ?? options.sdkAppID;
    this.profiles = profileChat(() => this.self);
    this.tim = options.tim ?? this.profiles;
    this.trtcCloud = trtcCloudStub((muted) => this.platform.muteAudio(muted));
  }

  /** No WebAssembly module here: accepted and ignored. */
  static setModule(_module: unknown): void {}

  /** The one engine instance (made on the first call). */
  static createInstance(options: TUICallEngineOptions = {}): TUICallEngine {
    if (!TUICallEngine.instance) TUICallEngine.instance = new TUICallEngine(options);
    else if (TUICallEngine.instance.sdkAppId === undefined) TUICallEngine.instance.sdkAppId = options.SDKAppID ?? options.sdkAppID;
    return TUICallEngine.instance;
  }

  /** `once('ready', fn)`: the engine is ready at once (no WebAssembly to load), so `fn` runs soon. */
  static once(event: string, func: (...args: unknown[]) => void): void {
    if (event === 'ready') queueMicrotask(() => func());
  }

  /** Signs out and forgets the instance. */
  async destroyInstance(): Promise<void> {
    await this.logout();
    if (TUICallEngine.instance === this) TUICallEngine.instance = null;
  }

  /** Signs in to Dialtone (`configureDialtone` says where); emits `SDK_READY`. */
  async login(params: LoginParams): Promise<void> {
    try {
      const userID = params?.userID;
      const userSig = params?.userSig;
      if (typeof userID !== 'string' || userID === '' || typeof userSig !== 'string' || userSig === '') {
        throw new TUICallError(TUIErrorCode.ERR_INVALID_PARAMETER, 'login needs userID and userSig');
      }
      const sdkAppId = this.sdkAppId ?? params.SDKAppID;
      if (typeof sdkAppId !== 'number') {
        throw new TUICallError(TUIErrorCode.ERR_INVALID_PARAMETER, 'no SDKAppID: pass it to createInstance');
      }
      const server = settings.server ?? this.platform.origin();
      if (!server) throw new TUICallError(TUIErrorCode.ERR_INVALID_PARAMETER, 'no server: call configureDialtone({ server })');
      if (this.client) {
        if (this.client.userId === userID) {
          this.emit(TUICallEvent.SDK_READY, {});
          return;
        }
        await this.logout();
      }
      const client = await this.platform.connect({
        server,
        sdkAppId,
        userId: userID,
        userSig,
        ...(settings.device !== undefined ? { device: settings.device } : {}),
      });
      this.client = client;
      this.sdkAppId = sdkAppId;
      this.self = {
        userID,
        nick: this.self.userID === userID ? this.self.nick : '',
        avatar: this.self.userID === userID ? this.self.avatar : '',
      };
      this.subscribe(client);
      this.emit(TUICallEvent.SDK_READY, {});
      this.offerResume(client);
    } catch (err) {
      throw this.fail(err, 'login');
    }
  }

  /**
   * This page signed in while its user is in a call (a reload): the call rings here again (the UI
   * enters a call only by answering it), from the caller, or for the caller from the others.
   */
  private offerResume(client: EngineClient): void {
    const state = client.currentCall;
    if (!state || state.status !== 'Calling' || this.current) return;
    const self = client.userId;
    const others = state.members.map((m) => m.userId).filter((u) => u !== self);
    const from = state.callerId !== self ? state.callerId : others[0];
    if (from === undefined) return;
    const call = this.newCall({
      callId: state.callId,
      role: 'callee',
      status: 'ringing',
      mediaType: state.mediaType,
      callerId: from,
      roomId: state.info.roomId,
      roomIdType: state.info.roomIdType,
      chatGroupId: state.info.chatGroupId ?? '',
    });
    call.resumed = state.members.filter((m) => m.status === 'Calling' && m.userId !== self).map((m) => m.userId);
    for (const u of others) this.remote(call, u);
    this.memberStates(call, state.members);
    this.current = call;
    this.remember(call);
    const payload = mapCallReceived({
      callId: state.callId,
      callerId: from,
      calleeIdList: [self, ...others.filter((u) => u !== from)],
      mediaType: state.mediaType,
      info: state.info,
    });
    // After SDK_READY's listeners (the UI sets up its user there) have run.
    setTimeout(() => {
      if (this.current !== call || call.closing) return;
      this.emit(TUICallEvent.ON_CALL_RECEIVED, payload);
      this.emit(TUICallEvent.INVITED, payload);
    }, 0);
  }

  /** Alias of {@link login}. */
  init(params: LoginParams): Promise<void> {
    return this.login(params);
  }

  /** Leaves any call and closes the connection. */
  async logout(): Promise<void> {
    const client = this.client;
    if (!client) return;
    const call = this.activeCall();
    if (call) await (call.status === 'ringing' ? client.reject(call.callId) : client.hangup(call.callId)).catch(() => undefined);
    this.teardown();
    for (const u of this.unsubscribe.splice(0)) u();
    this.client = undefined;
    client.destroy();
  }

  /** A 1-to-1 call (the v2 API): `calls` with one user. */
  async call(params: {
    userID: string;
    type: number;
    timeout?: number;
    roomID?: number;
    strRoomID?: string;
    userData?: string;
    offlinePushInfo?: unknown;
  }): Promise<Record<string, unknown>> {
    return this.dial('call', { ...params, userIDList: [params?.userID] });
  }

  /** A group call in a chat group (the v2 API): `calls` with the group id as `chatGroupID`. */
  async groupCall(params: {
    userIDList: string[];
    type: number;
    groupID: string;
    timeout?: number;
    roomID?: number;
    strRoomID?: string;
    userData?: string;
    offlinePushInfo?: unknown;
  }): Promise<Record<string, unknown>> {
    return this.dial('groupCall', { ...params, chatGroupID: params?.groupID });
  }

  /** Calls one or more users; resolves `{ code: 0, callId, roomID, strRoomID }` once the server took the call. */
  async calls(params: {
    userIDList: string[];
    type: number;
    chatGroupID?: string;
    timeout?: number;
    roomID?: number;
    strRoomID?: string;
    userData?: string;
    offlinePushInfo?: unknown;
  }): Promise<Record<string, unknown>> {
    return this.dial('calls', params);
  }

  /** Answers the ringing call: opens camera/microphone, then accepts. */
  async accept(): Promise<Record<string, unknown>> {
    try {
      const client = this.signedIn();
      const call = this.activeCall();
      if (!call || call.role !== 'callee' || call.status !== 'ringing') {
        throw new TUICallError(TUIErrorCode.ERR_FAILED, 'accept: no call is ringing');
      }
      let local: StreamLike;
      try {
        local = await this.openLocal(call.mediaType === 'Video');
      } catch (err) {
        // Without camera or microphone this call cannot be answered: free the caller at once.
        await client.reject(call.callId).catch(() => undefined);
        this.teardown();
        throw err;
      }
      // Media first: the caller's offer follows the accept at once and must find it ready.
      await this.startMedia(call, local);
      if (call.resumed) {
        this.rejoined(call);
        return ok({ callId: call.callId });
      }
      try {
        await client.accept(call.callId);
      } catch (err) {
        if (this.current === call) this.teardown();
        throw err;
      }
      if (call.status === 'ringing') call.status = 'connected';
      return ok({ callId: call.callId });
    } catch (err) {
      throw this.fail(err, 'accept');
    }
  }

  /** Declines the ringing call (a call this page came back to: leaves it). */
  async reject(): Promise<Record<string, unknown>> {
    try {
      const client = this.signedIn();
      const call = this.activeCall();
      if (!call) return ok();
      this.close(call);
      await (call.resumed ? client.hangup(call.callId) : client.reject(call.callId));
      return ok({ callId: call.callId });
    } catch (err) {
      throw this.fail(err, 'reject');
    }
  }

  /** Leaves the call (cancels it when nobody answered yet); resolves to an array of results, as the UI expects. */
  async hangup(): Promise<Record<string, unknown>[]> {
    try {
      const client = this.signedIn();
      if (this.dialing && !this.current) {
        this.dialing.cancelled = true;
        return [ok()];
      }
      const call = this.activeCall();
      if (!call) return [];
      this.close(call);
      await (call.status === 'ringing' && !call.resumed ? client.reject(call.callId) : client.hangup(call.callId));
      return [ok({ callId: call.callId })];
    } catch (err) {
      throw this.fail(err, 'hangup');
    }
  }

  /** Rings more users into the current call. */
  async inviteUser(params: { userIDList: string[]; timeout?: number; userData?: string; offlinePushInfo?: unknown }): Promise<void> {
    try {
      const client = this.signedIn();
      const call = this.activeCall();
      if (!call || call.status === 'ringing') throw new TUICallError(TUIErrorCode.ERR_FAILED, 'inviteUser: not in a call');
      const list = params?.userIDList;
      if (!Array.isArray(list) || list.length === 0 || !list.every((u) => typeof u === 'string')) {
        throw new TUICallError(TUIErrorCode.ERR_INVALID_PARAMETER, 'inviteUser needs userIDList');
      }
      const rung = await client.inviteUser(call.callId, list, params.timeout !== undefined ? { timeout: params.timeout } : {});
      for (const u of rung) this.remote(call, u);
    } catch (err) {
      throw this.fail(err, 'inviteUser');
    }
  }

  /**
   * Joins a group call by its chat group or room: Dialtone joins by call id, so this works for
   * a call this device has heard of (it rang here); otherwise use {@link join}.
   */
  async joinInGroupCall(params: { type: number; groupID: string; roomID: number; strRoomID: string }): Promise<void> {
    const callId =
      (params?.groupID ? this.knownCalls.get(`group:${params.groupID}`) : undefined) ??
      (params?.strRoomID ? this.knownCalls.get(`room:${params.strRoomID}`) : undefined) ??
      (params?.roomID ? this.knownCalls.get(`room:${params.roomID}`) : undefined);
    if (!callId) {
      throw this.fail(
        new TUICallError(
          TUIErrorCode.ERR_INVALID_PARAMETER,
          'joinInGroupCall: no call of that group or room is known here; use join({ callId })',
        ),
        'joinInGroupCall',
      );
    }
    return this.join({ callId });
  }

  /** Joins a live group call by its id (SPEC §5.2 says who may). */
  async join(params: { callId: string }): Promise<void> {
    try {
      const client = this.signedIn();
      const callId = params?.callId;
      if (typeof callId !== 'string' || callId === '') throw new TUICallError(TUIErrorCode.ERR_INVALID_PARAMETER, 'join needs callId');
      if (this.activeCall() || this.dialing) throw new TUICallError(TUIErrorCode.ERR_FAILED, 'join: already in a call');
      // The media type is known only once inside (onCallBegin): open both, camera off until asked.
      const local = await this.openLocal(true, true);
      for (const t of local.getVideoTracks()) t.enabled = false;
      const call = this.newCall({ callId, role: 'callee', status: 'joining', mediaType: 'Video', callerId: '' });
      this.current = call;
      await this.startMedia(call, local);
      try {
        await client.join(callId);
      } catch (err) {
        if (this.current === call) this.teardown();
        throw err;
      }
      await this.sendMediaState(call, { camera: false });
    } catch (err) {
      throw this.fail(err, 'join');
    }
  }

  /** Turns the camera on and shows it in the element `videoViewDomID` (also before a call, as a preview). */
  async openCamera(videoViewDomID: string, isFrontCamera?: boolean): Promise<void> {
    try {
      if (typeof videoViewDomID !== 'string' || videoViewDomID === '') {
        throw new TUICallError(TUIErrorCode.ERR_INVALID_PARAMETER, 'openCamera needs the id of an element');
      }
      const call = this.activeCall();
      let track = liveTracks(this.local, 'video')[0];
      if (!track) {
        if (call?.status === 'connected' && call.media && !call.media.replaceTrack) {
          throw new TUICallError(
            TUIErrorCode.ERR_CAMERA_START_FAILED,
            'this call was set up without a camera; it cannot be added mid-call',
          );
        }
        const stream = await this.capture({ video: this.videoConstraints(isFrontCamera) }, 'camera');
        track = stream.getVideoTracks()[0]!;
        this.local ??= stream;
        if (this.local !== stream) this.local.addTrack(track);
        if (call?.status === 'connected') await call.media?.replaceTrack?.(track);
      }
      track.enabled = true;
      this.localViewId = videoViewDomID;
      this.platform.renderVideo(videoViewDomID, this.local!, { mirror: true, ...this.render.all, ...this.render.local });
      if (call) await this.sendMediaState(call, { camera: true });
    } catch (err) {
      throw this.fail(err, 'openCamera');
    }
  }

  /** Turns the camera off (in a call the other members are told; the preview stops). */
  async closeCamera(): Promise<void> {
    const call = this.activeCall();
    if (!call) {
      for (const t of liveTracks(this.local, 'video')) {
        t.stop();
        this.local?.removeTrack(t);
      }
      if (this.localViewId) this.platform.clearVideo(this.localViewId);
      this.localViewId = undefined;
      return;
    }
    for (const t of liveTracks(this.local, 'video')) t.enabled = false;
    await this.sendMediaState(call, { camera: false });
  }

  /**
   * Front (0) or back (1) camera, as phones have (`facingMode`); a camera that is not open yet
   * opens facing that way. Where the browser has one camera it stays in use.
   */
  async switchCamera(cameraPosition: number): Promise<void> {
    try {
      if (cameraPosition !== 0 && cameraPosition !== 1) {
        throw new TUICallError(TUIErrorCode.ERR_INVALID_PARAMETER, 'switchCamera takes 0 (front) or 1 (back)');
      }
      this.facing = cameraPosition === 0 ? 'user' : 'environment';
      delete this.devices.camera;
      await this.swapTrack('video');
    } catch (err) {
      throw this.fail(err, 'switchCamera');
    }
  }

  /** Video profile (`480p` default, `720p`, `1080p`; also `360p`, `540p`): applied to the camera at once where it can be. */
  async setVideoQuality(profile: string): Promise<void> {
    const p = VIDEO_ENCODER_MAP[profile];
    if (!p)
      throw this.fail(new TUICallError(TUIErrorCode.ERR_INVALID_PARAMETER, `unknown video profile ${String(profile)}`), 'setVideoQuality');
    this.videoProfile = profile;
    for (const t of liveTracks(this.local, 'video')) {
      await t
        .applyConstraints?.({ width: { ideal: p.width }, height: { ideal: p.height }, frameRate: { ideal: p.frameRate } })
        .catch(() => undefined);
    }
  }

  /** How videos are drawn: `objectFit`, `mirror`, `rotation`, for one user (`userID`) or all. */
  async setVideoRenderParams(params: {
    userID?: string;
    objectFit?: string;
    mirror?: boolean;
    rotation?: number;
    muted?: boolean;
  }): Promise<void> {
    const opts: RenderOptions = {};
    if (params?.objectFit !== undefined) opts.objectFit = params.objectFit;
    if (params?.mirror !== undefined) opts.mirror = params.mirror;
    if (params?.rotation !== undefined) opts.rotation = params.rotation;
    const userID = params?.userID;
    if (userID === undefined || userID === '') Object.assign(this.render.all, opts);
    else if (userID === this.self.userID) Object.assign(this.render.local, opts);
    else this.render.users.set(userID, { ...this.render.users.get(userID), ...opts });
    this.redraw();
  }

  /** Unmutes the microphone; in a call the other members are told. */
  async openMicrophone(): Promise<void> {
    for (const t of liveTracks(this.local, 'audio')) t.enabled = true;
    const call = this.activeCall();
    if (call) await this.sendMediaState(call, { microphone: true });
  }

  /** Mutes the microphone; in a call the other members are told. */
  async closeMicrophone(): Promise<void> {
    for (const t of liveTracks(this.local, 'audio')) t.enabled = false;
    const call = this.activeCall();
    if (call) await this.sendMediaState(call, { microphone: false });
  }

  /** Shows a member's video in the element `videoViewDomID` (now, or as soon as it arrives). */
  async startRemoteView(params: { userID: string; videoViewDomID: string; options?: { objectFit?: string } }): Promise<void> {
    try {
      const call = this.activeCall();
      const remote = call?.remotes.get(params?.userID);
      if (!call || !remote)
        throw new TUICallError(TUIErrorCode.ERR_INVALID_PARAMETER, `startRemoteView: ${String(params?.userID)} is not in the call`);
      if (typeof params.videoViewDomID !== 'string' || params.videoViewDomID === '') {
        throw new TUICallError(TUIErrorCode.ERR_INVALID_PARAMETER, 'startRemoteView needs videoViewDomID');
      }
      if (params.options?.objectFit)
        this.render.users.set(remote.userId, { ...this.render.users.get(remote.userId), objectFit: params.options.objectFit });
      remote.viewId = params.videoViewDomID;
      if (remote.stream && !this.platform.renderVideo(remote.viewId, remote.stream, this.remoteRender(remote.userId))) {
        throw new TUICallError(TUIErrorCode.ERR_INVALID_PARAMETER, `startRemoteView: no element with id ${remote.viewId}`);
      }
    } catch (err) {
      throw this.fail(err, 'startRemoteView');
    }
  }

  /** Stops showing a member's video. */
  async stopRemoteView(params: { userID: string }): Promise<void> {
    const remote = this.current?.remotes.get(params?.userID);
    if (remote?.viewId) this.platform.clearVideo(remote.viewId);
    if (remote) remote.viewId = undefined;
  }

  /** Background blur needs Tencent's video effects: a no-op on Dialtone. */
  async setBlurBackground(_blurLevel: number): Promise<void> {}

  /** Virtual backgrounds need Tencent's video effects: a no-op on Dialtone. */
  async setVirtualBackground(_imagePath: string): Promise<void> {}

  /** Beauty filters need Tencent's video effects: a no-op on Dialtone. */
  async setBeautyLevel(_params: unknown): Promise<void> {}

  /** Tencent's AI voice (the UI calls it; not in the declarations): a no-op on Dialtone. */
  async enableAIVoice(_enable: boolean): Promise<void> {}

  /**
   * Dialtone always lets a user sign in on several devices, each with its own device id
   * (`configureDialtone({ device })`): nothing to switch on, accepted and ignored.
   */
  enableMultiDeviceAbility(_enable: boolean): void {}

  /** Sets this user's name and avatar, shown by this page (Dialtone keeps no profiles for others to see). */
  async setSelfInfo(options: { nickName: string; avatar: string }): Promise<void> {
    this.self = { ...this.self, nick: String(options?.nickName ?? ''), avatar: String(options?.avatar ?? '') };
  }

  /** Log level: 0 everything … 4 nothing (default 1). */
  setLogLevel(level: number): void {
    if (typeof level === 'number') this.logLevel = level;
  }

  /** Subscribes to an event of {@link TUICallEvent}; `context` becomes `this` of the callback. */
  on(event: string, callback: Handler, context?: unknown): void {
    if (typeof callback !== 'function') return;
    let list = this.listeners.get(event);
    if (!list) this.listeners.set(event, (list = []));
    list.push({ fn: callback, ctx: context });
  }

  /** Unsubscribes what {@link on} subscribed. */
  off(event: string, callback: Handler, context?: unknown): void {
    const list = this.listeners.get(event);
    if (!list) return;
    const i = list.findIndex((l) => l.fn === callback && (context === undefined || l.ctx === context));
    if (i >= 0) list.splice(i, 1);
  }

  /** The TRTCCloud stand-in: `on`, `off` (no events) and `muteAllRemoteAudio`. */
  getTRTCCloudInstance(): TRTCCloudStub {
    return this.trtcCloud;
  }

  /** The chat instance profiles come from (see {@link tim}). */
  getTim(): unknown {
    return this.tim;
  }

  /** Tencent's experimental switches: none apply to Dialtone; resolves `{}`. */
  async callExperimentalAPI(_jsonStr: string): Promise<Record<string, never>> {
    return {};
  }

  /** Log lines the UI reports (not in the declarations; the UI calls it when present). */
  reportLog(entry: unknown): void {
    this.log(0, 'report', entry);
  }

  /** Cameras (`camera`), microphones (`microphone`/`microphones`) or speakers (`speaker`). */
  async getDeviceList(deviceType: string): Promise<DeviceInfo[]> {
    const kind = deviceKind(deviceType);
    if (!kind)
      throw this.fail(new TUICallError(TUIErrorCode.ERR_INVALID_PARAMETER, `unknown device type ${String(deviceType)}`), 'getDeviceList');
    return (await this.platform.enumerateDevices()).filter((d) => d.kind === kind);
  }

  /**
   * Uses another camera, microphone or speaker. Resolves true when it took effect now, false when
   * it will from the next call (a camera or microphone in a connected call needs track
   * replacement, which `CallMedia` does not offer yet).
   */
  async switchDevice(params: { deviceType: string; deviceId: string }): Promise<boolean> {
    try {
      const kind = deviceKind(params?.deviceType);
      const deviceId = params?.deviceId;
      if (!kind || typeof deviceId !== 'string' || deviceId === '') {
        throw new TUICallError(TUIErrorCode.ERR_INVALID_PARAMETER, 'switchDevice needs deviceType and deviceId');
      }
      if (kind === 'audiooutput') {
        this.devices.speaker = deviceId;
        return await this.platform.setSpeaker(deviceId);
      }
      const video = kind === 'videoinput';
      if (video) {
        this.devices.camera = deviceId;
        this.facing = undefined;
      } else this.devices.microphone = deviceId;
      return await this.swapTrack(video ? 'video' : 'audio');
    } catch (err) {
      throw this.fail(err, 'switchDevice');
    }
  }

  /**
   * Opens the camera or microphone as now chosen in place of the open one, sent on every
   * connection of a call (no renegotiation). False when none is open (the choice then applies
   * when one opens) or a call's media cannot replace tracks.
   */
  private async swapTrack(kind: 'audio' | 'video'): Promise<boolean> {
    const video = kind === 'video';
    const old = liveTracks(this.local, kind)[0];
    if (!old || !this.local) return false;
    const call = this.activeCall();
    const inCall = call?.status === 'connected' || call?.status === 'joining';
    if (inCall && !call?.media?.replaceTrack) return false;
    const stream = await this.capture(
      video ? { video: this.videoConstraints() } : { audio: this.audioConstraints() },
      video ? 'camera' : 'microphone',
    );
    const track = (video ? stream.getVideoTracks() : stream.getAudioTracks())[0]!;
    track.enabled = old.enabled;
    if (inCall) await call!.media!.replaceTrack!(track);
    this.local.removeTrack(old);
    old.stop();
    this.local.addTrack(track);
    if (video && this.localViewId)
      this.platform.renderVideo(this.localViewId, this.local, { mirror: true, ...this.render.all, ...this.render.local });
    return true;
  }

  /**
   * Switches the connected 1-to-1 call to audio (1) or video (2) for everyone (SPEC §4
   * `switchMediaType`); failures are also the `ERROR` event with code 60001 (to audio) or 60002
   * (to video). To video, every member's camera opens (`CallMedia` renegotiates a call that began
   * as audio) and each page's own view shows it in the element of the last `openCamera`, else
   * the UI's `localVideo`.
   */
  async switchCallMediaType(newMediaType: number): Promise<void> {
    const mediaType = toMediaType(newMediaType);
    const code =
      mediaType === 'Video' ? TUICallErrorEventCode.SWITCH_TO_VIDEO_CALL_FAILED : TUICallErrorEventCode.SWITCH_TO_AUDIO_CALL_FAILED;
    try {
      const client = this.signedIn();
      if (!mediaType) throw new TUICallError(TUIErrorCode.ERR_INVALID_PARAMETER, 'switchCallMediaType takes 1 (audio) or 2 (video)');
      const call = this.activeCall();
      if (!call || call.status !== 'connected')
        throw new TUICallError(TUIErrorCode.ERR_FAILED, 'switchCallMediaType: not in a connected call');
      if (!client.switchMediaType)
        throw new TUICallError(TUIErrorCode.ERR_FAILED, 'switchCallMediaType: this Dialtone client cannot switch media types');
      await client.switchMediaType({ callId: call.callId, mediaType });
    } catch (err) {
      const e = toTUIError(err, 'switchCallMediaType');
      this.emit(TUICallEvent.ERROR, { code, message: e.message });
      throw e;
    }
  }

  /** Which devices this page may use, as far as it has asked. */
  getDevicePermission(): { audio: boolean; video: boolean } {
    return { ...this.permission };
  }

  // ————— calls —————

  private async dial(
    op: string,
    params: {
      userIDList?: unknown;
      type?: unknown;
      chatGroupID?: string;
      timeout?: number;
      roomID?: number;
      strRoomID?: string;
      userData?: string;
    },
  ): Promise<Record<string, unknown>> {
    try {
      const client = this.signedIn();
      const list = params?.userIDList;
      if (!Array.isArray(list) || list.length === 0 || !list.every((u) => typeof u === 'string' && u !== '')) {
        throw new TUICallError(TUIErrorCode.ERR_INVALID_PARAMETER, `${op} needs a user to call`);
      }
      const mediaType = toMediaType(params.type);
      if (!mediaType) throw new TUICallError(TUIErrorCode.ERR_INVALID_PARAMETER, `${op}: type must be 1 (audio) or 2 (video)`);
      if (this.activeCall() || this.dialing) throw new TUICallError(TUIErrorCode.ERR_FAILED, `${op}: already in a call`);
      const local = await this.openLocal(mediaType === 'Video');
      const dialing: NonNullable<TUICallEngine['dialing']> = { events: [], cancelled: false };
      this.dialing = dialing;
      let r: { callId: string; roomId: number | string; roomIdType: 1 | 2 };
      try {
        r = await client.calls({
          userIdList: list as string[],
          mediaType,
          ...roomRequest(params),
          ...(params.timeout !== undefined ? { timeout: params.timeout } : {}),
          ...(params.userData !== undefined ? { userData: params.userData } : {}),
          ...(params.chatGroupID ? { chatGroupId: params.chatGroupID } : {}),
        });
      } catch (err) {
        this.dialing = undefined;
        this.stopLocal();
        throw err;
      }
      this.dialing = undefined;
      const call = this.newCall({
        callId: r.callId,
        role: 'caller',
        status: 'dialing',
        mediaType,
        callerId: client.userId,
        roomId: r.roomId,
        roomIdType: r.roomIdType,
        chatGroupId: params.chatGroupID ?? '',
      });
      for (const u of list as string[]) if (u !== client.userId) this.remote(call, u);
      this.current = call;
      this.remember(call);
      await this.startMedia(call, local);
      if (dialing.cancelled) {
        this.close(call);
        await client.hangup(call.callId).catch(() => undefined);
      }
      // Events that came before the reply, after the caller has its answer (as they would have).
      if (dialing.events.length > 0) {
        setTimeout(() => {
          for (const [event, data] of dialing.events) {
            if ((data as { callId?: string }).callId === call.callId) this.dispatch(event, data);
          }
        }, 0);
      }
      return ok({ callId: call.callId, ...roomFields(call.roomId, call.roomIdType) });
    } catch (err) {
      throw this.fail(err, op);
    }
  }

  private newCall(p: {
    callId: string;
    role: 'caller' | 'callee';
    status: Status;
    mediaType: MediaType;
    callerId: string;
    roomId?: number | string;
    roomIdType?: 1 | 2;
    chatGroupId?: string;
  }): Call {
    return {
      roomId: 0,
      roomIdType: 1,
      chatGroupId: '',
      ...p,
      remotes: new Map(),
      sent: {},
      closing: false,
    };
  }

  private remote(call: Call, userId: string): Remote {
    let r = call.remotes.get(userId);
    if (!r) call.remotes.set(userId, (r = { userId, entered: false, video: false, audio: false }));
    return r;
  }

  private remember(call: Call): void {
    if (call.chatGroupId) this.knownCalls.set(`group:${call.chatGroupId}`, call.callId);
    this.knownCalls.set(`room:${call.roomId}`, call.callId);
  }

  /** The call this page came back to is answered: it is connected again, with everyone in it. */
  private rejoined(call: Call): void {
    const inCall = call.resumed ?? [];
    call.status = 'connected';
    call.resumed = undefined;
    this.emit(
      TUICallEvent.ON_CALL_BEGIN,
      mapCallBegin({ callId: call.callId, mediaType: call.mediaType, info: this.infoOf(call) }, call.role),
    );
    for (const u of inCall) this.enter(call, u);
    for (const r of call.remotes.values()) this.recompute(call, r);
  }

  private infoOf(call: Call): CallInfo {
    return { roomId: call.roomId, roomIdType: call.roomIdType, userData: '', chatGroupId: call.chatGroupId, timeout: 0 };
  }

  private async startMedia(call: Call, local: StreamLike): Promise<void> {
    const media = this.platform.createCallMedia(this.client!, {
      callId: call.callId,
      mediaType: call.mediaType,
      localStream: local,
      ...(call.resumed ? { rejoin: true } : {}),
      ...(settings.iceServers ? { iceServers: settings.iceServers } : {}),
      onRemoteStream: (userId, stream) => this.onRemoteStream(call, userId, stream),
      onRemoteGone: (userId) => this.onRemoteGone(call, userId),
    });
    call.media = media;
    this.measure(call, media);
    await media.start();
  }

  /**
   * Passes the media's measures on as the UI expects them: one `USER_VOICE_VOLUME`
   * `{ volumeMap: [{ userId, audioVolume }] }` and one `ON_USER_NETWORK_QUALITY_CHANGED`
   * `{ networkQualityList: [{ userId, quality }] }` per reading (the media emits one event per
   * member, back to back; a microtask later the reading is complete).
   */
  private measure(call: Call, media: CallMediaSession): void {
    if (!media.on) return;
    const batch = <T>(emit: (items: T[]) => void) => {
      const r: Reading<T> = { items: [], flush: false };
      return (item: T) => {
        r.items.push(item);
        if (r.flush) return;
        r.flush = true;
        queueMicrotask(() => {
          const items = r.items.splice(0);
          r.flush = false;
          if (this.current === call && !call.closing) emit(items);
        });
      };
    };
    const onVolume = batch<MediaMeasures['volume']>((items) =>
      this.emit(TUICallEvent.USER_VOICE_VOLUME, { volumeMap: items.map((v) => ({ userId: v.userId, audioVolume: v.volume })) }),
    );
    const onQuality = batch<MediaMeasures['networkQuality']>((items) =>
      this.emit(TUICallEvent.ON_USER_NETWORK_QUALITY_CHANGED, {
        networkQualityList: items.map((q) => ({ userId: q.userId, quality: q.quality })),
      }),
    );
    media.on('volume', onVolume);
    media.on('networkQuality', onQuality);
  }

  /** The call this device is in, unless it already hung up. */
  private activeCall(): Call | undefined {
    return this.current && !this.current.closing ? this.current : undefined;
  }

  /** This side ended its part: media goes now; the server's closing event still maps. */
  private close(call: Call): void {
    call.closing = true;
    this.stopMedia(call);
  }

  private stopMedia(call: Call): void {
    call.media?.stop();
    call.media = undefined;
    for (const r of call.remotes.values()) {
      this.platform.stopAudio(r.userId);
      if (r.viewId) this.platform.clearVideo(r.viewId);
    }
    this.stopLocal();
  }

  private teardown(): void {
    if (this.current) this.stopMedia(this.current);
    this.current = undefined;
  }

  private stopLocal(): void {
    for (const t of this.local?.getTracks() ?? []) t.stop();
    this.local = undefined;
    if (this.localViewId) this.platform.clearVideo(this.localViewId);
    this.localViewId = undefined;
  }

  /**
   * Tells the other members that this device's camera or microphone changed (SPEC §4
   * `setMediaState`), once per change: through the call's media when it can (so that `CallMedia`
   * knows the state too, e.g. for a camera reopened after a switch back to video), else through
   * the client; nothing when neither can.
   */
  private async sendMediaState(call: Call, state: { camera?: boolean; microphone?: boolean }): Promise<void> {
    const client = this.client;
    const media = call.media;
    const tell = async (kind: 'camera' | 'microphone', on: boolean) => {
      if (call.sent[kind] === on) return;
      const viaMedia = kind === 'camera' ? media?.setCamera?.bind(media) : media?.setMicrophone?.bind(media);
      if (!viaMedia && !client?.setMediaState) return;
      call.sent[kind] = on;
      const done = viaMedia ? viaMedia(on) : client!.setMediaState!({ callId: call.callId, [kind]: on });
      await done.catch((err: unknown) => this.log(2, 'setMediaState failed', err));
    };
    if (state.camera !== undefined) await tell('camera', state.camera);
    if (state.microphone !== undefined) await tell('microphone', state.microphone);
  }

  // ————— local media —————

  private videoConstraints(isFrontCamera?: boolean): MediaTrackConstraints {
    const p = VIDEO_ENCODER_MAP[this.videoProfile]!;
    const facing = isFrontCamera === undefined ? this.facing : isFrontCamera ? 'user' : 'environment';
    return {
      width: { ideal: p.width },
      height: { ideal: p.height },
      frameRate: { ideal: p.frameRate },
      ...(this.devices.camera ? { deviceId: { exact: this.devices.camera } } : {}),
      ...(facing !== undefined && !this.devices.camera ? { facingMode: facing } : {}),
    };
  }

  private audioConstraints(): MediaTrackConstraints | true {
    return this.devices.microphone ? { deviceId: { exact: this.devices.microphone } } : true;
  }

  private async capture(constraints: MediaStreamConstraints, device: 'camera' | 'microphone'): Promise<StreamLike> {
    try {
      const stream = await this.platform.getUserMedia(constraints);
      if (constraints.audio) this.permission.audio = true;
      if (constraints.video) this.permission.video = true;
      return stream;
    } catch (err) {
      if ((err as { name?: string })?.name === 'NotAllowedError') {
        if (constraints.audio) this.permission.audio = false;
        if (constraints.video) this.permission.video = false;
      }
      throw deviceError(err, device);
    }
  }

  /**
   * The local stream with a microphone and, for `video`, a camera: what is already open is kept
   * (a preview's camera), the rest opened. `cameraOptional`: without a camera, audio only.
   */
  private async openLocal(video: boolean, cameraOptional = false): Promise<StreamLike> {
    const needAudio = liveTracks(this.local, 'audio').length === 0;
    const needVideo = video && liveTracks(this.local, 'video').length === 0;
    if (needAudio || needVideo) {
      const constraints: MediaStreamConstraints = {
        ...(needAudio ? { audio: this.audioConstraints() } : {}),
        ...(needVideo ? { video: this.videoConstraints() } : {}),
      };
      let stream: StreamLike;
      try {
        stream = await this.capture(constraints, needVideo ? 'camera' : 'microphone');
      } catch (err) {
        if (!(cameraOptional && needVideo && needAudio)) throw err;
        stream = await this.capture({ audio: this.audioConstraints() }, 'microphone');
      }
      if (!this.local) this.local = stream;
      else for (const t of stream.getTracks()) this.local.addTrack(t);
    }
    return this.local!;
  }

  private remoteRender(userId: string): RenderOptions {
    return { mirror: false, ...this.render.all, ...this.render.users.get(userId) };
  }

  private redraw(): void {
    if (this.local && this.localViewId)
      this.platform.renderVideo(this.localViewId, this.local, { mirror: true, ...this.render.all, ...this.render.local });
    for (const r of this.current?.remotes.values() ?? []) {
      if (r.stream && r.viewId) this.platform.renderVideo(r.viewId, r.stream, this.remoteRender(r.userId));
    }
  }

  // ————— remote media —————

  private onRemoteStream(call: Call, userId: string, stream: StreamLike): void {
    if (this.current !== call || call.closing) return;
    const r = this.remote(call, userId);
    r.stream = stream;
    if (stream.getAudioTracks().length > 0) this.platform.playAudio(userId, stream);
    if (r.viewId) this.platform.renderVideo(r.viewId, stream, this.remoteRender(userId));
    this.recompute(call, r);
  }

  private onRemoteGone(call: Call, userId: string): void {
    const r = call.remotes.get(userId);
    if (!r) return;
    r.stream = undefined;
    this.platform.stopAudio(userId);
    if (r.viewId) this.platform.clearVideo(r.viewId);
    if (this.current === call && !call.closing) this.recompute(call, r);
  }

  /** Emits USER_VIDEO_AVAILABLE / USER_AUDIO_AVAILABLE for `r` when what is available changed. */
  private recompute(call: Call, r: Remote): void {
    const now = availability(
      {
        hasVideoTrack: (r.stream?.getVideoTracks().length ?? 0) > 0,
        hasAudioTrack: (r.stream?.getAudioTracks().length ?? 0) > 0,
        ...(r.camera !== undefined ? { camera: r.camera } : {}),
        ...(r.microphone !== undefined ? { microphone: r.microphone } : {}),
      },
      call.mediaType,
    );
    if (now.video !== r.video) {
      r.video = now.video;
      this.emit(TUICallEvent.USER_VIDEO_AVAILABLE, mapVideoAvailable(r.userId, now.video));
    }
    if (now.audio !== r.audio) {
      r.audio = now.audio;
      this.emit(TUICallEvent.USER_AUDIO_AVAILABLE, mapAudioAvailable(r.userId, now.audio));
    }
  }

  private memberStates(call: Call, members: MemberMediaState[] | undefined): void {
    for (const m of members ?? []) {
      if (m.userId === this.self.userID) continue;
      const r = this.remote(call, m.userId);
      if (m.camera !== undefined) r.camera = m.camera;
      if (m.microphone !== undefined) r.microphone = m.microphone;
    }
  }

  private enter(call: Call, userId: string): void {
    if (userId === this.self.userID || userId === '') return;
    const r = this.remote(call, userId);
    if (r.entered) return;
    r.entered = true;
    this.emit(TUICallEvent.USER_ENTER, mapUser({ callId: call.callId, userId }));
    this.emit(TUICallEvent.USER_ACCEPT, mapUser({ callId: call.callId, userId }));
  }

  private drop(call: Call, userId: string): void {
    const r = call.remotes.get(userId);
    if (!r) return;
    this.platform.stopAudio(userId);
    if (r.viewId) this.platform.clearVideo(r.viewId);
    call.remotes.delete(userId);
  }

  private context(call: Call): CallContext {
    return { role: call.role, roomId: call.roomId, roomIdType: call.roomIdType, chatGroupId: call.chatGroupId };
  }

  // ————— client events —————

  private subscribe(client: EngineClient): void {
    const names: EngineClientEventName[] = [
      'onCallReceived',
      'onCallBegin',
      'onCallEnd',
      'onCallNotConnected',
      'onUserReject',
      'onUserNoResponse',
      'onUserLineBusy',
      'onUserInviting',
      'onUserJoin',
      'onUserLeave',
      'onCallState',
      'onKickedOffline',
      'onUserSigExpired',
      'onConnectionStateChanged',
      'onUserVideoAvailable',
      'onUserAudioAvailable',
      'onCallMediaTypeChanged',
    ];
    for (const name of names) {
      const handler = (data: unknown) => {
        try {
          this.dispatch(name, data);
        } catch (err) {
          this.log(3, `handling ${name} failed`, err);
        }
      };
      client.on(name, handler);
      this.unsubscribe.push(() => client.off(name, handler));
    }
    const stopWatching = this.platform.onDeviceChange(() => void this.devicesChanged());
    this.unsubscribe.push(stopWatching);
  }

  private dispatch(event: EngineClientEventName, data: unknown): void {
    const d = data as Record<string, unknown>;
    switch (event) {
      case 'onCallReceived':
        return this.onCallReceived(d as unknown as EngineClientEvents['onCallReceived']);
      case 'onKickedOffline':
        return this.signedOut(TUICallEvent.KICKED_OUT);
      case 'onUserSigExpired':
        return this.signedOut(TUICallEvent.onUserSigExpired);
      case 'onConnectionStateChanged':
        if ((d as EngineClientEvents['onConnectionStateChanged']).state === 'disconnected' && this.client) {
          const call = this.activeCall();
          this.signedOut(undefined);
          this.emit(TUICallEvent.ERROR, {
            code: TUIErrorCode.ERR_SDK_NOT_INITIALIZED,
            message: 'the connection to Dialtone was lost: sign in again',
          });
          if (call) {
            const end = {
              callId: call.callId,
              mediaType: call.mediaType,
              reason: 'offline' as const,
              userId: this.self.userID,
              totalTime: 0,
            };
            this.emit(TUICallEvent.CALLING_END, mapCallEnd(end, this.context(call)));
          }
        }
        return;
    }
    const call = this.current;
    if (!call || call.callId !== d.callId) {
      if (this.dialing) this.dialing.events.push([event, data]);
      return;
    }
    // After this side hung up only the server's word that the call ended for it still counts.
    if (call.closing && event !== 'onCallEnd' && event !== 'onCallNotConnected') return;
    switch (event) {
      case 'onCallBegin': {
        const e = d as unknown as EngineClientEvents['onCallBegin'];
        call.status = 'connected';
        if (e.callerId) call.callerId = e.callerId;
        call.roomId = e.info.roomId;
        call.roomIdType = e.info.roomIdType;
        call.chatGroupId = e.info.chatGroupId ?? call.chatGroupId;
        if (call.mediaType !== e.mediaType) {
          call.mediaType = e.mediaType;
          if (e.mediaType === 'Audio') this.stopCamera();
        }
        this.remember(call);
        this.memberStates(call, e.members);
        this.emit(TUICallEvent.ON_CALL_BEGIN, mapCallBegin(e, call.role));
        const inCall = e.members
          ? e.members.filter((m) => m.status === 'Calling').map((m) => m.userId)
          : call.role === 'callee'
            ? [call.callerId]
            : [];
        for (const u of inCall) this.enter(call, u);
        for (const r of call.remotes.values()) this.recompute(call, r);
        return;
      }
      case 'onUserJoin': {
        const e = d as unknown as EngineClientEvents['onUserJoin'];
        this.enter(call, e.userId);
        this.recompute(call, this.remote(call, e.userId));
        return;
      }
      case 'onUserLeave':
      case 'onUserReject':
      case 'onUserLineBusy':
      case 'onUserNoResponse': {
        const e = d as unknown as EngineClientEvents['onUserLeave'];
        this.drop(call, e.userId);
        const [name, map] = DEPARTURES[event];
        this.emit(name, map(e));
        return;
      }
      case 'onUserInviting': {
        const e = d as unknown as EngineClientEvents['onUserInviting'];
        if (e.userId !== this.self.userID) this.remote(call, e.userId);
        this.emit(TUICallEvent.ON_USER_INVITING, mapUser(e));
        this.emit(TUICallEvent.GROUP_CALL_INVITEE_LIST_UPDATE, {
          callId: call.callId,
          userIDList: [...call.remotes.values()].filter((r) => !r.entered).map((r) => r.userId),
        });
        return;
      }
      case 'onCallEnd': {
        const e = d as unknown as EngineClientEvents['onCallEnd'];
        this.teardown();
        this.emit(TUICallEvent.CALLING_END, mapCallEnd(e, this.context(call)));
        return;
      }
      case 'onCallNotConnected': {
        const e = d as unknown as EngineClientEvents['onCallNotConnected'];
        this.teardown();
        const payload = mapNotConnected(e, this.context(call));
        this.emit(TUICallEvent.ON_CALL_NOT_CONNECTED, payload);
        this.emit(TUICallEvent.ON_CALL_CANCELED, payload);
        if (call.role === 'callee') this.emit(TUICallEvent.CALLING_CANCEL, payload);
        return;
      }
      case 'onUserVideoAvailable': {
        const e = d as unknown as EngineClientEvents['onUserVideoAvailable'];
        if (e.userId === this.self.userID) return;
        const r = this.remote(call, e.userId);
        r.camera = e.available;
        this.recompute(call, r);
        return;
      }
      case 'onUserAudioAvailable': {
        const e = d as unknown as EngineClientEvents['onUserAudioAvailable'];
        if (e.userId === this.self.userID) return;
        const r = this.remote(call, e.userId);
        r.microphone = e.available;
        this.recompute(call, r);
        return;
      }
      case 'onCallMediaTypeChanged': {
        const e = d as unknown as EngineClientEvents['onCallMediaTypeChanged'];
        call.mediaType = e.newMediaType;
        if (e.newMediaType === 'Audio') this.stopCamera();
        else void this.cameraForVideo(call);
        this.emit(TUICallEvent.CALL_TYPE_CHANGED, mapMediaTypeChanged(e));
        for (const r of call.remotes.values()) this.recompute(call, r);
        return;
      }
      case 'onCallState': {
        const e = d as unknown as EngineClientEvents['onCallState'];
        call.mediaType = e.mediaType;
        this.memberStates(call, e.members);
        for (const r of call.remotes.values()) this.recompute(call, r);
        return;
      }
    }
  }

  private onCallReceived(e: EngineClientEvents['onCallReceived']): void {
    if (this.activeCall() || this.dialing) {
      // Busy here: the caller hears line busy, as with Tencent's engine.
      void this.client?.ignore(e.callId).catch(() => undefined);
      return;
    }
    const call = this.newCall({
      callId: e.callId,
      role: 'callee',
      status: 'ringing',
      mediaType: e.mediaType,
      callerId: e.callerId,
      roomId: e.info.roomId,
      roomIdType: e.info.roomIdType,
      chatGroupId: e.info.chatGroupId ?? '',
    });
    for (const u of [e.callerId, ...e.calleeIdList]) if (u !== this.self.userID) this.remote(call, u);
    this.teardown();
    this.current = call;
    this.remember(call);
    const payload = mapCallReceived(e);
    this.emit(TUICallEvent.ON_CALL_RECEIVED, payload);
    this.emit(TUICallEvent.INVITED, payload);
  }

  /** The session ended (kicked, UserSig expired, connection lost): no call, no client. */
  private signedOut(event: string | undefined): void {
    this.teardown();
    for (const u of this.unsubscribe.splice(0)) u();
    const client = this.client;
    this.client = undefined;
    client?.destroy();
    if (event) this.emit(event, {});
  }

  /**
   * The call became video: this page's camera goes on, is sent (the media renegotiates where the
   * call began as audio) and is shown in the local view. The UI calls no `openCamera` after a
   * switch, so the view is that of the last `openCamera`, else the UI's own `localVideo`. The
   * media may open a camera for the switch at the same time: whichever is in the stream first is
   * the one kept.
   */
  private async cameraForVideo(call: Call): Promise<void> {
    try {
      let track = liveTracks(this.local, 'video')[0];
      if (!track) {
        const stream = await this.capture({ video: this.videoConstraints() }, 'camera');
        const opened = stream.getVideoTracks()[0]!;
        track = liveTracks(this.local, 'video')[0];
        if (track || this.current !== call || call.closing || call.mediaType !== 'Video' || !this.local) opened.stop();
        else {
          track = opened;
          if (call.media?.replaceTrack) await call.media.replaceTrack(opened);
          else this.local.addTrack(opened);
        }
      }
      if (!track || this.current !== call || call.closing) return;
      track.enabled = true;
      this.localViewId ??= LOCAL_VIEW_ID;
      this.platform.renderVideo(this.localViewId, this.local!, { mirror: true, ...this.render.all, ...this.render.local });
      await this.sendMediaState(call, { camera: true });
    } catch (err) {
      this.log(2, 'opening the camera for the switch to video failed', err);
      this.emit(TUICallEvent.ERROR, { code: toTUIError(err, 'switchCallMediaType').code, message: (err as Error)?.message ?? String(err) });
    }
  }

  private stopCamera(): void {
    for (const t of liveTracks(this.local, 'video')) {
      t.stop();
      this.local?.removeTrack(t);
    }
  }

  private async devicesChanged(): Promise<void> {
    try {
      const all = await this.platform.enumerateDevices();
      const of = (kind: DeviceInfo['kind']) => all.filter((d) => d.kind === kind);
      const current = (list: DeviceInfo[], id: string | undefined) => list.find((d) => d.deviceId === id) ?? list[0] ?? {};
      const cameraList = of('videoinput');
      const microphoneList = of('audioinput');
      const speakerList = of('audiooutput');
      this.emit(TUICallEvent.DEVICED_UPDATED, {
        cameraList,
        microphoneList,
        speakerList,
        currentCamera: current(cameraList, this.devices.camera),
        currentMicrophone: current(microphoneList, this.devices.microphone),
        currentSpeaker: current(speakerList, this.devices.speaker),
      });
    } catch (err) {
      this.log(2, 'listing devices failed', err);
    }
  }

  // ————— plumbing —————

  private signedIn(): EngineClient {
    if (!this.client) throw new TUICallError(TUIErrorCode.ERR_SDK_NOT_INITIALIZED, 'not signed in: call login first');
    return this.client;
  }

  /** `err` as a {@link TUICallError}, also emitted as `ERROR`. */
  private fail(err: unknown, op: string): TUICallError {
    const e = toTUIError(err, op);
    this.emit(TUICallEvent.ERROR, { code: e.code, message: e.message });
    return e;
  }

  private emit(event: string, data: unknown): void {
    for (const { fn, ctx } of [...(this.listeners.get(event) ?? [])]) {
      try {
        const r = fn.call(ctx, data);
        if (r && typeof (r as Promise<unknown>).catch === 'function') {
          (r as Promise<unknown>).catch((err: unknown) => this.log(3, `a ${event} listener failed`, err));
        }
      } catch (err) {
        this.log(3, `a ${event} listener failed`, err);
      }
    }
  }

  private log(level: number, ...args: unknown[]): void {
    if (level < this.logLevel) return;
    const name = LEVEL_NAMES[Math.min(level, 3)]!;
    console[name]('[TUICallEngine/Dialtone]', ...args);
  }
}
