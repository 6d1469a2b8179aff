/**
 * The cluster bus on Redis (SPEC §7): routes client events to whichever processes hold the
 * recipient's sockets, keeps the cluster-wide list of each user's devices, and keeps each
 * process's last beat, so that the cluster service (app layer, on its clock) can tell a process
 * that stopped and have exactly one survivor take over its devices.
 *
 * Routing is Redis's own: a process subscribes to the channel of each user it has a socket of,
 * and events for a user are published on that user's channel, so only the processes holding the
 * user get them. Messages carry the sender's process id; a process never handles its own.
 */
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Admission, ClusterBus, ClusterDevice, ClusterMessage } from '../../app/ports.js';
import type { NotifyEffect } from '../../domain/effects.js';

/** Settings of the bus. */
export interface RedisBusOptions {
  /** `redis://…` URL. */
  url: string;
  /** Prefix of every key and channel, so several clusters (or tests) share one Redis. Default `dialtone:`. */
  prefix?: string;
  /** This process's id, unique in the cluster. */
  processId: string;
  log: Logger;
}

// Registers a device unless the user is at the limit: KEYS devices hash, process set;
// ARGV deviceId, processId, member, maxDevices. Returns {admitted, previous owner}.
const REGISTER = `
local prev = redis.call('HGET', KEYS[1], ARGV[1])
if not prev and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[4]) then return {0, false} end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
return {1, prev}`;

// Removes a device if this process still holds it. KEYS devices hash, process set;
// ARGV deviceId, processId, member. Returns the number of devices left.
const UNREGISTER = `
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then redis.call('HDEL', KEYS[1], ARGV[1]) end
redis.call('SREM', KEYS[2], ARGV[3])
return redis.call('HLEN', KEYS[1])`;

/** The {@link ClusterBus} of cluster mode, on Redis. */
export class RedisBus implements ClusterBus {
  readonly processId: string;
  private readonly prefix: string;
  private readonly cmd: Redis;
  private readonly sub: Redis;
  private readonly watched = new Map<string, number>();
  private lost = false;
  private userHandler: (m: ClusterMessage) => void = () => undefined;
  private appsHandler: () => void = () => undefined;
  private reconnectHandler: () => void = () => undefined;

  constructor(private readonly opts: RedisBusOptions) {
    this.processId = opts.processId;
    this.prefix = opts.prefix ?? 'dialtone:';
    // Commands fail fast while Redis is away (callers fall back); subscriptions come back on
    // their own when it returns (ioredis re-subscribes).
    const common = {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      lazyConnect: true,
      retryStrategy: (n: number) => Math.min(n * 200, 2000),
    };
    this.cmd = new Redis(opts.url, common);
    this.sub = new Redis(opts.url, { ...common, enableOfflineQueue: true, maxRetriesPerRequest: null });
    for (const client of [this.cmd, this.sub]) {
      client.on('error', (err: Error) => opts.log.warn({ err: err.message }, 'redis error'));
      client.on('close', () => {
        this.lost = true;
      });
    }
    this.sub.on('messageBuffer', (channel: Buffer, message: Buffer) => this.onMessage(channel.toString(), message.toString()));
    // Once both connections are back after a loss, whatever was published meanwhile is gone.
    const back = () => {
      if (!this.lost || this.cmd.status !== 'ready' || this.sub.status !== 'ready') return;
      this.lost = false;
      opts.log.info('redis is back: re-registering devices and resyncing clients');
      this.reconnectHandler();
    };
    this.cmd.on('ready', back);
    this.sub.on('ready', back);
  }

  /** Connects both clients. */
  async start(): Promise<void> {
    await Promise.all([this.cmd.connect(), this.sub.connect()]);
    this.lost = false;
    await this.sub.subscribe(this.key('apps'));
  }

  /** Disconnects. Devices and the last beat stay listed: the others take them over as from a dead process. */
  async close(): Promise<void> {
    this.sub.disconnect();
    this.cmd.disconnect();
  }

  /** Both Redis connections must be up: one sends, the other receives the other processes' messages. */
  problem(): string | undefined {
    const down = [
      ['commands', this.cmd.status],
      ['subscriptions', this.sub.status],
    ].filter(([, status]) => status !== 'ready');
    return down.length === 0 ? undefined : `redis ${down.map(([name, status]) => `${name} connection ${status}`).join(', ')}`;
  }

  /** Handles events and kicks for users this process watches. */
  onUserMessage(handler: (m: ClusterMessage) => void): void {
    this.userHandler = handler;
  }

  /** Called when another process changed the apps. */
  onAppsChanged(handler: () => void): void {
    this.appsHandler = handler;
  }

  /** Called when Redis is back after being lost: what was published meanwhile is gone. */
  onReconnect(handler: () => void): void {
    this.reconnectHandler = handler;
  }

  /** Starts receiving a user's messages (counted: as many unwatch calls end it). */
  async watch(sdkAppId: number, userId: string): Promise<void> {
    const channel = this.userChannel(sdkAppId, userId);
    const n = this.watched.get(channel) ?? 0;
    this.watched.set(channel, n + 1);
    if (n === 0) await this.sub.subscribe(channel);
  }

  /** Stops receiving a user's messages once every watch is undone. */
  async unwatch(sdkAppId: number, userId: string): Promise<void> {
    const channel = this.userChannel(sdkAppId, userId);
    const n = (this.watched.get(channel) ?? 1) - 1;
    if (n > 0) {
      this.watched.set(channel, n);
      return;
    }
    this.watched.delete(channel);
    await this.sub.unsubscribe(channel);
  }

