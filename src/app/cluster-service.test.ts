/**
 * The cluster service on a fake bus and a manual clock: other processes' messages reach this
 * process's sockets, a process silent for longer than the dead-after time is claimed and its
 * members get their heartbeat expiry from its last beat, and after an outage every local device
 * is registered again and resynced, one failure not stopping the others.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { NotifyEffect } from '../domain/effects.js';
import { ClusterService } from './cluster-service.js';
import { LocalBus } from './local-bus.js';
import type { Admission, ClusterBus, ClusterDevice, ClusterMessage, LocalDevices } from './ports.js';

const APP = 1400000001;
const LAST_BEAT = 1_700_000_000_000;

function device(userId: string, deviceId = 'phone'): ClusterDevice {
  return { sdkAppId: APP, userId, deviceId, platform: 'Web', clientIp: '10.0.0.1' };
}

/** A bus whose handlers the test fires by hand, with a device count per user and failures on demand. */
class FakeBus implements ClusterBus {
  problem(): string | undefined {
    return undefined;
  }
  readonly counts = new Map<string, number>();
  readonly registered: { device: ClusterDevice; maxDevices: number }[] = [];
  failRegisterOf = new Set<string>();
  user: (m: ClusterMessage) => void = () => undefined;
  apps: () => void = () => undefined;
  reconnect: () => void = () => undefined;
  /** Beats this process recorded, unix ms. */
  readonly beats: number[] = [];
  /** Other processes' last beats. */
  readonly others = new Map<string, number>();
  /** Devices each other process holds; a claimed process's are handed over once. */
  readonly held = new Map<string, ClusterDevice[]>();
  readonly claims: string[] = [];
  failBeat = false;

  async register(d: ClusterDevice, maxDevices: number): Promise<Admission> {
    if (this.failRegisterOf.has(d.userId)) throw new Error('redis is away');
    this.registered.push({ device: d, maxDevices });
    return { admitted: true };
  }
  async unregister(): Promise<number> {
    return 0;
  }
  async deviceCount(_sdkAppId: number, userId: string): Promise<number> {
    return this.counts.get(userId) ?? 0;
  }
  async isOnline(): Promise<boolean> {
    return false;
  }
  async watch(): Promise<void> {}
  async unwatch(): Promise<void> {}
  publishEvent(): void {}
  publishKick(): void {}
  publishAppsChanged(): void {}
  onUserMessage(h: (m: ClusterMessage) => void): void {
    this.user = h;
  }
  onAppsChanged(h: () => void): void {
    this.apps = h;
  }
  onReconnect(h: () => void): void {
    this.reconnect = h;
  }
  async beat(now: number): Promise<void> {
    if (this.failBeat) throw new Error('redis is away');
    this.beats.push(now);
  }
  async otherBeats(): Promise<ReadonlyMap<string, number>> {
    return new Map(this.others);
  }
  async claimDead(processId: string): Promise<ClusterDevice[] | undefined> {
    this.claims.push(processId);
    // As Redis's HDEL: only the first claim of a listed process wins.
    if (!this.others.delete(processId)) return undefined;
    return this.held.get(processId) ?? [];
  }
}

/** Records what the service asked of presence; `failFor` users make it throw. */
class FakePresence {
  readonly disconnects: { userId: string; deviceId: string; lastSeen: number; lastDevice: boolean }[] = [];
  readonly connects: { userId: string; deviceId: string; platform: string }[] = [];
  failFor = new Set<string>();
  async disconnected(a: { userId: string; deviceId: string }, lastSeen: number, lastDevice: boolean): Promise<void> {
    if (this.failFor.has(a.userId)) throw new Error('database is away');
    this.disconnects.push({ userId: a.userId, deviceId: a.deviceId, lastSeen, lastDevice });
  }
  async connected(a: { userId: string; deviceId: string; platform: string }): Promise<void> {
    if (this.failFor.has(a.userId)) throw new Error('database is away');
    this.connects.push({ userId: a.userId, deviceId: a.deviceId, platform: a.platform });
  }
}

function localDevices(list: ClusterDevice[]): LocalDevices {
  return {
    all: () => list,
    devicesOf: (sdkAppId, userId) => list.filter((d) => d.sdkAppId === sdkAppId && d.userId === userId),
    isOnline: (sdkAppId, userId, deviceId) => list.some((d) => d.sdkAppId === sdkAppId && d.userId === userId && d.deviceId === deviceId),
  };
}

