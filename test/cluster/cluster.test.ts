/**
 * Cluster mode (SPEC §7): three `dialtone serve` processes on one PostgreSQL database and one
 * Redis. Runs against the PostgreSQL (127.0.0.1:5432, database `test`) and Redis (127.0.0.1:6379)
 * of the CI machines; each test has its own schema and key prefix. When they are unreachable the
 * tests fail, they never skip.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DialtoneConfig } from '../../src/config.js';
import { callbackKey, callIdOf, callsWithKill, describeCallback, waitForCallbacks } from '../helpers/callbacks.js';
import { TestClient, connectUser } from '../helpers/client.js';
import { ALL_COMMANDS } from '../helpers/harness.js';
import { asServer, killProcess, startProcess } from '../helpers/process.js';
import { Receiver } from '../helpers/receiver.js';
import { rest } from '../helpers/rest.js';
import { clusterConfig, dropCluster } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const SDKAPPID = 1400000555;
const KEY = 'cluster-test-key';
const EXPIRY_MS = 6000;

interface Node {
  child: ChildProcess;
  url: string;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A fresh cluster's settings (own schema and Redis prefix) and a way to start its processes. */
async function cluster(): Promise<{ start: () => Promise<Node> }> {
  const dir = mkdtempSync(join(tmpdir(), 'dialtone-cluster-'));
  const config = clusterConfig(dir, true) as Required<Pick<DialtoneConfig, 'databaseUrl' | 'databaseSchema' | 'redisUrl' | 'redisPrefix'>>;
  const children: ChildProcess[] = [];
  cleanups.push(async () => {
    await Promise.all(children.map(killProcess));
    await dropCluster(config);
    rmSync(dir, { recursive: true, force: true });
  });
  const env = {
    DATABASE_URL: config.databaseUrl,
    DIALTONE_DATABASE_SCHEMA: config.databaseSchema,
    REDIS_URL: config.redisUrl,
    DIALTONE_REDIS_PREFIX: config.redisPrefix,
    DIALTONE_CLAIM_LEASE_MS: '3000',
    DIALTONE_HEARTBEAT_EXPIRY_MS: String(EXPIRY_MS),
  };
  return {
    start: async () => {
      const node = await startProcess(dir, SDKAPPID, KEY, env);
      children.push(node.child);
      return node;
    },
  };
}

/** A client that pings every second, as the SDK's heartbeat does, so the server never takes it for silent. */
async function user(node: Node, userId: string): Promise<TestClient> {
  const t = asServer(node.url, SDKAPPID, KEY);
  const c = await TestClient.connect(t.wsUrl, { sdkappid: String(SDKAPPID), userid: userId, usersig: t.userSig(userId), platform: 'Web' });
  const beat = setInterval(() => void c.request('ping', {}, 10_000).catch(() => undefined), 1000);
  cleanups.push(() => {
    clearInterval(beat);
    c.ws.terminate();
  });
  return c;
}

async function receiver(): Promise<Receiver> {
  const r = await new Receiver().start();
  cleanups.push(() => r.close());
  return r;
}

const ok = async (c: TestClient, op: string, args: unknown) => {
  const r = await c.request(op, args, 10_000);
  if (!r.ok) throw new Error(`${op}: ${r.code} ${r.message}`);
  return r.result ?? {};
};

