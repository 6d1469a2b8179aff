/**
 * Safe callback destinations (SPEC §6): no server-side request to loopback, private, link-local
 * or otherwise non-public addresses, in any spelling and after DNS resolution, unless the
 * operator allows it (DIALTONE_CALLBACK_ALLOW) or dev mode allows loopback. Real servers, real
 * receivers on loopback, and a DNS lookup the test controls.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { DnsLookup } from '../../src/adapters/http/connector.js';
import type { DialtoneConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import type { ServerOverrides } from '../../src/server.js';
import { connectUser, type TestClient } from '../helpers/client.js';
import { ALL_COMMANDS } from '../helpers/harness.js';
import { Receiver } from '../helpers/receiver.js';
import { rest } from '../helpers/rest.js';
import { removeTestData, startServer, type TestServer } from '../helpers/server.js';
import { waitForAsync } from '../helpers/wait.js';

const HINT = 'callbacks may only go to public addresses unless the operator allows it with DIALTONE_CALLBACK_ALLOW';

const servers: TestServer[] = [];
const receivers: Receiver[] = [];
const clients: TestClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const t of servers.splice(0)) await t.close().catch(() => undefined);
  for (const r of receivers.splice(0)) await r.close();
});

/** A server with exactly this allow-list (none by default, as in production). */
async function server(config: Partial<DialtoneConfig> = {}, overrides: ServerOverrides = {}, dataDir?: string): Promise<TestServer> {
  const t = await startServer({ config: { callbackAllow: [], ...config }, overrides, ...(dataDir ? { dataDir, keepDataDir: true } : {}) });
  servers.push(t);
  return t;
}

async function receiver(): Promise<Receiver> {
  const r = await new Receiver().start();
  receivers.push(r);
  return r;
}

/** A DNS that knows only `names`. */
function dns(names: Record<string, string>): DnsLookup {
  return async (hostname) => {
    const address = names[hostname];
    if (!address) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return [{ address, family: address.includes(':') ? 6 : 4 }];
  };
}

const setCallback = (t: TestServer, url: string) => rest(t, 'call_config/set_callback', { Url: url, CallbackCommandList: ALL_COMMANDS });

/** Starts a call, which owes a StartCall callback. */
async function startCall(t: TestServer): Promise<void> {
  const alice = await connectUser(t, 'alice');
  clients.push(alice);
  const reply = await alice.request('calls', { userIdList: ['bob'], mediaType: 'Audio' });
  expect(reply.ok).toBe(true);
}

interface Shown {
  Delivery: { Status: string; Attempts: number; NextAttemptTimeMs?: number };
  AttemptList: { Error?: string; HttpStatus?: number }[];
}

/** The app's one callback as `get_delivery` shows it, once it has had `attempts` attempts. */
async function deliveryAfter(t: TestServer, attempts: number): Promise<Shown> {
  let shown: Shown | undefined;
  await waitForAsync(
    async () => {
      const list = (await rest(t, 'call_config/list_deliveries', {})).Response as { DeliveryList: { CallbackId: string }[] };
      const id = list.DeliveryList[0]?.CallbackId;
      if (!id) return false;
      shown = (await rest(t, 'call_config/get_delivery', { CallbackId: id })).Response as unknown as Shown;
      return shown.AttemptList.length >= attempts;
    },
    5000,
    `${attempts} attempts`,
  );
  return shown!;
}

