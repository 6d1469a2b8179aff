/**
 * Callbacks never slow the call path (SPEC §3.1): a receiver that hangs or refuses connections
 * delays no `calls` reply, and every attempt's outcome is recorded. Apps sending to the same
 * receiver origin share it fairly (SPEC §6): one app's hung path holds back no other app.
 */
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { callbackUrl } from '../../src/callbacks/render.js';
import { DEFAULTS } from '../../src/config.js';
import { connectUser, type TestClient } from '../helpers/client.js';
import { ALL_COMMANDS } from '../helpers/harness.js';
import { Receiver } from '../helpers/receiver.js';
import { rest } from '../helpers/rest.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { attemptsOf as attemptsIn, outboxOf } from '../helpers/outbox.js';
import { waitFor, waitForAsync } from '../helpers/wait.js';

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

describe('fair sharing between apps at one receiver origin', () => {
  const B = 1400000777;
  /** B's attempts hang far longer than A's callback may take to arrive. */
  const B_TIMEOUT_MS = 10_000;

  /**
   * App A (the server's own) sends to `/a` of a receiver; app B to `/b` of the same origin,
   * where nothing is ever answered.
   */
  async function twoAppsOneOrigin(): Promise<{ t: TestServer; receiver: Receiver; bUrl: string }> {
    const receiver = await new Receiver().start('/a');
    receiver.answer = (cb) => (cb.path === '/b' ? 'hang' : undefined);
    const t = await startServer();
    // Cleanups run in reverse: the receiver closes first, so B's hung attempts end at once.
    cleanups.push(() => t.close());
    cleanups.push(() => receiver.close());
    await rest(t, 'call_config/set_callback', { Url: receiver.url, CallbackCommandList: ALL_COMMANDS });
    await t.server.apps.put({ sdkAppId: B, secretKey: 'kb', admins: ['administrator'] }, Date.now());
    const appB = { ...t, sdkAppId: B, userSig: (u: string) => t.userSig(u, B, 'kb') };
    const bUrl = `${new URL(receiver.url).origin}/b`;
    expect(await rest(appB, 'call_config/set_callback', { Url: bUrl, CallbackCommandList: ALL_COMMANDS })).toMatchObject({ ErrorCode: 0 });
    expect(await rest(appB, 'call_config/set_delivery_policy', { TimeoutMs: B_TIMEOUT_MS })).toMatchObject({ ErrorCode: 0 });
    return { t, receiver, bUrl };
  }

  /** Writes `n` StartCall callbacks of app B (one call each) to the outbox, as calls would. */
  async function backlogOfB(t: TestServer, bUrl: string, n: number): Promise<void> {
    const now = Date.now();
    await t.server.storage.transaction(async (tx) => {
      for (let i = 0; i < n; i++) {
        await tx.outbox.add({
          id: `msg_b${i}`,
          sdkAppId: B,
          callId: `b-call-${i}`,
          command: 'Call.CallbackAfterStartCall',
          url: callbackUrl(bUrl, B, 'Call.CallbackAfterStartCall', { clientIp: '127.0.0.1', platform: 'Web' }),
          body: JSON.stringify({ CallbackCommand: 'Call.CallbackAfterStartCall', n: i }),
          createdAt: now,
          ordered: true,
        });
      }
    });
    t.server.dispatcher.wake();
  }

  /** A's call; its StartCall must reach `/a` while every attempt of B is still hanging. */
  async function aArrivesPromptly(t: TestServer, receiver: Receiver): Promise<void> {
    const alice = await client(t, 'alice');
    expect((await alice.request('calls', { userIdList: ['bob'], mediaType: 'Audio' })).ok).toBe(true);
    await waitFor(() => receiver.received.some((cb) => cb.path === '/a'), 1500, "app A's StartCall");
    // Not one of B's attempts has ended (timed out) yet: A did not wait for B's slots.
    const { entries } = await t.server.storage.transaction((tx) => tx.outbox.list(B, {}, 0, 10_000));
    expect(entries.filter((e) => e.attempts > 0)).toEqual([]);
  }

  it("B's hung path fills B's share of in-flight attempts only: A's callback goes out at once", async () => {
    const { t, receiver, bUrl } = await twoAppsOneOrigin();
    // More than one app may have in flight at once (32): the rest wait in its queue.
    await backlogOfB(t, bUrl, 60);
    await waitFor(() => receiver.received.filter((cb) => cb.path === '/b').length >= 32, 5000, "32 of B's callbacks hanging");
    await aArrivesPromptly(t, receiver);
  });

  it("B's backlog past what one app may hold claimed does not stop A's callbacks being claimed", async () => {
    const { t, receiver, bUrl } = await twoAppsOneOrigin();
    // More than the 2048 entries one app may hold claimed: B's rows are no longer claimed, A's are.
    await backlogOfB(t, bUrl, 2100);
    await waitFor(() => receiver.received.filter((cb) => cb.path === '/b').length >= 32, 10_000, "32 of B's callbacks hanging");
    await aArrivesPromptly(t, receiver);
  });
});
