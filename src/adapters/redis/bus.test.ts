/**
 * The Redis bus against the real Redis of the test machine: beats are stored per process, and a
 * dead process is claimed by exactly one survivor, which gets only the devices still on it.
 * (Timing, i.e. when a process counts as dead, is the cluster service's, tested on a fake clock.)
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterDevice } from '../../app/ports.js';
import { track } from '../../testing/leftovers.js';
import { runPrefix } from '../../testing/run-prefix.js';
import { RedisBus } from './bus.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const APP = 1400000001;
const log = pino({ level: 'silent' });

function device(userId: string, deviceId = 'phone'): ClusterDevice {
  return { sdkAppId: APP, userId, deviceId, platform: 'Web', clientIp: '10.0.0.1' };
}

const open: RedisBus[] = [];
let prefix = '';

async function bus(processId: string): Promise<RedisBus> {
  const b = new RedisBus({ url: REDIS_URL, prefix, processId, log });
  open.push(b);
  await b.start();
  return b;
}

beforeAll(async () => {
  // Fails, never skips, when Redis is not there.
  const probe = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await probe.connect();
    await probe.ping();
  } catch (err) {
    throw new Error(`Redis is not reachable at ${REDIS_URL} (set REDIS_URL): ${(err as Error).message}`, { cause: err });
  } finally {
    probe.disconnect();
  }
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((b) => b.close()));
  const redis = new Redis(REDIS_URL);
  try {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
});

describe('RedisBus', () => {
  it('lists the other processes’ last beats, not its own', async () => {
    prefix = `${track(`${runPrefix()}${randomBytes(6).toString('hex')}`)}:`;
    const [a, b] = [await bus('a'), await bus('b')];
    await a.beat(1_000);
    await b.beat(2_000);
    await a.beat(3_000);
    expect(await a.otherBeats()).toEqual(new Map([['b', 2_000]]));
    expect(await b.otherBeats()).toEqual(new Map([['a', 3_000]]));
  });

  it('hands a dead process’s devices to exactly one of two claimers, leaving a device that moved elsewhere', async () => {
    prefix = `${track(`${runPrefix()}${randomBytes(6).toString('hex')}`)}:`;
    const [dead, a, b] = [await bus('dead'), await bus('a'), await bus('b')];
    await dead.beat(1_000);
    await dead.register(device('alice'), 5);
    await dead.register(device('bob', 'tablet'), 5);
    // bob's tablet reconnected to process a before the dead one was noticed.
    expect(await a.register(device('bob', 'tablet'), 5)).toEqual({ admitted: true, replacedOn: 'dead' });

    const claims = await Promise.all([a.claimDead('dead'), b.claimDead('dead')]);
    const winners = claims.filter((c) => c !== undefined);
    expect(winners).toEqual([[device('alice')]]);
    expect(await a.isOnline(APP, 'alice', 'phone')).toBe(false);
    expect(await a.isOnline(APP, 'bob', 'tablet')).toBe(true);
    expect((await a.otherBeats()).has('dead')).toBe(false);
    expect(await b.claimDead('dead')).toBeUndefined();
  });
});
