/**
 * The client WebSocket endpoint `/v1/ws` (SPEC §4): authenticates at connect, then turns JSON
 * request frames into use-case calls and answers each with a reply frame. A bad frame is
 * answered with `-1202` and never affects the socket's other work or anyone else's.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { AppRegistry } from '../../app/app-registry.js';
import type { Actor, CallService } from '../../app/call-service.js';
import type { IceServerService } from '../../app/ice-servers.js';
import type { PresenceService } from '../../app/presence-service.js';
import type { RecordService } from '../../app/record-service.js';
import type { Admission, ClusterBus, Clock } from '../../app/ports.js';
import { verifyUserSig } from '../../auth/usersig.js';
import type { Platform } from '../../domain/types.js';
import { ERR, dialtoneError, isDialtoneError, type DialtoneError } from '../../errors.js';
import { clientIpOf } from '../http/client-ip.js';
import { ConnectionRegistry, sendFrame, type ClientConnection } from './connections.js';
import { FRAME_BURST, FRAMES_PER_SECOND, FrameBudget } from './frame-budget.js';
import { checkRequest, isOpName, opArgs, type OpArgs, type OpName } from './frames.js';
import { IDENTIFIER_RULE, isIdentifier, isUserId, isWellFormed, USER_ID_RULE, WELL_FORMED_RULE } from '../../protocol/identifiers.js';

/** Close code for a failed authentication. */
export const CLOSE_AUTH_FAILED = 4001;
/** Close code for a socket replaced by a newer login of the same device. */
export const CLOSE_KICKED = 4002;
/** Close code for a socket whose UserSig expired while it was connected. */
export const CLOSE_USERSIG_EXPIRED = 4003;
/** Close code for a login past the per-user device limit. */
export const CLOSE_TOO_MANY_DEVICES = 4004;
/** Most devices one user may have connected at once. */
export const MAX_DEVICES_PER_USER = 10;
/** Path of the client endpoint. */
export const WS_PATH = '/v1/ws';
/** Largest accepted frame, bytes (64 KiB): a larger one is answered with `-1202` and dropped. */
export const MAX_FRAME_BYTES = 64 * 1024;
/**
 * Largest frame the socket reads at all, bytes (1 MiB): past it the socket is closed with 1009,
 * as a frame that big is no client's mistake and would cost memory to read.
 */
export const MAX_FRAME_HARD_CAP_BYTES = 1024 * 1024;

const PLATFORMS: readonly Platform[] = ['Web', 'Android', 'iOS', 'Windows', 'Mac', 'iPad', 'Unknown'];

/** Told of sign-ins refused and sockets closed (metrics). */
export interface GatewayObserver {
  authFailed(surface: 'ws', code: number): void;
  /** `reason` in words (`closed by the client`, `dropped (no close frame)`, …). */
  disconnected(reason: string): void;
  /** A frame answered: its op (`invalid` when it named none this server knows) and the reply's code (0: ok). */
  frame(op: string, code: number): void;
}

/** Dependencies of the gateway. */
export interface GatewayDeps {
  /** Told of refused sign-ins and closed sockets. */
  observer?: GatewayObserver | undefined;
  apps: AppRegistry;
  calls: CallService;
  presence: PresenceService;
  /** Answers `getIceServers`. */
  iceServers: IceServerService;
  /** The signed-in user's own call records (`getRecentCalls`). */
  records: RecordService;
  connections: ConnectionRegistry;
  clock: Clock;
  log: Logger;
  /** A socket silent this long is dropped, ms. */
  heartbeatExpiryMs: number;
  /** How often silent sockets and expired UserSigs are looked for, ms; 0: only when {@link Gateway.sweep} is called. Default a third of the expiry, at most 5 s. */
  sweepIntervalMs?: number;
  /** Where users' devices are: this process alone, or the cluster. */
  bus: ClusterBus;
}

/** What answers each op: its handler takes the arguments its schema checked. */
type OpHandlers = { [Op in OpName]: (conn: ClientConnection, args: OpArgs[Op]) => Promise<unknown> };

/** Who a connecting socket is, from its URL: a connection before its socket exists. */
type Identity = Pick<ClientConnection, 'sdkAppId' | 'userId' | 'deviceId' | 'platform' | 'clientIp' | 'userSigExpiresAt'>;