describe('cluster mode: three processes on PostgreSQL and Redis', () => {
  it('routes a call across processes, delivers each callback exactly once, and fires a ring timeout once', async () => {
    const c = await cluster();
    const [p1, p2, p3] = [await c.start(), await c.start(), await c.start()];
    const r = await receiver();
    expect(
      await rest(asServer(p1.url, SDKAPPID, KEY), 'call_config/set_callback', { Url: r.url, CallbackCommandList: ALL_COMMANDS }),
    ).toMatchObject({
      ErrorCode: 0,
    });
    const alice = await user(p1, 'alice');
    const bob = await user(p2, 'bob');
    const carol = await user(p3, 'carol');
    const dave = await user(p3, 'dave');

    const { callId } = (await ok(alice, 'calls', { userIdList: ['bob', 'carol'], mediaType: 'Audio' })) as { callId: string };
    expect((await bob.nextEvent('onCallReceived', 10_000)).data).toMatchObject({ callId, callerId: 'alice' });
    await carol.nextEvent('onCallReceived', 10_000);
    await ok(bob, 'accept', { callId });
    expect((await alice.nextEvent('onCallBegin', 10_000)).data).toMatchObject({ callId });
    expect((await alice.nextEvent('onUserJoin', 10_000)).data).toMatchObject({ callId, userId: 'bob' });
    await ok(carol, 'reject', { callId });
    expect((await alice.nextEvent('onUserReject', 10_000)).data).toMatchObject({ callId, userId: 'carol' });
    // Only users the call invited may join it: dave never was; carol, who rejected, may come back.
    expect(await dave.request('join', { callId }, 10_000)).toMatchObject({ ok: false, code: -1203 });
    await ok(carol, 'join', { callId });
    expect((await alice.nextEvent('onUserJoin', 10_000)).data).toMatchObject({ callId, userId: 'carol' });
    expect((await bob.nextEvent('onUserJoin', 10_000)).data).toMatchObject({ callId, userId: 'carol' });
    await ok(carol, 'hangup', { callId });
    await ok(bob, 'hangup', { callId });
    expect((await alice.nextEvent('onCallEnd', 10_000)).data).toMatchObject({ callId });

    // A ring timeout armed by process 1, due while all three run: it fires exactly once.
    const { callId: unanswered } = (await ok(alice, 'calls', { userIdList: ['dave'], mediaType: 'Audio', timeout: 1 })) as {
      callId: string;
    };
    await dave.nextEvent('onCallReceived', 10_000);
    await alice.nextEvent('onUserNoResponse', 10_000);

    await waitFor(
      () => r.received.filter((cb) => callIdOf(cb) === unanswered && describeCallback(cb).startsWith('End')).length > 0,
      15_000,
      'EndCall of the unanswered call',
    );
    // Give a second firing or a second sender every chance to show up before counting.
    await waitFor(() => r.received.filter((cb) => callIdOf(cb) === callId).length >= 7, 15_000, 'every callback of the first call');
    const ids = r.received.map((cb) => String(cb.headers['webhook-id']));
    expect(new Set(ids).size).toBe(ids.length);
    expect(r.received.filter((cb) => callIdOf(cb) === callId).map(describeCallback)).toEqual([
      'Start',
      'bob:Accept',
      'carol:Reject',
      'carol:Join',
      'carol:Hangup',
      'bob:Hangup',
      'End:NormalEnd',
    ]);
    expect(r.received.filter((cb) => callIdOf(cb) === unanswered).map(describeCallback)).toEqual([
      'Start',
      'dave:NotAnswer',
      'End:NotAnswer',
    ]);
  }, 60_000);

  it('keeps a call whose member reconnects to another process after a SIGKILL, and ends one whose member never comes back with Offline', async () => {
    const c = await cluster();
    const [p1, p2, p3] = [await c.start(), await c.start(), await c.start()];
    const r = await receiver();
    await rest(asServer(p1.url, SDKAPPID, KEY), 'call_config/set_callback', { Url: r.url, CallbackCommandList: ALL_COMMANDS });
    const alice = await user(p1, 'alice');
    const bob = await user(p2, 'bob');
    const erin = await user(p2, 'erin');
    const frank = await user(p1, 'frank');

    const { callId: kept } = (await ok(alice, 'calls', { userIdList: ['bob'], mediaType: 'Audio' })) as { callId: string };
    await bob.nextEvent('onCallReceived', 10_000);
    await ok(bob, 'accept', { callId: kept });
    const { callId: lost } = (await ok(frank, 'calls', { userIdList: ['erin'], mediaType: 'Audio' })) as { callId: string };
    await erin.nextEvent('onCallReceived', 10_000);
    await ok(erin, 'accept', { callId: lost });
    await frank.nextEvent('onCallBegin', 10_000);

    p2.child.kill('SIGKILL');
    await bob.closed(10_000);
    // bob comes back on process 3 well within the expiry and is told the state of his call.
    const bob2 = await user(p3, 'bob');
    expect((await bob2.nextEvent('onCallState', 10_000)).data).toMatchObject({ callId: kept, status: 'Calling' });

    // erin never comes back: once process 2 is taken for dead, her expiry runs out and the call ends.
    const ended = await frank.nextEvent('onCallEnd', 30_000);
    expect(ended.data).toMatchObject({ callId: lost });
    await waitFor(
      () => r.received.some((cb) => callIdOf(cb) === lost && describeCallback(cb) === 'End:Offline'),
      15_000,
      'EndCall Offline',
    );

    // The kept call goes on across processes 1 and 3 and ends normally.
    await ok(bob2, 'hangup', { callId: kept });
    expect((await alice.nextEvent('onCallEnd', 10_000)).data).toMatchObject({ callId: kept });
    await waitFor(
      () => r.received.some((cb) => callIdOf(cb) === kept && describeCallback(cb) === 'End:NormalEnd'),
      15_000,
      'EndCall NormalEnd',
    );
    expect(r.received.some((cb) => callIdOf(cb) === kept && describeCallback(cb).includes('Offline'))).toBe(false);
    const got = new Set(r.received.map(callbackKey));
    for (const k of [
      `${kept}:Start`,
      `${kept}:bob:Accept`,
      `${kept}:bob:Hangup`,
      `${lost}:Start`,
      `${lost}:erin:Accept`,
      `${lost}:erin:Offline`,
    ]) {
      expect(got, k).toContain(k);
    }
  }, 90_000);

  it('loses no callback when one of three processes is SIGKILLed under a load of 2,000 calls', async () => {
    const CALLS = 2000;
    const PAIRS = 30;
    const c = await cluster();
    const nodes = [await c.start(), await c.start(), await c.start()];
    const r = await receiver();
    await rest(asServer(nodes[0]!.url, SDKAPPID, KEY), 'call_config/set_callback', { Url: r.url, CallbackCommandList: ALL_COMMANDS });
    const { expected, completed, killed } = await callsWithKill({
      calls: CALLS,
      pairs: PAIRS,
      timeoutMs: 5000,
      connect: (i, userId) => connectUser(asServer(nodes[i % 3]!.url, SDKAPPID, KEY), userId),
      kill: () => nodes[1]!.child.kill('SIGKILL'),
      // The pairs on process 2 lost their sockets with it.
      stopsAfterKill: (i) => i % 3 === 1,
    });
    expect(killed).toBe(true);
    expect(completed).toBeGreaterThanOrEqual(CALLS / 2);
    await waitForCallbacks(r, expected, `all ${expected.size} acknowledged callbacks`);
    const ids = r.received.map((cb) => String(cb.headers['webhook-id']));
    console.log(
      `cluster crash test: ${completed} calls completed, ${expected.size} callbacks acknowledged, ${new Set(ids).size} distinct received, ${ids.length - new Set(ids).size} duplicates`,
    );
  }, 180_000);
});
