/**
 * Cluster mode when Redis goes away and comes back: calls go on (PostgreSQL holds them), events
 * published meanwhile are lost, and when the bus returns every client is told the state of its
 * calls from the database. Redis is reached through a TCP proxy the test can cut, so the shared
 * Redis of the machine is never restarted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectUser, type TestClient } from '../helpers/client.js';
import { clusterConfig, dropCluster, startServer, TEST_REDIS_URL, type TestServer } from '../helpers/server.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

const dir = mkdtempSync(join(tmpdir(), 'dialtone-redis-outage-'));
const cluster = clusterConfig(dir, true)!;
const servers: TestServer[] = [];
const clients: TestClient[] = [];
let proxy: TcpProxy;

afterAll(async () => {
  for (const c of clients) c.close();
  for (const s of servers) await s.close();
  await proxy?.close();
  await dropCluster(cluster);
  rmSync(dir, { recursive: true, force: true });
});

describe('cluster mode without Redis for a while', () => {
  it('keeps the call, and resyncs a client whose event was lost once Redis is back', async () => {
    proxy = await startTcpProxy(Number(new URL(TEST_REDIS_URL).port || 6379));
    const config = { ...cluster, redisUrl: proxy.url.replace(/^http:/, 'redis:') };
    const a = await startServer({ config, dataDir: dir, keepDataDir: true });
    servers.push(a);
    const b = await startServer({ config, dataDir: dir, keepDataDir: true });
    servers.push(b);
    const alice = await connectUser(a, 'alice');
    const bob = await connectUser(b, 'bob');
    clients.push(alice, bob);

    const started = await alice.request('calls', { userIdList: ['bob'], mediaType: 'Audio' });
    const callId = started.result!.callId as string;
    await bob.nextEvent('onCallReceived', 10_000);

    proxy.cut();
    // bob accepts on process B while the bus is down: the call changes in PostgreSQL, but the
    // event for alice on process A has nowhere to go.
    const accepted = await bob.request('accept', { callId }, 10_000);
    expect(accepted.ok).toBe(true);

    proxy.restore();
    // When the bus is back, process A tells alice the state of her call from the database.
    const state = await alice.nextEvent('onCallState', 20_000);
    expect(state.data).toMatchObject({
      callId,
      status: 'Calling',
      members: [
        { userId: 'alice', status: 'Calling' },
        { userId: 'bob', status: 'Calling' },
      ],
    });
    // Routing works again: bob's hangup reaches alice through Redis.
    expect((await bob.request('hangup', { callId }, 10_000)).ok).toBe(true);
    expect((await alice.nextEvent('onCallEnd', 10_000)).data).toMatchObject({ callId });
  }, 60_000);
});
