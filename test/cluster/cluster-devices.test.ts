/**
 * Devices across the processes of a cluster (SPEC §4, §7): a device logging in again on another
 * process kicks its old socket there, and the per-user device limit counts every process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOSE_KICKED, CLOSE_TOO_MANY_DEVICES, MAX_DEVICES_PER_USER } from '../../src/transport/ws/gateway.js';
import { connectUser, type TestClient } from '../helpers/client.js';
import { clusterConfig, dropCluster, startServer, type TestServer } from '../helpers/server.js';

const dir = mkdtempSync(join(tmpdir(), 'dialtone-cluster-devices-'));
const cluster = clusterConfig(dir, true)!;
let a: TestServer;
let b: TestServer;
const clients: TestClient[] = [];

beforeAll(async () => {
  a = await startServer({ config: cluster, dataDir: dir, keepDataDir: true });
  b = await startServer({ config: cluster, dataDir: dir, keepDataDir: true });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await a.close();
  await b.close();
  await dropCluster(cluster);
  rmSync(dir, { recursive: true, force: true });
});

async function device(t: TestServer, userId: string, deviceId: string): Promise<TestClient> {
  const c = await connectUser(t, userId, { device: deviceId });
  clients.push(c);
  return c;
}

describe('devices in a cluster', () => {
  it('kicks the old socket on the other process when a device logs in again', async () => {
    const first = await device(a, 'alice', 'phone');
    await device(b, 'alice', 'phone');
    expect((await first.nextEvent('onKickedOffline', 10_000)).event).toBe('onKickedOffline');
    expect((await first.closed(10_000)).code).toBe(CLOSE_KICKED);
  });

  it('counts the devices of every process against the per-user limit', async () => {
    for (let i = 0; i < MAX_DEVICES_PER_USER; i++) await device(i % 2 === 0 ? a : b, 'bob', `d${i}`);
    const eleventh = await device(a, 'bob', 'd10');
    expect((await eleventh.closed(10_000)).code).toBe(CLOSE_TOO_MANY_DEVICES);
    const eleventhElsewhere = await device(b, 'bob', 'd11');
    expect((await eleventhElsewhere.closed(10_000)).code).toBe(CLOSE_TOO_MANY_DEVICES);
  });

  it('routes an event to the device on the other process only', async () => {
    const carolA = await device(a, 'carol', 'laptop');
    const carolB = await device(b, 'carol', 'phone');
    const dave = await device(a, 'dave', 'default');
    const started = await dave.request('calls', { userIdList: ['carol'], mediaType: 'Audio' }, 10_000);
    expect(started.ok).toBe(true);
    const callId = started.result!.callId as string;
    // Both devices ring, wherever they are connected.
    expect((await carolA.nextEvent('onCallReceived', 10_000)).data).toMatchObject({ callId });
    expect((await carolB.nextEvent('onCallReceived', 10_000)).data).toMatchObject({ callId });
    expect((await carolB.request('accept', { callId }, 10_000)).ok).toBe(true);
    // The laptop on the other process hears that another device took the call.
    expect((await carolA.nextEvent('onCallNotConnected', 10_000)).data).toMatchObject({ callId, reason: 'otherDeviceAccepted' });
  });
});
