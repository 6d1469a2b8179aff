/**
 * The cluster service on a fake bus: other processes' messages reach this process's sockets,
 * a dead process's members get their heartbeat expiry from its last beat, and after an outage
 * every local device is registered again and resynced, one failure not stopping the others.
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
  readonly counts = new Map<string, number>();
  readonly registered: { device: ClusterDevice; maxDevices: number }[] = [];
  failRegisterOf = new Set<string>();
  user: (m: ClusterMessage) => void = () => undefined;
  apps: () => void = () => undefined;
  reconnect: () => void = () => undefined;
  dead: (devices: ClusterDevice[], lastBeat: number) => Promise<void> = async () => undefined;

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
  onProcessDead(h: (devices: ClusterDevice[], lastBeat: number) => Promise<void>): void {
    this.dead = h;
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
  const presence = new FakePresence();
  const notified: { sdkAppId: number; effect: NotifyEffect }[] = [];
  const kicked: string[] = [];
  const errors: string[] = [];
  let reloads = 0;
  let reloadFails = false;
  const log = pino({ level: 'error' }, { write: (line: string) => void errors.push(JSON.parse(line).msg as string) });
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
    log,
  });
  service.attach();
  return {
    bus,
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

  it('takes over a dead process’s members from its last beat; a user with a device elsewhere is not on their last one', async () => {
    const s = setup();
    s.bus.counts.set('alice', 1);
    await s.bus.dead([device('alice'), device('bob', 'tablet')], LAST_BEAT);
    expect(s.presence.disconnects).toEqual([
      { userId: 'alice', deviceId: 'phone', lastSeen: LAST_BEAT, lastDevice: false },
      { userId: 'bob', deviceId: 'tablet', lastSeen: LAST_BEAT, lastDevice: true },
    ]);
  });

  it('goes on with the other members when one cannot be taken over', async () => {
    const s = setup();
    s.presence.failFor.add('alice');
    await s.bus.dead([device('alice'), device('bob')], LAST_BEAT);
    expect(s.presence.disconnects.map((d) => d.userId)).toEqual(['bob']);
    expect(s.errors).toEqual(['could not take over a member of a dead process']);
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
    bus.onProcessDead(async () => void called.push('dead'));
    bus.publishEvent(APP, { type: 'notify', userId: 'bob', event: 'onCallReceived', data: {} });
    bus.publishKick(APP, 'bob', 'phone', 'p1');
    bus.publishAppsChanged();
    await bus.watch(APP, 'bob');
    await bus.unwatch(APP, 'bob');
    await new Promise((r) => setImmediate(r));
    expect(called).toEqual([]);
  });
});