describe('set_callback refuses destinations outside the policy', () => {
  // One server for every spelling: each case only asks set_callback.
  let shared: TestServer;
  beforeAll(async () => {
    shared = await startServer({ config: { callbackAllow: [] } });
  });
  afterAll(async () => {
    await shared.close();
  });

  it.each([
    ['http://169.254.169.254/latest/meta-data/', 'a link-local address (169.254.169.254, cloud metadata)'],
    ['http://[::ffff:a9fe:a9fe]/latest/meta-data/', 'a link-local address (::ffff:a9fe:a9fe, cloud metadata)'],
    ['http://10.0.0.1/cb', 'a private address (10.0.0.1)'],
    ['http://172.16.0.5/cb', 'a private address (172.16.0.5)'],
    ['http://192.168.1.20:8080/cb', 'a private address (192.168.1.20)'],
    ['http://[fd00::1]/cb', 'a private address (fd00::1)'],
    ['http://100.64.0.1/cb', 'a carrier-grade NAT address (100.64.0.1)'],
    ['http://[fe80::1]/cb', 'a link-local address (fe80::1)'],
    ['http://0x7f000001/cb', 'a loopback address (127.0.0.1)'],
    ['http://2130706433/cb', 'a loopback address (127.0.0.1)'],
    ['http://0177.0.0.1/cb', 'a loopback address (127.0.0.1)'],
    ['http://127.1:6379/', 'a loopback address (127.0.0.1)'],
    ['http://127.0.0.1:5432/', 'a loopback address (127.0.0.1)'],
    ['http://[::1]:8080/', 'a loopback address (::1)'],
    ['http://[::ffff:127.0.0.1]/', 'a loopback address (::ffff:7f00:1)'],
    ['http://0.0.0.0:8080/', 'an unspecified address (0.0.0.0)'],
    ['http://224.0.0.1/', 'a multicast address (224.0.0.1)'],
  ])('%s: 100002, saying why and naming the setting; nothing is stored', async (url, what) => {
    const t = shared;
    const answer = await setCallback(t, url);
    expect(answer).toMatchObject({ ActionStatus: 'FAIL', ErrorCode: 100002 });
    expect(answer.ErrorInfo).toBe(`Url points to ${what}; ${HINT}`);
    expect(await rest(t, 'call_config/get_callback')).toMatchObject({ ErrorCode: 100301 });
  });

  it('refuses a URL with user-info', async () => {
    const t = await server();
    for (const url of ['https://user:pass@hooks.example.com/cb', 'https://token@hooks.example.com/cb']) {
      const answer = await setCallback(t, url);
      expect(answer).toMatchObject({ ErrorCode: 100002 });
      expect(answer.ErrorInfo).toMatch(/Url must not contain a user name or password/);
    }
    expect(await rest(t, 'call_config/get_callback')).toMatchObject({ ErrorCode: 100301 });
  });

  it('accepts public addresses, and host names without resolving them', async () => {
    let asked = 0;
    const t = await server({}, { dnsLookup: async () => (asked++, []) });
    expect(await setCallback(t, 'https://8.8.8.8/cb')).toMatchObject({ ErrorCode: 0 });
    expect(await setCallback(t, 'https://hooks.example.com/cb')).toMatchObject({ ErrorCode: 0 });
    expect(asked).toBe(0);
  });
});

describe('at send time, the address connected to is checked', () => {
  it('a host name resolving to a private address: the attempt fails saying why, and is retried on schedule', async () => {
    const t = await server({}, { dnsLookup: dns({ 'internal.example': '10.0.0.1' }) });
    expect(await setCallback(t, 'http://internal.example:8080/cb')).toMatchObject({ ErrorCode: 0 });
    await rest(t, 'call_config/set_delivery_policy', { RetryScheduleSeconds: [0.1, 3600] });
    await startCall(t);
    const shown = await deliveryAfter(t, 2);
    const reason = `destination refused: internal.example resolves to a private address (10.0.0.1); ${HINT}`;
    expect(shown.AttemptList.map((a) => a.Error)).toEqual([reason, reason]);
    expect(shown.AttemptList.every((a) => a.HttpStatus === undefined)).toBe(true);
    expect(shown.Delivery).toMatchObject({ Status: 'pending', Attempts: 2 });
    expect(shown.Delivery.NextAttemptTimeMs).toBeGreaterThan(Date.now() + 3000_000);
  });

  it('a host name rebound to loopback never reaches the receiver there', async () => {
    const r = await receiver();
    const port = new URL(r.url).port;
    const t = await server({}, { dnsLookup: dns({ 'rebind.example': '127.0.0.1' }) });
    expect(await setCallback(t, `http://rebind.example:${port}/callback`)).toMatchObject({ ErrorCode: 0 });
    await startCall(t);
    const shown = await deliveryAfter(t, 1);
    expect(shown.AttemptList[0]!.Error).toBe(`destination refused: rebind.example resolves to a loopback address (127.0.0.1); ${HINT}`);
    expect(r.received).toHaveLength(0);
  });

  it('a stored URL with user-info fails with that reason rather than an HTTP client error', async () => {
    const r = await receiver();
    const t = await server({ callbackAllow: ['127.0.0.0/8'] });
    // Stored before set_callback refused user-info.
    const url = r.url.replace('http://', 'http://user:pass@');
    await t.server.storage.transaction((tx) => tx.callbackConfig.set(t.sdkAppId, { url, commands: ['Call.CallbackAfterStartCall'] }));
    await startCall(t);
    const shown = await deliveryAfter(t, 1);
    expect(shown.AttemptList[0]!.Error).toMatch(/^destination refused: Url must not contain a user name or password/);
    expect(r.received).toHaveLength(0);
  });
});

