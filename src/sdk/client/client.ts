/**
 * Dialtone client SDK: the client half of the signalling protocol (SPEC §4), shaped like the
 * reference client engine (TUICallEngine). One code base for browsers (global `WebSocket`) and
 * Node (the `ws` package, or a global `WebSocket` on Node ≥ 22).
 *
 * Each op returns a promise that rejects with a {@link DialtoneClientError} carrying the server's
 * code. The client sends a heartbeat every 10 s and, when the connection drops, reconnects with
 * backoff for up to 25 s — inside the server's 30 s expiry, so an ongoing call survives a brief
 * network loss. `onKickedOffline` and `onUserSigExpired` end the session: no reconnection.
 */
import {
  type ClientEvents,
  type ClientEventName,
  ClientErrorCode,
  DialtoneClientError,
  type WebSocketLike,
  type WebSocketConstructor,
  type InitOptions,
  type CallsParams,
  type CallRecord,
  type CurrentCall,
  type RecentCallsParams,
  type MediaStateParams,
  type SwitchMediaTypeParams,
  type DisconnectReason,
  type IceServersAnswer,
} from './types.js';
import { afterEvent, started, withMediaState } from './current-call.js';

type Handler<E extends ClientEventName> = (data: ClientEvents[E]) => void;

interface Pending {
  resolve: (v: Record<string, unknown>) => void;
  reject: (e: DialtoneClientError) => void;
  timer: ReturnType<typeof setTimeout>;
}

const OPEN = 1;
const CLOSE_AUTH_FAILED = 4001;
const CLOSE_KICKED = 4002;
const CLOSE_USERSIG_EXPIRED = 4003;
const CLOSE_TOO_MANY_DEVICES = 4004;
/** Close codes after which the session is over, and why. */
const CLOSE_REASONS: Record<number, DisconnectReason> = {
  [CLOSE_KICKED]: 'kicked',
  [CLOSE_USERSIG_EXPIRED]: 'userSigExpired',
  [CLOSE_AUTH_FAILED]: 'authFailed',
};

/** A signed-in user's connection to Dialtone. */
export class DialtoneClient {
  private ws: WebSocketLike | undefined;
  private readonly handlers = new Map<ClientEventName, Set<Handler<ClientEventName>>>();
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private ended = false;
  private reconnecting = false;
  private current: CurrentCall | null = null;
  /**
   * Events that came before `init` resolved (the first `connected`, the `onCallState` of a call
   * being resumed): `currentCall` has them at once, handlers get them once the app could attach.
   */
  private held: [ClientEventName, unknown][] | undefined = [];
  /** Calls an `accept` is on its way for. */
  private readonly accepting = new Set<string>();

  private constructor(
    private readonly opts: Required<Omit<InitOptions, 'WebSocket'>>,
    private readonly WS: WebSocketConstructor,
  ) {}

  /** Connects and signs in; rejects with the server's code when authentication fails. */
  static async init(options: InitOptions): Promise<DialtoneClient> {
    const WS = options.WebSocket ?? (await defaultWebSocket());
    const client = new DialtoneClient(
      {
        server: options.server,
        sdkAppId: options.sdkAppId,
        userId: options.userId,
        userSig: options.userSig,
        platform: options.platform ?? (typeof window === 'undefined' ? 'Unknown' : 'Web'),
        device: options.device ?? 'default',
        heartbeatIntervalMs: options.heartbeatIntervalMs ?? 10_000,
        reconnectWindowMs: options.reconnectWindowMs ?? 25_000,
        requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
      },
      WS,
    );
    await client.connect();
    client.heartbeat = setInterval(() => client.ping().catch(() => undefined), client.opts.heartbeatIntervalMs);
    // A macrotask runs after the continuation of `await init(…)`, where pages attach handlers.
    setTimeout(() => client.release(), 0);
    return client;
  }

  /** The signed-in user. */
  get userId(): string {
    return this.opts.userId;
  }

  /**
   * The call this user is in, or is being rung for, as this device knows it (`null` when none):
   * its members with their camera and microphone, its media type. Kept up to date from the
   * events and this client's own ops before handlers run; replaced by `onCallState` after a
   * reconnection. Read-only: each change makes a new object.
   */
  get currentCall(): CurrentCall | null {
    return this.current;
  }

  /** Starts a call; resolves with its id and room. */
  async calls(params: CallsParams): Promise<{ callId: string; roomId: number | string; roomIdType: 1 | 2 }> {
    const answer = (await this.request('calls', params)) as { callId: string; roomId: number | string; roomIdType: 1 | 2 };
    this.current = started(this.opts.userId, params, answer, Date.now());
    return answer;
  }

