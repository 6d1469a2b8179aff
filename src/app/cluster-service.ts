/**
 * What this process does with what the cluster bus tells it: delivers other processes' events and
 * kicks to its own sockets, reloads apps another process changed, beats on the bus and takes over
 * the members of a process that stopped beating, and resyncs its clients after the bus was lost
 * (events published meanwhile are gone). With the one-process bus none of this ever fires.
 *
 * Telling a dead process is timing, so it lives here on the injectable clock; the bus only stores
 * beats and hands a dead process's devices to exactly one survivor.
 */
import type { Logger } from 'pino';
import type { Notifier } from './notifier.js';
import type { Clock, ClusterBus, ClusterDevice, ClusterMessage, LocalDevices } from './ports.js';
import type { PresenceService } from './presence-service.js';

/** Dependencies of {@link ClusterService}. */
export interface ClusterServiceDeps {
  bus: ClusterBus;
  presence: Pick<PresenceService, 'connected' | 'disconnected'>;
  /** This process's sockets, where events from other processes are delivered. */
  local: Notifier;
  /** This process's connected devices, registered again after an outage. */
  devices: LocalDevices;
  /** Kicks this process's socket of a device that another process's newer login took. */
  kick(sdkAppId: number, userId: string, deviceId: string): void;
  /** Reads the apps again after another process changed them. */
  reloadApps(): Promise<void>;
  clock: Clock;
  log: Logger;
  /** How often this process beats and looks for dead ones, ms. Default 1000. */
  beatMs?: number;
  /** A process whose last beat is older than this is taken for dead, ms. Default 5000. */
  deadAfterMs?: number;
}

/** Handles the bus's messages and events for this process. */
export class ClusterService {
  private beating: NodeJS.Timeout | undefined;
  private inBeat = false;

  constructor(private readonly deps: ClusterServiceDeps) {}

  /** Subscribes to the bus; call once, before it starts. */
  attach(): void {
    const { bus, log } = this.deps;
    bus.onUserMessage((m) => this.received(m));
    bus.onAppsChanged(() => void this.deps.reloadApps().catch((err: unknown) => log.error({ err }, 'could not reload apps')));
    bus.onReconnect(() => void this.resync());
  }

  /** Beats now and then every `beatMs`, until {@link stop}. Call once the bus is connected. */
  async start(): Promise<void> {
    await this.beat();
    this.beating = setInterval(() => void this.beat(), this.deps.beatMs ?? 1000);
    this.beating.unref();
  }

  /** Stops beating: the other processes take this one for dead once its last beat is old enough. */
  stop(): void {
    if (this.beating) clearInterval(this.beating);
    this.beating = undefined;
  }

  /**
   * Says this process is alive and takes over every process silent for longer than `deadAfterMs`
   * whose claim this process wins. A beat still running when the next is due makes that one skip,
   * so a slow bus never stacks them; a failed beat is logged and the next one tries again.
   */
  async beat(): Promise<void> {
    if (this.inBeat) return;
    this.inBeat = true;
    const { bus, clock, log } = this.deps;
    const deadAfterMs = this.deps.deadAfterMs ?? 5000;
    try {
      const now = clock.now();
      await bus.beat(now);
      for (const [id, lastBeat] of await bus.otherBeats()) {
        if (now - lastBeat <= deadAfterMs) continue;
        const devices = await bus.claimDead(id);
        if (!devices) continue;
        log.warn({ deadProcess: id, devices: devices.length }, 'a cluster process stopped beating; taking over its members');
        await this.takeOver(devices, lastBeat);
      }
    } catch (err) {
      log.warn({ err: err instanceof Error ? err.message : err }, 'cluster heartbeat failed');
    } finally {
      this.inBeat = false;
    }
  }

  /** Delivers an event or kick another process sent about a user this process holds. */
  received(m: ClusterMessage): void {
    if (m.kind === 'event') this.deps.local.notify(m.sdkAppId, m.effect);
    else this.deps.kick(m.sdkAppId, m.userId, m.deviceId);
  }

  /**
   * Members whose process died: their heartbeat expiry runs from its last beat (unix ms), as if
   * their sockets had closed then; those who reconnect elsewhere in time keep their calls.
   */
  async takeOver(devices: readonly ClusterDevice[], lastBeat: number): Promise<void> {
    for (const d of devices) {
      const lastDevice = (await this.deps.bus.deviceCount(d.sdkAppId, d.userId)) === 0;
      await this.deps.presence
        .disconnected(
          { sdkAppId: d.sdkAppId, userId: d.userId, deviceId: d.deviceId, clientIp: d.clientIp, platform: d.platform },
          lastBeat,
          lastDevice,
        )
        .catch((err: unknown) => this.deps.log.error({ err, userId: d.userId }, 'could not take over a member of a dead process'));
    }
  }

  /**
   * After the bus came back: registers this process's devices again and tells each client the
   * state of its calls from the database. A client that fails is logged; the others go on.
   */
  async resync(): Promise<void> {
    for (const d of [...this.deps.devices.all()]) {
      try {
        // No limit: these devices were admitted before the outage.
        await this.deps.bus.register(d, Number.MAX_SAFE_INTEGER);
        await this.deps.presence.connected({
          sdkAppId: d.sdkAppId,
          userId: d.userId,
          clientIp: d.clientIp,
          platform: d.platform,
          deviceId: d.deviceId,
        });
      } catch (err) {
        this.deps.log.error({ err, userId: d.userId }, 'could not resync a client after redis came back');
      }
    }
  }
}