function setup(local: ClusterDevice[] = []) {
  const bus = new FakeBus();
  const clock = { t: LAST_BEAT, now: () => clock.t };
  const presence = new FakePresence();
  const notified: { sdkAppId: number; effect: NotifyEffect }[] = [];
  const kicked: string[] = [];
  const errors: string[] = [];
  let reloads = 0;
  let reloadFails = false;
  const log = pino({ level: 'warn' }, { write: (line: string) => void errors.push(JSON.parse(line).msg as string) });
  const service = new ClusterService({
    bus,
    presence,
    local: { notify: (sdkAppId, effect) => void notified.push({ sdkAppId, effect }) },
    devices: localDevices(local),
    kick: (sdkAppId, userId, deviceId) => void kicked.push(`${sdkAppId}/${userId}/${deviceId}`),
    reloadApps: async () => {
      reloads++;
      if (reloadFails) throw new Error('database is away');
    },
    clock,
    log,
    deadAfterMs: 5_000,
  });
  service.attach();
  return {
    bus,
    clock,
    service,
    presence,
    notified,
    kicked,
    errors,
    reloads: () => reloads,
    failReload: () => {
      reloadFails = true;
    },
  };
}

/** Resolves once `check` holds, failing after `ms`. */
async function until(check: () => boolean, ms = 2_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setImmediate(r));
  }
}

describe('ClusterService', () => {
  it('delivers other processes’ events to local sockets and their kicks to the gateway', () => {
    const s = setup();
    const effect: NotifyEffect = { type: 'notify', userId: 'bob', event: 'onCallReceived', data: { callId: 'c1' } };
    s.bus.user({ kind: 'event', sdkAppId: APP, effect });
    s.bus.user({ kind: 'kick', sdkAppId: APP, userId: 'bob', deviceId: 'tablet', target: 'p1' });
    expect(s.notified).toEqual([{ sdkAppId: APP, effect }]);
    expect(s.kicked).toEqual([`${APP}/bob/tablet`]);
  });

  it('reloads the apps another process changed, and logs a failed reload without throwing', async () => {
    const s = setup();
    s.bus.apps();
    expect(s.reloads()).toBe(1);
    s.failReload();
    s.bus.apps();
    await until(() => s.errors.includes('could not reload apps'));
    expect(s.reloads()).toBe(2);
  });

  it('beats at the clock’s time and leaves a process alone until it is silent for longer than the dead-after time', async () => {
    const s = setup();
    s.bus.others.set('p2', LAST_BEAT);
    s.bus.held.set('p2', [device('alice')]);
    s.clock.t = LAST_BEAT + 5_000;
    await s.service.beat();
    expect(s.bus.beats).toEqual([LAST_BEAT + 5_000]);
    expect(s.bus.claims).toEqual([]);
    s.clock.t = LAST_BEAT + 5_001;
    await s.service.beat();
    expect(s.bus.claims).toEqual(['p2']);
    expect(s.presence.disconnects).toEqual([{ userId: 'alice', deviceId: 'phone', lastSeen: LAST_BEAT, lastDevice: true }]);
  });

  it('takes over a dead process’s members from its last beat; a user with a device elsewhere is not on their last one', async () => {
    const s = setup();
    s.bus.counts.set('alice', 1);
    s.bus.others.set('p2', LAST_BEAT);
    s.bus.held.set('p2', [device('alice'), device('bob', 'tablet')]);
    s.clock.t = LAST_BEAT + 60_000;
    await s.service.beat();
    expect(s.presence.disconnects).toEqual([
      { userId: 'alice', deviceId: 'phone', lastSeen: LAST_BEAT, lastDevice: false },
      { userId: 'bob', deviceId: 'tablet', lastSeen: LAST_BEAT, lastDevice: true },
    ]);
  });

  it('does nothing with a dead process another survivor claimed first', async () => {
    const s = setup();
    s.bus.others.set('p2', LAST_BEAT);
    s.bus.held.set('p2', [device('alice')]);
    const staleView = s.bus.otherBeats.bind(s.bus);
    // Another survivor's HDEL lands between this process's read of the beats and its claim.
    s.bus.otherBeats = async () => {
      const beats = await staleView();
      s.bus.others.delete('p2');
      return beats;
    };
    s.clock.t = LAST_BEAT + 60_000;
    await s.service.beat();
    expect(s.bus.claims).toEqual(['p2']);
    expect(s.presence.disconnects).toEqual([]);
  });

  it('goes on with the other members when one cannot be taken over', async () => {
    const s = setup();
    s.presence.failFor.add('alice');
    s.bus.others.set('p2', LAST_BEAT);
    s.bus.held.set('p2', [device('alice'), device('bob')]);
    s.clock.t = LAST_BEAT + 60_000;
    await s.service.beat();
    expect(s.presence.disconnects.map((d) => d.userId)).toEqual(['bob']);
    expect(s.errors).toEqual([
      'a cluster process stopped beating; taking over its members',
      'could not take over a member of a dead process',
    ]);
  });

  it('logs a beat the bus refuses and beats again next time', async () => {
    const s = setup();
    s.bus.failBeat = true;
    await s.service.beat();
    expect(s.errors).toEqual(['cluster heartbeat failed']);
    s.bus.failBeat = false;
    s.clock.t = LAST_BEAT + 1_000;
    await s.service.beat();
    expect(s.bus.beats).toEqual([LAST_BEAT + 1_000]);
  });

  it('skips a beat while the previous one is still running', async () => {
    const s = setup();
    let release: () => void = () => undefined;
    const slow = new Promise<void>((r) => (release = r));
    s.bus.beat = async (now) => {
      s.bus.beats.push(now);
      await slow;
    };
    const first = s.service.beat();
    await s.service.beat();
    release();
    await first;
    expect(s.bus.beats).toEqual([LAST_BEAT]);
  });

  it('after an outage registers every local device again without a limit and resyncs each client', async () => {
    const s = setup([device('alice'), device('bob', 'tablet')]);
    s.bus.reconnect();
    await until(() => s.presence.connects.length === 2);
    expect(s.bus.registered).toEqual([
      { device: device('alice'), maxDevices: Number.MAX_SAFE_INTEGER },
      { device: device('bob', 'tablet'), maxDevices: Number.MAX_SAFE_INTEGER },
    ]);
    expect(s.presence.connects).toEqual([
      { userId: 'alice', deviceId: 'phone', platform: 'Web' },
      { userId: 'bob', deviceId: 'tablet', platform: 'Web' },
    ]);
  });

  it('resyncs the other clients when one cannot be registered again', async () => {
    const s = setup([device('alice'), device('bob'), device('carol')]);
    s.bus.failRegisterOf.add('bob');
    s.bus.reconnect();
    await until(() => s.presence.connects.length === 2);
    expect(s.presence.connects.map((c) => c.userId)).toEqual(['alice', 'carol']);
    expect(s.errors).toEqual(['could not resync a client after redis came back']);
  });
});

