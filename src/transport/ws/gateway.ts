/**
 * The client WebSocket endpoint `/v1/ws` (SPEC §4): authenticates at connect, then turns JSON
 * request frames into use-case calls and answers each with a reply frame. A bad frame is
 * answered with `-1202` and never affects the socket's other work or anyone else's.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { AppRegistry } from '../../app/apps.js';
import type { Actor, CallService, StartCallArgs } from '../../app/call-service.js';
import type { Clock } from '../../app/ports.js';
import { verifyUserSig } from '../../auth/usersig.js';
import type { Platform } from '../../domain/types.js';
import { ERR, dialtoneError, isDialtoneError, type DialtoneError } from '../../errors.js';
import { clientIpOf } from '../http/client-ip.js';
import { ConnectionRegistry, sendFrame, type ClientConnection } from './connections.js';
import { checkRequest, MAX_USER_ID_LENGTH, opArgs, type OpName } from './frames.js';

/** Close code for a failed authentication. */
export const CLOSE_AUTH_FAILED = 4001;
/** Close code for a socket replaced by a newer login of the same device. */
export const CLOSE_KICKED = 4002;
/** Path of the client endpoint. */
export const WS_PATH = '/v1/ws';
/** Largest accepted frame, bytes. */
export const MAX_FRAME_BYTES = 64 * 1024;

const PLATFORMS: readonly Platform[] = ['Web', 'Android', 'iOS', 'Windows', 'Mac', 'iPad', 'Unknown'];

/** Dependencies of the gateway. */
export interface GatewayDeps {
  apps: AppRegistry;
  calls: CallService;
  connections: ConnectionRegistry;
  clock: Clock;
  log: Logger;
}

type OpHandler = (conn: ClientConnection, args: never) => Promise<unknown>;

/** The WebSocket gateway, attached to an HTTP server's upgrade event. */
export class Gateway {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  private readonly ops: Record<OpName, OpHandler>;

  constructor(private readonly deps: GatewayDeps) {
    this.ops = {
      calls: async (conn, args: StartCallArgs) => {
        const started = await deps.calls.startCall(actorOf(conn), args);
        return { callId: started.callId, roomId: started.roomId, roomIdType: started.roomIdType };
      },
      hangup: async (conn, args: { callId: string }) => {
        await deps.calls.hangup(actorOf(conn), args.callId);
        return {};
      },
      ping: async () => ({}),
    };
  }

  /** Routes upgrades of {@link WS_PATH} on `server` to this gateway. */
  attach(server: Server): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const path = (req.url ?? '').split('?')[0];
      if (path !== WS_PATH) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onSocket(ws, req));
    });
  }

  /** Closes every client socket. */
  close(): void {
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
  }

  private onSocket(ws: WebSocket, req: IncomingMessage): void {
    const conn = this.authenticate(ws, req);
    if (isDialtoneError(conn)) {
      ws.close(CLOSE_AUTH_FAILED, closeReason(`${conn.code} ${conn.message}`));
      return;
    }
    const replaced = this.deps.connections.add(conn);
    if (replaced) {
      sendFrame(replaced.socket, JSON.stringify({ event: 'onKickedOffline', data: {} }));
      replaced.socket.close(CLOSE_KICKED, 'kicked offline by a newer login of this device');
    }
    ws.on('message', (data, isBinary) => void this.onFrame(conn, data, isBinary));
    ws.on('close', () => this.deps.connections.remove(conn));
    ws.on('error', (err) => this.deps.log.debug({ err, userId: conn.userId }, 'client socket error'));
  }

  private authenticate(ws: WebSocket, req: IncomingMessage): ClientConnection | DialtoneError {
    const q = new URL(req.url ?? '', 'http://localhost').searchParams;
    const sdkappid = q.get('sdkappid') ?? '';
    const userId = q.get('userid') ?? '';
    const platform = (q.get('platform') ?? 'Unknown') as Platform;
    const deviceId = q.get('device') ?? 'default';
    if (!/^\d{1,10}$/.test(sdkappid) || Number(sdkappid) > 0xffffffff) return invalid('sdkappid must be an unsigned 32-bit integer');
    if (userId.length === 0 || userId.length > MAX_USER_ID_LENGTH || /[\u0000-\u001f\u007f]/.test(userId)) {
      return invalid(`userid must be 1..${MAX_USER_ID_LENGTH} characters`);
    }
    if (!PLATFORMS.includes(platform)) return invalid(`platform must be one of ${PLATFORMS.join(', ')}`);
    if (deviceId.length === 0 || deviceId.length > 64) return invalid('device must be 1..64 characters');
    const verified = verifyUserSig({
      userSig: q.get('usersig') ?? '',
      identifier: userId,
      sdkAppId: Number(sdkappid),
      secretKeyOf: this.deps.apps.secretKeyOf,
      now: Math.floor(this.deps.clock.now() / 1000),
    });
    if (isDialtoneError(verified)) return verified;
    return { sdkAppId: Number(sdkappid), userId, deviceId, platform, clientIp: clientIpOf(req.socket.remoteAddress), socket: ws };
  }

  private async onFrame(conn: ClientConnection, data: RawData, isBinary: boolean): Promise<void> {
    const reply = (id: unknown, body: Record<string, unknown>) => sendFrame(conn.socket, JSON.stringify({ id, ...body }));
    const refuse = (id: unknown, err: DialtoneError) => reply(id, { ok: false, code: err.code, message: err.message });
    if (isBinary) return refuse(null, invalidParam('frames must be JSON text'));
    let frame: unknown;
    try {
      frame = JSON.parse(data.toString());
    } catch {
      return refuse(null, invalidParam('frame is not JSON'));
    }
    const request = checkRequest(frame);
    const id = typeof frame === 'object' && frame !== null && 'id' in frame ? (frame as { id: unknown }).id : null;
    if (!request.ok) return refuse(typeof id === 'string' || typeof id === 'number' ? id : null, invalidParam(request.reason));
    const { op } = request.value;
    if (!Object.hasOwn(this.ops, op)) return refuse(request.value.id, invalidParam(`unknown op ${op}`));
    const args = opArgs[op as OpName](request.value.args ?? {});
    if (!args.ok) return refuse(request.value.id, invalidParam(args.reason));
    try {
      const result = await this.ops[op as OpName](conn, args.value as never);
      reply(request.value.id, { ok: true, result });
    } catch (err) {
      if (isDialtoneError(err)) return refuse(request.value.id, err);
      this.deps.log.error({ err, op, userId: conn.userId }, 'client op failed');
      reply(request.value.id, { ok: false, code: ERR.CALL_INTERNAL.code, message: ERR.CALL_INTERNAL.message });
    }
  }
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