  /** Sends a client event to the other processes holding its user. */
  publishEvent(sdkAppId: number, effect: NotifyEffect): void {
    this.publish(this.userChannel(sdkAppId, effect.userId), { kind: 'event', sdkAppId, effect });
  }

  /** Tells process `target` to kick its socket of this device (a newer login took it). */
  publishKick(sdkAppId: number, userId: string, deviceId: string, target: string): void {
    this.publish(this.userChannel(sdkAppId, userId), { kind: 'kick', sdkAppId, userId, deviceId, target });
  }

  /** Tells the other processes to reload the apps. */
  publishAppsChanged(): void {
    this.cmd
      .publish(this.key('apps'), this.processId)
      .catch((err: unknown) => this.opts.log.warn({ err }, 'could not announce an app change'));
  }

  /** Registers a device cluster-wide unless its user is at `maxDevices`. */
  async register(device: ClusterDevice, maxDevices: number): Promise<Admission> {
    const [ok, prev] = (await this.cmd.eval(
      REGISTER,
      2,
      this.devicesKey(device.sdkAppId, device.userId),
      this.key(`proc:${this.processId}`),
      device.deviceId,
      this.processId,
      memberOf(device),
      maxDevices,
    )) as [number, string | null];
    return { admitted: ok === 1, ...(prev && prev !== this.processId ? { replacedOn: prev } : {}) };
  }

  /** Removes a device this process holds; resolves to how many devices the user still has anywhere. */
  async unregister(device: ClusterDevice): Promise<number> {
    return (await this.cmd.eval(
      UNREGISTER,
      2,
      this.devicesKey(device.sdkAppId, device.userId),
      this.key(`proc:${this.processId}`),
      device.deviceId,
      this.processId,
      memberOf(device),
    )) as number;
  }

  /** How many devices a user has connected, all processes together. */
  async deviceCount(sdkAppId: number, userId: string): Promise<number> {
    return this.cmd.hlen(this.devicesKey(sdkAppId, userId));
  }

  /** Whether a device of a user is connected to any process. */
  async isOnline(sdkAppId: number, userId: string, deviceId: string): Promise<boolean> {
    return (await this.cmd.hexists(this.devicesKey(sdkAppId, userId), deviceId)) === 1;
  }

  /** Records that this process is alive at `now` (unix ms). */
  async beat(now: number): Promise<void> {
    await this.cmd.hset(this.key('procs'), this.processId, String(now));
  }

  /** The last beat (unix ms) of every other process still listed. */
  async otherBeats(): Promise<ReadonlyMap<string, number>> {
    const procs = await this.cmd.hgetall(this.key('procs'));
    const beats = new Map<string, number>();
    for (const [id, beat] of Object.entries(procs)) if (id !== this.processId) beats.set(id, Number(beat));
    return beats;
  }

  /** Unlists a dead process; the one caller whose HDEL removed it gets the devices still on it. */
  async claimDead(deadId: string): Promise<ClusterDevice[] | undefined> {
    // HDEL answers 1 to exactly one survivor: that one takes over.
    if ((await this.cmd.hdel(this.key('procs'), deadId)) !== 1) return undefined;
    const setKey = this.key(`proc:${deadId}`);
    const members = await this.cmd.smembers(setKey);
    const gone: ClusterDevice[] = [];
    for (const m of members) {
      const device = JSON.parse(m) as ClusterDevice;
      const key = this.devicesKey(device.sdkAppId, device.userId);
      // Only devices still listed as on the dead process: one that reconnected elsewhere is fine.
      if ((await this.cmd.hget(key, device.deviceId)) !== deadId) continue;
      await this.cmd.hdel(key, device.deviceId);
      gone.push(device);
    }
    await this.cmd.del(setKey);
    return gone;
  }

  private publish(channel: string, message: ClusterMessage): void {
    this.cmd
      .publish(channel, JSON.stringify({ from: this.processId, ...message }))
      .catch((err: unknown) => this.opts.log.warn({ err: err instanceof Error ? err.message : err }, 'could not publish a client event'));
  }

  private onMessage(channel: string, text: string): void {
    if (channel === this.key('apps')) {
      if (text !== this.processId) this.appsHandler();
      return;
    }
    let message: ClusterMessage & { from: string };
    try {
      message = JSON.parse(text) as ClusterMessage & { from: string };
    } catch {
      return;
    }
    if (message.from === this.processId) return;
    if (message.kind === 'kick' && message.target !== this.processId) return;
    this.userHandler(message);
  }

  private key(name: string): string {
    return `${this.prefix}${name}`;
  }

  private userChannel(sdkAppId: number, userId: string): string {
    return this.key(`u:${sdkAppId}:${userId}`);
  }

  private devicesKey(sdkAppId: number, userId: string): string {
    return this.key(`dev:${sdkAppId}:${userId}`);
  }
}

/**
 * A device as its process's set lists it: its five fields only, in one order, so that
 * unregistering removes exactly the member registering added whatever object it is given.
 */
function memberOf(d: ClusterDevice): string {
  return JSON.stringify({ sdkAppId: d.sdkAppId, userId: d.userId, deviceId: d.deviceId, platform: d.platform, clientIp: d.clientIp });
}