  /**
   * Accepts a call ringing for this user. A second `accept` of the same call while the first is
   * on its way is refused here (`-1203`), so a double click opens nothing twice.
   */
  async accept(callId: string): Promise<void> {
    if (this.accepting.has(callId)) throw new DialtoneClientError(ClientErrorCode.NOT_ALLOWED, 'accept: already accepting this call');
    this.accepting.add(callId);
    try {
      await this.request('accept', { callId });
    } finally {
      this.accepting.delete(callId);
    }
  }

  /** Rejects a call ringing for this user. */
  async reject(callId: string): Promise<void> {
    await this.request('reject', { callId });
    this.leftCall(callId);
  }

  /** Declines as busy: the caller hears `onUserLineBusy`. */
  async ignore(callId: string): Promise<void> {
    await this.request('ignore', { callId });
    this.leftCall(callId);
  }

  /** Leaves the call (cancels it, as the caller before anyone answered). `interrupt`: media failed. */
  async hangup(callId: string, options: { interrupt?: boolean } = {}): Promise<void> {
    await this.request('hangup', options.interrupt ? { callId, reason: 'interrupt' } : { callId });
    this.leftCall(callId);
  }

  /**
   * Tells the other members that this user's own camera and/or microphone is on or off (they hear
   * `onUserVideoAvailable` / `onUserAudioAvailable`; the server keeps it for those who come later).
   * Only signalling: to stop sending, use `CallMedia.setCamera` / `setMicrophone`, which do both.
   * `callId` defaults to the current call's. Rejects with `-1202` when neither is given, `-1203`
   * when not in the call (or, without `callId`, in none).
   */
  async setMediaState(params: MediaStateParams): Promise<void> {
    const callId = this.callIdOf(params.callId);
    const state = {
      ...(params.camera !== undefined ? { camera: params.camera } : {}),
      ...(params.microphone !== undefined ? { microphone: params.microphone } : {}),
    };
    await this.request('setMediaState', { callId, ...state });
    if (this.current?.callId === callId) this.current = withMediaState(this.current, this.opts.userId, state);
  }

  /**
   * Switches a connected 1-to-1 call to audio or video; both members hear `onCallMediaTypeChanged`.
   * `callId` defaults to the current call's. Rejects with `-1203` for a group call, one not
   * connected yet, or (without `callId`) when there is no current call.
   */
  async switchMediaType(params: SwitchMediaTypeParams): Promise<void> {
    await this.request('switchMediaType', { callId: this.callIdOf(params.callId), mediaType: params.mediaType });
  }

  /** Rings more users into the call; resolves with those actually rung. */
  async inviteUser(callId: string, userIdList: string[], options: { timeout?: number } = {}): Promise<string[]> {
    const r = await this.request('inviteUser', { callId, userIdList, ...options });
    return r.userIdList as string[];
  }

  /**
   * Joins a live group call by its id: one that invited you (also after you rejected, timed out or
   * hung up), or any group call of the app when its call policy has `OpenGroupJoin` on. Rejects
   * with `NOT_ALLOWED` (-1203) otherwise, and always for a 1-to-1 call.
   */
  async join(callId: string): Promise<void> {
    await this.request('join', { callId });
  }

  /** Relays opaque data (WebRTC offers, answers, ICE) to another member of the call. */
  async signal(callId: string, toUserId: string, data: unknown): Promise<void> {
    await this.request('signal', { callId, toUserId, data });
  }

  /**
   * The STUN/TURN servers the server gives this user (SPEC §4.1), TURN credentials included, and
   * how long they last (`ttl`, seconds; 0: they do not expire). `CallMedia` asks for them itself.
   */
  async getIceServers(): Promise<IceServersAnswer> {
    return (await this.request('getIceServers', {})) as unknown as IceServersAnswer;
  }

  /**
   * This user's own most recent call records (the REST API's record shape, SPEC §2.3), newest
   * first: `limit` 1 to 50, default 20; `-1202` outside that range. Records exist once a call
   * has ended, so the call just finished is there after its `onCallEnd`.
   */
  async getRecentCalls(params: RecentCallsParams = {}): Promise<CallRecord[]> {
    const r = await this.request('getRecentCalls', params.limit !== undefined ? { limit: params.limit } : {});
    return r.calls as CallRecord[];
  }

  /** A round trip to the server (also the heartbeat). */
  async ping(): Promise<void> {
    await this.request('ping', {});
  }