/** The WebSocket gateway, attached to an HTTP server's upgrade event. */
export class Gateway {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_HARD_CAP_BYTES });
  private readonly ops: OpHandlers;
  private sweeper: NodeJS.Timeout | undefined;
  private closing = false;

  constructor(private readonly deps: GatewayDeps) {
    this.ops = {
      calls: async (conn, args) => {
        const started = await deps.calls.startCall(actorOf(conn), args);
        return { callId: started.callId, roomId: started.roomId, roomIdType: started.roomIdType };
      },
      accept: async (conn, args) => {
        await deps.calls.accept(actorOf(conn), args.callId);
        return {};
      },
      reject: async (conn, args) => {
        await deps.calls.reject(actorOf(conn), args.callId);
        return {};
      },
      ignore: async (conn, args) => {
        await deps.calls.ignore(actorOf(conn), args.callId);
        return {};
      },
      hangup: async (conn, args) => {
        await deps.calls.hangup(actorOf(conn), args.callId, args.reason === 'interrupt');
        return {};
      },
      inviteUser: async (conn, args) => {
        const userIdList = await deps.calls.invite(actorOf(conn), args.callId, args.userIdList, args.timeout);
        return { userIdList };
      },
      join: async (conn, args) => {
        await deps.calls.join(actorOf(conn), args.callId);
        return {};
      },
      signal: async (conn, args) => {
        await deps.calls.signal(actorOf(conn), args.callId, args.toUserId, args.data);
        return {};
      },
      setMediaState: async (conn, args) => {
        await deps.calls.setMediaState(actorOf(conn), args.callId, { camera: args.camera, microphone: args.microphone });
        return {};
      },
      switchMediaType: async (conn, args) => {
        await deps.calls.switchMediaType(actorOf(conn), args.callId, args.mediaType);
        return {};
      },
      ping: async () => ({}),
      getIceServers: async (conn) => deps.iceServers.forUser(conn.userId),
      // The connection's own app and user: nobody reads another user's records through this op.
      getRecentCalls: async (conn, args) => ({ calls: await deps.records.recentOf(conn.sdkAppId, conn.userId, args.limit) }),
    };
  }

  /** Routes upgrades of {@link WS_PATH} on `server` to this gateway, and starts the heartbeat sweep. */
  attach(server: Server): void {
    const every = this.deps.sweepIntervalMs ?? Math.min(5_000, Math.max(100, Math.floor(this.deps.heartbeatExpiryMs / 3)));
    if (every > 0) {
      this.sweeper = setInterval(() => this.sweep(), every);
      this.sweeper.unref();
    }
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      // A peer that resets mid-handshake must not take the process down.
      socket.on('error', () => socket.destroy());
      const path = (req.url ?? '').split('?')[0];
      if (path !== WS_PATH) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      const identity = this.identify(req);
      if (isDialtoneError(identity)) {
        this.wss.handleUpgrade(req, socket, head, (ws) => this.onSocket(ws, identity, { admitted: true }));
        return;
      }
      // The device is registered and the user's channel subscribed before the socket opens, so
      // an event sent to the user right after they connect cannot miss them.
      void this.admit(identity).then((admission) => {
        if (socket.destroyed) {
          if (admission.admitted) void this.leave(identity, false);
          return;
        }
        this.wss.handleUpgrade(req, socket, head, (ws) => this.onSocket(ws, identity, admission));
      });
    });
  }

  /**
   * Drops sockets silent for longer than the heartbeat expiry, and closes those whose UserSig
   * has expired (`onUserSigExpired`). Runs on an interval; tests call it after moving the clock.
   */
  sweep(): void {
    const now = this.deps.clock.now();
    for (const conn of [...this.deps.connections.all()]) {
      if (now >= conn.userSigExpiresAt) {
        sendFrame(conn.socket, JSON.stringify({ event: 'onUserSigExpired', data: {} }));
        conn.socket.close(CLOSE_USERSIG_EXPIRED, 'UserSig expired');
      } else if (now - conn.lastSeen > this.deps.heartbeatExpiryMs) {
        conn.socket.terminate();
      }
    }
  }

  /** Closes every client socket without treating it as the users going offline. */
  close(): void {
    this.closing = true;
    if (this.sweeper) clearInterval(this.sweeper);
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
  }

  /** Registers the device cluster-wide and watches its user; a bus outage admits it locally. */
  private async admit(identity: Identity): Promise<Admission> {
    const bus = this.deps.bus;
    let admission: Admission;
    try {
      admission = await bus.register(identity, MAX_DEVICES_PER_USER);
    } catch (err) {
      this.deps.log.warn({ err, userId: identity.userId }, 'cluster bus unavailable: connecting the device to this process only');
      // The subscription waits for Redis to come back (and the device is registered again then).
      void bus.watch(identity.sdkAppId, identity.userId).catch(() => undefined);
      return { admitted: true };
    }
    if (admission.admitted) await bus.watch(identity.sdkAppId, identity.userId);
    return admission;
  }

  /** Undoes {@link admit}; resolves to whether the user has no device left anywhere. */
  private async leave(identity: Identity, keepRegistered: boolean): Promise<boolean> {
    try {
      await this.deps.bus.unwatch(identity.sdkAppId, identity.userId);
      if (keepRegistered) return false;
      return (await this.deps.bus.unregister(identity)) === 0;
    } catch (err) {
      this.deps.log.warn({ err, userId: identity.userId }, 'cluster bus unavailable: judging the user by this process alone');
      return this.deps.connections.devicesOf(identity.sdkAppId, identity.userId).length === 0;
    }
  }

  /** Kicks this process's socket of a device another process's newer login took. */
  kickLocal(sdkAppId: number, userId: string, deviceId: string): void {
    const conn = this.deps.connections.devicesOf(sdkAppId, userId).find((c) => c.deviceId === deviceId);
    // Removed first: its close is then not this user going offline, and the device stays registered to the new process.
    if (!conn || !this.deps.connections.remove(conn)) return;
    conn.replaced = true;
    sendFrame(conn.socket, JSON.stringify({ event: 'onKickedOffline', data: {} }));
    conn.socket.close(CLOSE_KICKED, 'kicked offline by a newer login of this device');
  }

  private onSocket(ws: WebSocket, identity: Identity | DialtoneError, admission: Admission): void {
    // Before anything else: a protocol error on a socket (even one being refused) is that
    // socket's problem only.
    ws.on('error', (err) => this.deps.log.debug({ err }, 'client socket error'));
    if (isDialtoneError(identity)) {
      // The code and why, never the UserSig: the query string is not logged.
      this.deps.log.warn({ surface: 'ws', code: identity.code, reason: identity.message }, 'sign-in refused');
      this.deps.observer?.authFailed('ws', identity.code);
      ws.close(CLOSE_AUTH_FAILED, closeReason(`${identity.code} ${identity.message}`));
      return;
    }
    const conn: ClientConnection = {
      ...identity,
      socket: ws,
      lastSeen: this.deps.clock.now(),
      budget: new FrameBudget(this.deps.clock.now()),
    };
    const devices = this.deps.connections.devicesOf(conn.sdkAppId, conn.userId);
    if (!admission.admitted || (devices.length >= MAX_DEVICES_PER_USER && !devices.some((d) => d.deviceId === conn.deviceId))) {
      if (admission.admitted) void this.leave(identity, false);
      ws.close(CLOSE_TOO_MANY_DEVICES, closeReason(`${ERR.CLIENT_NOT_ALLOWED.code} at most ${MAX_DEVICES_PER_USER} devices per user`));
      return;
    }
    const replaced = this.deps.connections.add(conn);
    if (replaced) {
      replaced.replaced = true;
      sendFrame(replaced.socket, JSON.stringify({ event: 'onKickedOffline', data: {} }));
      replaced.socket.close(CLOSE_KICKED, 'kicked offline by a newer login of this device');
    }
    if (admission.replacedOn) this.deps.bus.publishKick(conn.sdkAppId, conn.userId, conn.deviceId, admission.replacedOn);
    const seen = () => {
      conn.lastSeen = this.deps.clock.now();
    };
    ws.on('message', (data, isBinary) => {
      seen();
      void this.onFrame(conn, data, isBinary);
    });
    ws.on('ping', seen);
    ws.on('pong', seen);
    ws.on('close', (code) => this.onClose(conn, code));
    this.deps.log.info(
      { sdkAppId: conn.sdkAppId, userId: conn.userId, deviceId: conn.deviceId, platform: conn.platform },
      'connection accepted',
    );
    const resuming = this.deps.presence.connected({ ...actorOf(conn), deviceId: conn.deviceId }).catch((err: unknown) => {
      this.deps.log.error({ err, userId: conn.userId }, 'could not resume calls of a connecting user');
    });
    // The step's events go out a turn after it (StepRunner.publish): one more turn, and they are out.
    conn.resuming = resuming
      .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
      .then(() => {
        conn.resuming = undefined;
      });
  }

  /** `code`: the WebSocket close code; 1000/1001 is the page itself closing (a reload, a closed tab), which starts the leave grace. */
  private onClose(conn: ClientConnection, code: number): void {
    const reason = closeCause(code);
    this.deps.observer?.disconnected(reason);
    this.deps.log.info({ sdkAppId: conn.sdkAppId, userId: conn.userId, deviceId: conn.deviceId, code, reason }, 'connection closed');
    const removed = this.deps.connections.remove(conn);
    if (this.closing) return;
    // A replaced socket's device now belongs to the newer login: only its watch is undone.
    void this.leave(conn, conn.replaced === true || !removed).then((lastDevice) => {
      if (removed && !conn.replaced) this.disconnected(conn, lastDevice, CLIENT_CLOSE_CODES.has(code));
    });
  }

  private disconnected(conn: ClientConnection, lastDevice: boolean, closedByClient: boolean): void {
    const actor = { ...actorOf(conn), deviceId: conn.deviceId };
    this.deps.presence.disconnected(actor, conn.lastSeen, lastDevice, closedByClient).catch((err: unknown) => {
      this.deps.log.error({ err, userId: conn.userId }, 'could not arm heartbeat expiry');
    });
  }

  private identify(req: IncomingMessage): Identity | DialtoneError {
    const q = new URL(req.url ?? '', 'http://localhost').searchParams;
    const sdkappid = q.get('sdkappid') ?? '';
    const userId = q.get('userid') ?? '';
    const platform = (q.get('platform') ?? 'Unknown') as Platform;
    const deviceId = q.get('device') ?? 'default';
    for (const [name, value] of q) if (!isWellFormed(value)) return invalidParam(`${name} ${WELL_FORMED_RULE}`);
    if (!/^\d{1,10}$/.test(sdkappid) || Number(sdkappid) > 0xffffffff) return invalid('sdkappid must be an unsigned 32-bit integer');
    // Ids are checked before anything is looked up or stored under them (SPEC §1).
    if (!isUserId(userId)) return invalidParam(`userid ${USER_ID_RULE}`);
    if (!PLATFORMS.includes(platform)) return invalid(`platform must be one of ${PLATFORMS.join(', ')}`);
    if (!isIdentifier(deviceId)) return invalidParam(`device ${IDENTIFIER_RULE}`);
    const verified = verifyUserSig({
      userSig: q.get('usersig') ?? '',
      identifier: userId,
      sdkAppId: Number(sdkappid),
      secretKeyOf: this.deps.apps.secretKeyOf,
      now: Math.floor(this.deps.clock.now() / 1000),
    });
    if (isDialtoneError(verified)) return verified;
    return {
      sdkAppId: Number(sdkappid),
      userId,
      deviceId,
      platform,
      clientIp: clientIpOf(req.socket.remoteAddress),
      userSigExpiresAt: (verified.time + verified.expire) * 1000,
    };
  }

  /** Checks `raw` as `op`'s arguments: the handler's call, ready to run, or why they are refused. */
  private run<Op extends OpName>(op: Op, conn: ClientConnection, raw: unknown): (() => Promise<unknown>) | DialtoneError {
    const args = opArgs[op](raw);
    if (!args.ok) return invalidParam(args.reason);
    const handler: OpHandlers[Op] = this.ops[op];
    return () => handler(conn, args.value);
  }

  private async onFrame(conn: ClientConnection, data: RawData, isBinary: boolean): Promise<void> {
    if (conn.resuming) await conn.resuming;
    // `invalid` until the frame names an op this server knows.
    let opLabel = 'invalid';
    const reply = (id: unknown, body: Record<string, unknown>) => {
      this.deps.observer?.frame(opLabel, body.ok === true ? 0 : Number(body.code));
      sendFrame(conn.socket, JSON.stringify({ id, ...body }));
    };
    const refuse = (id: unknown, err: DialtoneError) => reply(id, { ok: false, code: err.code, message: err.message });
    if (!conn.budget.take(this.deps.clock.now())) {
      return refuse(
        null,
        dialtoneError(ERR.REST_RATE_LIMITED, `a socket may send at most ${FRAMES_PER_SECOND} frames per second (bursts of ${FRAME_BURST})`),
      );
    }
    if (isBinary) return refuse(null, invalidParam('frames must be JSON text'));
    const text = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    let frame: unknown;
    try {
      frame = JSON.parse(text.toString());
    } catch {
      frame = undefined;
    }
    // Too large, but below the hard cap: answered (with its id when it has one) and dropped,
    // so a client that sent, say, an oversized SDP hears why instead of losing its socket.
    if (text.length > MAX_FRAME_BYTES) {
      return refuse(replyIdOf(frame), invalidParam(`frame is ${text.length} bytes; the limit is ${MAX_FRAME_BYTES}`));
    }
    if (frame === undefined) return refuse(null, invalidParam('the frame is not JSON'));
    const request = checkRequest(frame);
    if (!request.ok) return refuse(replyIdOf(frame), invalidParam(request.reason));
    const { op } = request.value;
    if (!isOpName(op)) return refuse(request.value.id, invalidParam(`unknown op ${JSON.stringify(op)}`));
    opLabel = op;
    const run = this.run(op, conn, request.value.args ?? {});
    if (isDialtoneError(run)) return refuse(request.value.id, run);
    try {
      const result = await run();
      reply(request.value.id, { ok: true, result });
    } catch (err) {
      if (isDialtoneError(err)) return refuse(request.value.id, err);
      this.deps.log.error({ err, op, userId: conn.userId }, 'client op failed');
      reply(request.value.id, { ok: false, code: ERR.CALL_INTERNAL.code, message: ERR.CALL_INTERNAL.message });
    }
  }
}

