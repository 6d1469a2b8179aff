/**
 * Who is connected where: each user's devices and their sockets. Implements the in-process
 * {@link Notifier}: an event is serialised once and written to every matching socket.
 */
import type { WebSocket } from 'ws';
import type { Notifier } from '../../app/notifier.js';
import type { NotifyEffect } from '../../domain/effects.js';
import type { Platform } from '../../domain/types.js';
import type { FrameBudget } from './frame-budget.js';

/** One authenticated client socket. */
export interface ClientConnection {
  sdkAppId: number;
  userId: string;
  deviceId: string;
  platform: Platform;
  clientIp: string;
  socket: WebSocket;
  /** Unix ms of the last frame or ping from the client. */
  lastSeen: number;
  /** Unix ms when the UserSig it connected with expires. */
  userSigExpiresAt: number;
  /** Frames it may still send (flood protection). */
  budget: FrameBudget;
  /** Set when a newer login of the same device took its place. */
  replaced?: boolean;
  /**
   * Pending while the server tells this new connection where its user's calls stand
   * (`onCallState`, `onCallReceived`); its frames wait, so the reply to its first one follows
   * those events (the SDK's `init` resolves on it with `currentCall` set, SPEC §4).
   */
  resuming?: Promise<void> | undefined;
}

/** The devices each user has connected, per app. */
export class ConnectionRegistry implements Notifier {
  private readonly byUser = new Map<string, Map<string, ClientConnection>>();

  private static key(sdkAppId: number, userId: string): string {
    return `${sdkAppId}\u0000${userId}`;
  }

  /** Adds a connection; returns the one it replaces (same user and device), if any. */
  add(conn: ClientConnection): ClientConnection | undefined {
    const key = ConnectionRegistry.key(conn.sdkAppId, conn.userId);
    let devices = this.byUser.get(key);
    if (!devices) this.byUser.set(key, (devices = new Map()));
    const previous = devices.get(conn.deviceId);
    devices.set(conn.deviceId, conn);
    return previous;
  }

  /** Removes a connection unless it has already been replaced; true when it was removed. */
  remove(conn: ClientConnection): boolean {
    const key = ConnectionRegistry.key(conn.sdkAppId, conn.userId);
    const devices = this.byUser.get(key);
    if (devices?.get(conn.deviceId) !== conn) return false;
    devices.delete(conn.deviceId);
    if (devices.size === 0) this.byUser.delete(key);
    return true;
  }

  /** The user's connected devices. */
  devicesOf(sdkAppId: number, userId: string): ClientConnection[] {
    return [...(this.byUser.get(ConnectionRegistry.key(sdkAppId, userId))?.values() ?? [])];
  }

  /** Every connection. */
  *all(): IterableIterator<ClientConnection> {
    for (const devices of this.byUser.values()) yield* devices.values();
  }

  /** Whether `deviceId` of the user is connected. */
  isOnline = (sdkAppId: number, userId: string, deviceId: string): boolean =>
    this.byUser.get(ConnectionRegistry.key(sdkAppId, userId))?.has(deviceId) ?? false;

  /** Connected sockets by the platform each declared. */
  byPlatform(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const conn of this.all()) counts.set(conn.platform, (counts.get(conn.platform) ?? 0) + 1);
    return counts;
  }

  /** Number of connected sockets. */
  get size(): number {
    let n = 0;
    for (const devices of this.byUser.values()) n += devices.size;
    return n;
  }

  notify(sdkAppId: number, effect: NotifyEffect): void {
    const devices = this.byUser.get(ConnectionRegistry.key(sdkAppId, effect.userId));
    if (!devices) return;
    const frame = JSON.stringify({ event: effect.event, data: effect.data });
    for (const conn of devices.values()) {
      if (effect.onlyDevice !== undefined && conn.deviceId !== effect.onlyDevice) continue;
      if (effect.exceptDevice !== undefined && conn.deviceId === effect.exceptDevice) continue;
      sendFrame(conn.socket, frame);
    }
  }
}

/** Writes a frame if the socket is open; a closed socket just misses it. */
export function sendFrame(socket: WebSocket, frame: string): void {
  if (socket.readyState === socket.OPEN) socket.send(frame);
}