  /**
   * Signs in again with a new UserSig before the current one runs out (`onUserSigExpired` would
   * end the session): a new connection of this device takes over from the old one, and calls go
   * on. Resolves once it is signed in; rejects with the server's code (e.g. `70001`) when the new
   * UserSig is refused, the old connection then still in use.
   */
  async renewUserSig(userSig: string): Promise<void> {
    if (this.ended) throw new DialtoneClientError(ClientErrorCode.NOT_CONNECTED, 'the client is closed');
    const previousSig = this.opts.userSig;
    const old = this.ws;
    // The server closes the old connection (a newer login of this device): not a loss to react to.
    if (old) old.onclose = old.onmessage = () => undefined;
    this.opts.userSig = userSig;
    try {
      await this.connect();
    } catch (err) {
      this.opts.userSig = previousSig;
      this.ws = old;
      if (old) this.listen(old);
      throw err;
    }
  }

  /** Subscribes to an event. */
  on<E extends ClientEventName>(event: E, handler: Handler<E>): this {
    let set = this.handlers.get(event);
    if (!set) this.handlers.set(event, (set = new Set()));
    set.add(handler as Handler<ClientEventName>);
    return this;
  }

  /** Subscribes to the next `event` only. */
  once<E extends ClientEventName>(event: E, handler: Handler<E>): this {
    const wrapper: Handler<E> = (data) => {
      this.off(event, wrapper);
      handler(data);
    };
    return this.on(event, wrapper);
  }

  /** Unsubscribes from an event. */
  off<E extends ClientEventName>(event: E, handler: Handler<E>): this {
    this.handlers.get(event)?.delete(handler as Handler<ClientEventName>);
    return this;
  }

  /**
   * Closes the connection for good; pending ops reject. A call this user is in is hung up first
   * (sent, not awaited), so the others are not left waiting for the server's leave grace.
   */
  destroy(): void {
    const call = this.current;
    if (call?.status === 'Calling' && !this.ended && this.ws?.readyState === OPEN) {
      this.send({ id: this.nextId++, op: 'hangup', args: { callId: call.callId } });
      this.current = null;
    }
    this.end();
    this.ws?.close(1000, 'destroyed');
  }

  /** `callId`, or the current call's; `NOT_ALLOWED` (-1203) when there is none. */
  private callIdOf(callId: string | undefined): string {
    const id = callId ?? this.current?.callId;
    if (id === undefined) throw new DialtoneClientError(ClientErrorCode.NOT_ALLOWED, 'not in a call: give callId');
    return id;
  }

  /** This user left `callId` by their own op: it is no longer the current call. */
  private leftCall(callId: string): void {
    if (this.current?.callId === callId) this.current = null;
  }

  private end(): void {
    this.ended = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.failPending(new DialtoneClientError(ClientErrorCode.NOT_CONNECTED, 'the client is closed'));
  }

  private url(): string {
    const base = this.opts.server.replace(/^http/, 'ws').replace(/\/$/, '');
    const q = new URLSearchParams({
      sdkappid: String(this.opts.sdkAppId),
      userid: this.opts.userId,
      usersig: this.opts.userSig,
      platform: this.opts.platform,
      device: this.opts.device,
    });
    return `${base}/v1/ws?${q.toString()}`;
  }

