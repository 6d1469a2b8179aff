/**
 * Fakes for the engine stand-in's unit tests: a signalling client that records the ops it is
 * asked for and lets the test emit server events, and a platform with fake tracks and streams
 * that records what was opened, drawn and played.
 */
import { TUICallEngine } from '../sdk/tuicall/engine.js';
import type {
  CallMediaParams,
  CallMediaSession,
  MediaMeasures,
  ConnectParams,
  DeviceInfo,
  EngineClient,
  EngineClientEventName,
  EngineClientEvents,
  EnginePlatform,
  RenderOptions,
  StreamLike,
  TrackLike,
} from '../sdk/tuicall/ports.js';

/** A track that remembers whether it was stopped. */
export class FakeTrack implements TrackLike {
  enabled = true;
  readyState = 'live';
  constraints: MediaTrackConstraints[] = [];
  constructor(
    readonly kind: 'audio' | 'video',
    readonly deviceId = 'default',
  ) {}
  stop(): void {
    this.readyState = 'ended';
  }
  async applyConstraints(c: MediaTrackConstraints): Promise<void> {
    this.constraints.push(c);
  }
  getSettings(): { deviceId?: string } {
    return { deviceId: this.deviceId };
  }
}

/** A stream of fake tracks. */
export class FakeStream implements StreamLike {
  constructor(public tracks: TrackLike[] = []) {}
  getTracks(): TrackLike[] {
    return [...this.tracks];
  }
  getAudioTracks(): TrackLike[] {
    return this.tracks.filter((t) => t.kind === 'audio');
  }
  getVideoTracks(): TrackLike[] {
    return this.tracks.filter((t) => t.kind === 'video');
  }
  addTrack(t: TrackLike): void {
    this.tracks.push(t);
  }
  removeTrack(t: TrackLike): void {
    this.tracks = this.tracks.filter((x) => x !== t);
  }
}

type Reply = (args: unknown) => Promise<unknown>;

/** A client whose ops are recorded (and answered by `replies`) and whose events the test emits. */
export class FakeClient implements EngineClient {
  readonly ops: [string, unknown][] = [];
  readonly replies: Record<string, Reply> = {};
  private readonly handlers = new Map<string, Set<(d: unknown) => void>>();
  destroyed = false;
  /** What the server said on sign-in about a call this user is in (set before `login`). */
  currentCall: EngineClient['currentCall'] = null;
  setMediaState?: EngineClient['setMediaState'];
  switchMediaType?: EngineClient['switchMediaType'];

  constructor(
    readonly userId: string,
    withMediaOps = true,
  ) {
    if (withMediaOps) {
      this.setMediaState = async (p) => void (await this.op('setMediaState', p));
      this.switchMediaType = async (p) => void (await this.op('switchMediaType', p));
    }
  }

  private async op(name: string, args: unknown): Promise<unknown> {
    this.ops.push([name, args]);
    const reply = this.replies[name];
    return reply ? reply(args) : undefined;
  }

  /** The arguments of every op of that name, in order. */
  argsOf(name: string): unknown[] {
    return this.ops.filter(([n]) => n === name).map(([, a]) => a);
  }

  async calls(p: Parameters<EngineClient['calls']>[0]) {
    return ((await this.op('calls', p)) as Awaited<ReturnType<EngineClient['calls']>>) ?? { callId: 'call-1', roomId: 42, roomIdType: 1 };
  }
  async accept(callId: string) {
    await this.op('accept', callId);
  }
  async reject(callId: string) {
    await this.op('reject', callId);
  }
  async ignore(callId: string) {
    await this.op('ignore', callId);
  }
  async hangup(callId: string) {
    await this.op('hangup', callId);
  }
  async inviteUser(callId: string, userIdList: string[], options?: { timeout?: number }) {
    await this.op('inviteUser', { callId, userIdList, ...options });
    return userIdList;
  }
  async join(callId: string) {
    await this.op('join', callId);
  }
  on<E extends EngineClientEventName>(event: E, handler: (data: EngineClientEvents[E]) => void): this {
    let set = this.handlers.get(event);
    if (!set) this.handlers.set(event, (set = new Set()));
    set.add(handler as (d: unknown) => void);
    return this;
  }
  off<E extends EngineClientEventName>(event: E, handler: (data: EngineClientEvents[E]) => void): this {
    this.handlers.get(event)?.delete(handler as (d: unknown) => void);
    return this;
  }
  destroy(): void {
    this.destroyed = true;
  }
  /** Delivers a server event to the engine. */
  emit<E extends EngineClientEventName>(event: E, data: EngineClientEvents[E]): void {
    for (const h of [...(this.handlers.get(event) ?? [])]) h(data);
  }
  /** How many handlers listen to `event`. */
  listening(event: string): number {
    return this.handlers.get(event)?.size ?? 0;
  }
}

/** A recorded `createCallMedia`. */
export interface FakeMedia {
  params: CallMediaParams;
  started: boolean;
  stopped: boolean;
  replaced: TrackLike[];
  session: CallMediaSession;
  /** Emits a measure to the engine's listeners, as `CallMedia` does each reading. */
  measure<E extends keyof MediaMeasures>(event: E, data: MediaMeasures[E]): void;
}