/** The id to answer a frame with: its own when it is a usable one, else null. */
function replyIdOf(frame: unknown): string | number | null {
  const id = typeof frame === 'object' && frame !== null && 'id' in frame ? (frame as { id: unknown }).id : null;
  if (typeof id === 'number') return id;
  return typeof id === 'string' && id.length <= 128 && isWellFormed(id) ? id : null;
}

function actorOf(conn: ClientConnection): Actor {
  return { sdkAppId: conn.sdkAppId, userId: conn.userId, clientIp: conn.clientIp, platform: conn.platform, deviceId: conn.deviceId };
}

function invalid(detail: string): DialtoneError {
  return dialtoneError(ERR.REST_BAD_REQUEST, detail);
}

function invalidParam(detail: string): DialtoneError {
  return dialtoneError(ERR.CLIENT_INVALID_PARAM, detail);
}

/** Why a socket closed, in words, for the log. */
function closeCause(code: number): string {
  switch (code) {
    case 1000:
    case 1001:
      return 'closed by the client';
    case 1005:
      return 'closed by the client, without a code';
    case 1006:
      return 'dropped (no close frame)';
    case 1009:
      return 'frame too large';
    case CLOSE_KICKED:
      return 'replaced by a newer login of this device';
    case CLOSE_USERSIG_EXPIRED:
      return 'UserSig expired';
    default:
      return `code ${code}`;
  }
}

/** Close codes of a client that closed on purpose: normal closure, and going away (page unload). */
const CLIENT_CLOSE_CODES = new Set([1000, 1001]);

/** A close reason fits in 123 bytes. */
function closeReason(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  return bytes.length <= 123
    ? text
    : bytes
        .subarray(0, 123)
        .toString('utf8')
        .replace(/\uFFFD$/, '');
}
