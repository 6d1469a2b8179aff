/**
 * Callbacks never slow the call path (SPEC §3.1): a receiver that hangs or refuses connections
 * delays no `calls` reply, and every attempt's outcome is recorded.
 */
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../src/config.js';
import { connectUser, type TestClient } from './helpers/client.js';
import { ALL_COMMANDS } from './helpers/harness.js';
import { Receiver } from './helpers/receiver.js';
import { rest } from './helpers/rest.js';
import { startServer, type TestServer } from './helpers/server.js';
import { attemptsOf as attemptsIn, outboxOf } from './helpers/outbox.js';
import { waitFor, waitForAsync } from './helpers/wait.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function serverWithCallbackTo(url: string, callbackTimeoutMs = DEFAULTS.callbackTimeoutMs): Promise<TestServer> {
  const t = await startServer({ config: { callbackTimeoutMs } });
  cleanups.push(() => t.close());
  await rest(t, 'call_config/set_callback', { Url: url, CallbackCommandList: ALL_COMMANDS });
  return t;
}

async function client(t: TestServer, userId: string): Promise<TestClient> {
  const c = await connectUser(t, userId);
  cleanups.push(() => c.close());
  return c;
}

const attemptsOf = (t: TestServer) => attemptsIn(t.server, t.sdkAppId);

describe('a slow or dead receiver delays nothing', () => {
  it('defaults to a 2 s callback timeout', () => {
    expect(DEFAULTS.callbackTimeoutMs).toBe(2000);
  });

  it('answers calls while the receiver holds every callback request open, then records the timeout', async () => {
    const receiver = await new Receiver().start();
    receiver.mode = 'hang';
    cleanups.push(() => receiver.close());
    const t = await serverWithCallbackTo(receiver.url, 1500);

    const first = await client(t, 'caller0');
    expect((await first.request('calls', { userIdList: ['callee0'], mediaType: 'Audio' })).ok).toBe(true);
    await receiver.waitForCount(1);
    // The first callback is now held open by the receiver. Every later call still gets its
    // reply before that request has been answered.
    for (let i = 1; i <= 5; i++) {
      const caller = await client(t, `caller${i}`);
      const reply = await caller.request('calls', { userIdList: [`callee${i}`], mediaType: 'Audio' });
      expect(reply.ok).toBe(true);
      expect(await attemptsOf(t)).toHaveLength(0);
    }
    await waitForAsync(async () => (await attemptsOf(t)).length >= 1, 5000, 'the first attempt to time out');
    expect((await attemptsOf(t))[0]).toMatchObject({ error: 'timeout after 1500 ms' });
    expect((await attemptsOf(t))[0]!.httpStatus).toBeUndefined();
  });

  it('answers calls when the receiver accepts connections but never reads them', async () => {
    const sockets: Socket[] = [];
    const blackhole: TcpServer = createTcpServer((s) => sockets.push(s));
    await new Promise<void>((r) => blackhole.listen(0, '127.0.0.1', r));
    cleanups.push(() => {
      for (const s of sockets) s.destroy();
      blackhole.close();
    });
    const t = await serverWithCallbackTo(`http://127.0.0.1:${(blackhole.address() as AddressInfo).port}/cb`, 1000);
    for (let i = 0; i < 3; i++) {
      const caller = await client(t, `a${i}`);
      expect((await caller.request('calls', { userIdList: [`b${i}`], mediaType: 'Video' })).ok).toBe(true);
    }
    expect(await attemptsOf(t)).toHaveLength(0);
    await waitForAsync(async () => (await attemptsOf(t)).length >= 3, 5000, 'three timed-out attempts');
    expect((await attemptsOf(t)).every((a) => a.error === 'timeout after 1000 ms')).toBe(true);
  });

  it('answers calls when the receiver refuses connections, records the network error and schedules a retry', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const s = createTcpServer();
      s.listen(0, '127.0.0.1', () => {
        const port = (s.address() as AddressInfo).port;
        s.close(() => resolve(port));
      });
    });
    const t = await serverWithCallbackTo(`http://127.0.0.1:${closedPort}/cb`);
    const alice = await client(t, 'alice');
    const bob = await client(t, 'bob');
    expect((await alice.request('calls', { userIdList: ['bob'], mediaType: 'Audio' })).ok).toBe(true);
    await bob.nextEvent('onCallReceived');
    await waitForAsync(async () => (await attemptsOf(t)).length >= 1, 5000, 'the refused attempt');
    const [attempt] = await attemptsOf(t);
    expect(attempt!.error).toMatch(/ECONNREFUSED/);
    // The default policy retries: the callback is pending again, about 5 s after that attempt.
    const [row] = await outboxOf(t.server, t.sdkAppId);
    expect(row!.status).toBe('pending');
    const settledAt = attempt!.startedAt + attempt!.latencyMs;
    expect(row!.nextAttemptAt - settledAt).toBeGreaterThan(4000);
    expect(row!.nextAttemptAt - settledAt).toBeLessThan(6000);
  });

  it('records a non-200 answer and a wrong envelope as failed attempts', async () => {
    const receiver = await new Receiver().start();
    receiver.mode = 'fail500';
    cleanups.push(() => receiver.close());
    const t = await serverWithCallbackTo(receiver.url);
    const alice = await client(t, 'alice');
    await alice.request('calls', { userIdList: ['bob'], mediaType: 'Audio' });
    await waitForAsync(async () => (await attemptsOf(t)).length >= 1, 5000, 'the failed attempt');
    expect((await attemptsOf(t))[0]).toMatchObject({ error: 'HTTP 500', httpStatus: 500 });
  });
});