/** A platform of fakes, recording everything. */
export class FakePlatform implements EnginePlatform {
  readonly connected: ConnectParams[] = [];
  readonly opened: MediaStreamConstraints[] = [];
  readonly streams: FakeStream[] = [];
  readonly medias: FakeMedia[] = [];
  readonly drawn = new Map<string, { stream: StreamLike; options: RenderOptions }>();
  readonly playing = new Map<string, StreamLike>();
  readonly log: string[] = [];
  missingElements = new Set<string>();
  devices: DeviceInfo[] = [];
  muted = false;
  speaker: string | undefined;
  canChooseSpeaker = true;
  withReplaceTrack = false;
  /** Sessions made have `setCamera`/`setMicrophone` (as `CallMedia` has), recorded in `switches`. */
  withSwitches = false;
  readonly switches: string[] = [];
  /** The next getUserMedia fails with this. */
  failNext: Error | undefined;
  /** The next connect fails with this. */
  connectError: unknown;
  deviceListener: (() => void) | undefined;

  constructor(public client: FakeClient) {}

  async connect(p: ConnectParams): Promise<EngineClient> {
    this.connected.push(p);
    if (this.connectError) throw this.connectError;
    return this.client;
  }
  async getUserMedia(c: MediaStreamConstraints): Promise<StreamLike> {
    this.opened.push(c);
    this.log.push('getUserMedia');
    if (this.failNext) {
      const e = this.failNext;
      this.failNext = undefined;
      throw e;
    }
    const s = new FakeStream([...(c.audio ? [new FakeTrack('audio')] : []), ...(c.video ? [new FakeTrack('video')] : [])]);
    this.streams.push(s);
    return s;
  }
  async enumerateDevices(): Promise<DeviceInfo[]> {
    return this.devices;
  }
  onDeviceChange(listener: () => void): () => void {
    this.deviceListener = listener;
    return () => (this.deviceListener = undefined);
  }
  createCallMedia(_client: EngineClient, params: CallMediaParams): CallMediaSession {
    const listeners = new Map<string, Set<(d: unknown) => void>>();
    const m: FakeMedia = {
      measure: (event, data) => {
        for (const h of listeners.get(event) ?? []) h(data);
      },
      params,
      started: false,
      stopped: false,
      replaced: [],
      session: {
        start: async () => {
          m.started = true;
          this.log.push('media.start');
        },
        stop: () => {
          m.stopped = true;
          listeners.clear();
        },
        on: (event, handler) => {
          if (!listeners.has(event)) listeners.set(event, new Set());
          listeners.get(event)!.add(handler as (d: unknown) => void);
        },
        off: (event, handler) => listeners.get(event)?.delete(handler as (d: unknown) => void),
        ...(this.withReplaceTrack ? { replaceTrack: async (t: TrackLike) => void m.replaced.push(t) } : {}),
        ...(this.withSwitches
          ? {
              setCamera: async (on: boolean) => void this.switches.push(`camera:${on}`),
              setMicrophone: async (on: boolean) => void this.switches.push(`microphone:${on}`),
            }
          : {}),
      },
    };
    this.medias.push(m);
    return m.session;
  }
  renderVideo(domId: string, stream: StreamLike, options: RenderOptions): boolean {
    if (this.missingElements.has(domId)) return false;
    this.drawn.set(domId, { stream, options });
    return true;
  }
  clearVideo(domId: string): void {
    this.drawn.delete(domId);
  }
  playAudio(userId: string, stream: StreamLike): void {
    this.playing.set(userId, stream);
  }
  stopAudio(userId: string): void {
    this.playing.delete(userId);
  }
  muteAudio(muted: boolean): void {
    this.muted = muted;
  }
  async setSpeaker(deviceId: string): Promise<boolean> {
    if (!this.canChooseSpeaker) return false;
    this.speaker = deviceId;
    return true;
  }
  origin(): string | undefined {
    return 'http://page.example';
  }
  /** The last media session made. */
  get media(): FakeMedia {
    const m = this.medias.at(-1);
    if (!m) throw new Error('no call media was made');
    return m;
  }
}

/** Everything the engine emitted, in order. */
export function record(engine: TUICallEngine, names: string[]): [string, Record<string, unknown>][] {
  const seen: [string, Record<string, unknown>][] = [];
  for (const n of new Set(names)) engine.on(n, (d: unknown) => void seen.push([n, d as Record<string, unknown>]));
  return seen;
}

/** A signed-in engine on fakes. */
export async function signedIn(userId = 'alice', options: { withMediaOps?: boolean } = {}) {
  const client = new FakeClient(userId, options.withMediaOps ?? true);
  const platform = new FakePlatform(client);
  const engine = new TUICallEngine({ SDKAppID: 1400000001 }, platform);
  await engine.login({ userID: userId, userSig: 'sig' });
  return { client, platform, engine };
}

/** Polls `condition` until it holds; fails with `what` after `timeoutMs` (an event is awaited, never slept on). */
export async function until(condition: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}