  /** Opens a socket; resolves once it is open and not refused by authentication. */
  private connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = new this.WS(this.url());
      this.ws = ws;
      let opened = false;
      // Authentication failures arrive as a close right after open; wait one round trip to know.
      ws.onopen = () => {
        opened = true;
        this.send({ id: 0, op: 'ping' });
      };
      ws.onmessage = (ev) => {
        const frame = parseFrame(ev.data);
        if (!frame) return;
        if (frame.id === 0) {
          // Signed in: from here on the socket's frames and close are those of a live connection.
          this.listen(ws);
          this.emit('onConnectionStateChanged', { state: 'connected' });
          resolve();
          return;
        }
        this.onFrame(frame);
      };
      ws.onerror = () => undefined;
      ws.onclose = (ev) => reject(closeError(ev.code, ev.reason, opened));
    });
  }

  /** Handles an open, signed-in socket's frames and close (what `connect` does once it settled). */
  private listen(ws: WebSocketLike): void {
    ws.onmessage = (ev) => {
      const frame = parseFrame(ev.data);
      if (frame) this.onFrame(frame);
    };
    ws.onclose = (ev) => this.onClose(ev.code);
  }

  private onFrame(frame: Record<string, unknown>): void {
    if (typeof frame.event === 'string') {
      this.emit(frame.event as ClientEventName, frame.data as never);
      return;
    }
    const id = frame.id;
    if (typeof id !== 'number') return;
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (frame.ok === true) p.resolve((frame.result as Record<string, unknown>) ?? {});
    else p.reject(new DialtoneClientError(Number(frame.code), String(frame.message ?? 'request failed')));
  }

  private onClose(code: number): void {
    this.failPending(new DialtoneClientError(ClientErrorCode.SEND_FAILED, 'connection lost'));
    const reason = CLOSE_REASONS[code] ?? (this.ended ? 'destroyed' : undefined);
    if (reason) {
      this.end();
      this.emit('onConnectionStateChanged', { state: 'disconnected', reason });
      return;
    }
    void this.reconnect();
  }

  /** Reconnects with backoff (250 ms doubling to 4 s) until the reconnect window runs out. */
  private async reconnect(): Promise<void> {
    if (this.reconnecting) return;
    this.reconnecting = true;
    this.emit('onConnectionStateChanged', { state: 'reconnecting', reason: 'connectionLost' });
    const deadline = Date.now() + this.opts.reconnectWindowMs;
    let delay = 250;
    let reason: DisconnectReason = 'reconnectFailed';
    while (!this.ended && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 4_000);
      try {
        await this.connect();
        this.reconnecting = false;
        return;
      } catch (err) {
        if (err instanceof DialtoneClientError && err.code !== ClientErrorCode.SEND_FAILED) {
          reason = 'authFailed';
          break;
        }
      }
    }
    this.reconnecting = false;
    if (!this.ended) {
      this.end();
      this.emit('onConnectionStateChanged', { state: 'disconnected', reason });
    }
  }

  private request(op: string, args: unknown): Promise<Record<string, unknown>> {
    if (this.ended) return Promise.reject(new DialtoneClientError(ClientErrorCode.NOT_CONNECTED, 'the client is closed'));
    if (!this.ws || this.ws.readyState !== OPEN) {
      return Promise.reject(new DialtoneClientError(ClientErrorCode.SEND_FAILED, 'not connected (reconnecting)'));
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new DialtoneClientError(ClientErrorCode.SEND_FAILED, `${op}: no answer within ${this.opts.requestTimeoutMs} ms`));
      }, this.opts.requestTimeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.send({ id, op, args });
    });
  }

  private send(frame: unknown): void {
    this.ws?.send(JSON.stringify(frame));
  }

  private failPending(err: DialtoneClientError): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(err);
      this.pending.delete(id);
    }
  }

  private emit<E extends ClientEventName>(event: E, data: ClientEvents[E]): void {
    if (event === 'onKickedOffline' || event === 'onUserSigExpired') this.end();
    try {
      this.current = afterEvent(this.current, event, data, this.opts.userId, Date.now());
    } catch {
      // A malformed event leaves the current call as it was.
    }
    if (this.held) this.held.push([event, data]);
    else this.deliver(event, data);
  }

  /** Hands the events held while `init` ran to the handlers, in order; from then on they go straight. */
  private release(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const [event, data] of held) this.deliver(event, data as never);
  }

  private deliver<E extends ClientEventName>(event: E, data: ClientEvents[E]): void {
    for (const h of [...(this.handlers.get(event) ?? [])]) {
      try {
        h(data);
      } catch (error) {
        // A throwing handler must not break the client or the other handlers, nor go unseen.
        console.error(`Dialtone: a handler of ${event} threw`, error);
        if (event !== 'error') this.deliver('error', { event, error });
      }
    }
  }
}

function parseFrame(data: unknown): Record<string, unknown> | undefined {
  try {
    const text = typeof data === 'string' ? data : String(data);
    const frame = JSON.parse(text) as unknown;
    return typeof frame === 'object' && frame !== null ? (frame as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function closeError(code: number, reason: string, opened: boolean): DialtoneClientError {
  // Refusals carry "<code> <info>": failed authentication (4001), too many devices (4004).
  if (code === CLOSE_AUTH_FAILED || code === CLOSE_TOO_MANY_DEVICES) {
    const m = /^(-?\d+) (.*)$/.exec(reason);
    return new DialtoneClientError(m ? Number(m[1]) : ClientErrorCode.NOT_CONNECTED, m ? m[2]! : reason);
  }
  return new DialtoneClientError(ClientErrorCode.SEND_FAILED, opened ? `connection closed (${code})` : 'could not connect');
}

async function defaultWebSocket(): Promise<WebSocketConstructor> {
  const global = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (global) return global;
  // Node without a global WebSocket (Node 20): the `ws` package. The name is computed at run time:
  // a constant would be folded by some bundlers (Vite's Rolldown), which then try to resolve `ws`
  // in a browser app that has no reason to install it, and fail the build.
  const name = ['w', 's'].join('');
  const mod = (await import(/* @vite-ignore */ name)) as { default: WebSocketConstructor };
  return mod.default;
}