describe('the operator widens the policy', () => {
  it('DIALTONE_CALLBACK_ALLOW with a CIDR lets that range through, and only it', async () => {
    const r = await receiver();
    const t = await server({ callbackAllow: ['127.0.0.0/30'] });
    expect(await setCallback(t, 'http://127.0.0.5:9000/cb')).toMatchObject({ ErrorCode: 100002 });
    expect(await setCallback(t, r.url)).toMatchObject({ ErrorCode: 0 });
    await startCall(t);
    await r.waitForCount(1);
  });

  it('DIALTONE_CALLBACK_ALLOW with a host name lets it through whatever it resolves to, and no other name', async () => {
    const r = await receiver();
    const port = new URL(r.url).port;
    const lookup = dns({ 'receiver.internal': '127.0.0.1', 'other.internal': '127.0.0.1' });
    const t = await server({ callbackAllow: ['receiver.internal'] }, { dnsLookup: lookup });
    expect(await setCallback(t, `http://receiver.internal:${port}/callback`)).toMatchObject({ ErrorCode: 0 });
    await startCall(t);
    const [got] = await r.waitForCount(1);
    expect(got!.body.CallbackCommand).toBe('Call.CallbackAfterStartCall');

    const other = await server({ callbackAllow: ['receiver.internal'] }, { dnsLookup: lookup });
    expect(await setCallback(other, `http://other.internal:${port}/callback`)).toMatchObject({ ErrorCode: 0 });
    await startCall(other);
    expect((await deliveryAfter(other, 1)).AttemptList[0]!.Error).toMatch(/other\.internal resolves to a loopback address/);
    expect(r.received).toHaveLength(1);
  });

  it('dev mode allows loopback, and nothing else that is not public', async () => {
    const r = await receiver();
    const t = await server({ dev: true });
    expect(await setCallback(t, 'http://10.0.0.1/cb')).toMatchObject({ ErrorCode: 100002 });
    expect(await setCallback(t, 'http://[::1]:4000/cb')).toMatchObject({ ErrorCode: 0 });
    expect(await setCallback(t, r.url)).toMatchObject({ ErrorCode: 0 });
    await startCall(t);
    await r.waitForCount(1);
  });
});

describe('start-up', () => {
  it('warns, once per app, about a stored URL the policy now refuses, without its query', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'dialtone-test-'));
    onTestFinished(() => removeTestData(dataDir));
    const first = await server({ callbackAllow: ['10.0.0.0/8'] }, {}, dataDir);
    expect(await setCallback(first, 'http://10.1.2.3:8080/cb?key=very-secret')).toMatchObject({ ErrorCode: 0 });
    await first.close();
    servers.splice(servers.indexOf(first), 1);

    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    await server({}, { log: createLogger('info', sink) }, dataDir);
    const warnings = lines.map((l) => JSON.parse(l) as { level: number; msg: string; sdkAppId?: number }).filter((l) => l.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ sdkAppId: first.sdkAppId });
    expect(warnings[0]!.msg).toContain(`Url points to a private address (10.1.2.3); ${HINT}`);
    expect(warnings[0]!.msg).toContain('http://10.1.2.3:8080');
    expect(lines.join('')).not.toContain('very-secret');
  });
});