describe('LocalBus', () => {
  it('admits every device and answers from this process’s own devices', async () => {
    const list = [device('alice'), device('alice', 'tablet'), device('bob')];
    const bus = new LocalBus(localDevices(list));
    expect(await bus.register(device('carol'), 1)).toEqual({ admitted: true });
    expect(await bus.deviceCount(APP, 'alice')).toBe(2);
    expect(await bus.deviceCount(APP, 'carol')).toBe(0);
    expect(await bus.isOnline(APP, 'alice', 'tablet')).toBe(true);
    expect(await bus.isOnline(APP, 'bob', 'tablet')).toBe(false);
    // The gateway removes the connection first: what is left is the user's other devices.
    list.splice(1, 1);
    expect(await bus.unregister(device('alice', 'tablet'))).toBe(1);
  });

  it('never calls its handlers: there is no other process', async () => {
    const bus = new LocalBus(localDevices([]));
    const called: string[] = [];
    bus.onUserMessage(() => void called.push('user'));
    bus.onAppsChanged(() => void called.push('apps'));
    bus.onReconnect(() => void called.push('reconnect'));
    bus.publishEvent(APP, { type: 'notify', userId: 'bob', event: 'onCallReceived', data: {} });
    bus.publishKick(APP, 'bob', 'phone', 'p1');
    bus.publishAppsChanged();
    await bus.watch(APP, 'bob');
    await bus.unwatch(APP, 'bob');
    await bus.beat(LAST_BEAT);
    expect(await bus.otherBeats()).toEqual(new Map());
    expect(await bus.claimDead('p2')).toBeUndefined();
    await new Promise((r) => setImmediate(r));
    expect(called).toEqual([]);
  });
});
