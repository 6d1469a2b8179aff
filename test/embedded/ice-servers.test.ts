/**
 * `getIceServers` (SPEC §4.1) through a real WebSocket against the real server, in each
 * configuration: nothing, STUN URLs, a JSON array of RTCIceServer objects, and a TURN server with
 * a shared secret, whose credentials are checked against values computed outside Dialtone (an
 * OpenSSL vector, and WebCrypto). The answer depends on the configuration alone, not on the store:
 * one project is enough. Also the whole path from the environment through `dialtone serve`.
 */
import { webcrypto } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configFromEnv, type DialtoneConfig } from '../../src/config.js';
import { trackDir } from '../../src/testing/leftovers.js';
import { connectUser, type TestClient } from '../helpers/client.js';
import { asServer, killProcess, startProcess, type ServerProcess } from '../helpers/process.js';
import { startServer, type TestServer } from '../helpers/server.js';

/** Unix ms at which credentials valid 21600 s expire at 1700000000 (the OpenSSL vector of src/auth/turn.test.ts). */
const NOW = (1_700_000_000 - 21_600) * 1000 + 999;
const SECRET = 'north-wind-secret';

let servers: TestServer[] = [];
let clients: TestClient[] = [];
afterEach(async () => {
  for (const c of clients) c.close();
  for (const s of servers) await s.close();
  servers = [];
  clients = [];
});

/** A server configured by `env` (read as `dialtone serve` reads it) on a clock at `clock.now()`. */
async function serverWith(env: NodeJS.ProcessEnv, clock = { now: () => Date.now() }): Promise<TestServer> {
  const { iceServers, turnUrls, turnSecret, turnTtlSeconds } = configFromEnv(env);
  const ice: Partial<DialtoneConfig> = {
    iceServers,
    turnTtlSeconds,
    ...(turnUrls ? { turnUrls } : {}),
    ...(turnSecret ? { turnSecret } : {}),
  };
  const t = await startServer({ config: ice, overrides: { clock, sweepIntervalMs: 0 } });
  servers.push(t);
  return t;
}

/** `getIceServers` as `userId`: the reply frame. */
async function ask(t: TestServer, userId: string, args: unknown = {}) {
  const c = await connectUser(t, userId);
  clients.push(c);
  return c.request('getIceServers', args);
}

/** Base64 HMAC-SHA1 with WebCrypto: an implementation independent of the server's node:crypto HMAC. */
async function hmacSha1(secret: string, text: string): Promise<string> {
  const enc = new TextEncoder();
  const key = await webcrypto.subtle.importKey('raw', enc.encode(secret), { name: 'HMAC', hash: 'SHA-1' }, false, ['sign']);
  return Buffer.from(await webcrypto.subtle.sign('HMAC', key, enc.encode(text))).toString('base64');
}

describe('getIceServers', () => {
  it('answers { iceServers: [], ttl: 0 } when nothing is configured', async () => {
    const t = await serverWith({});
    expect(await ask(t, 'alice')).toMatchObject({ ok: true, result: { iceServers: [], ttl: 0 } });
  });

  it('gives comma-separated STUN URLs as one entry that does not expire', async () => {
    const t = await serverWith({ DIALTONE_ICE_SERVERS: 'stun:stun.example.com:3478,stun:stun2.example.com' });
    expect((await ask(t, 'alice')).result).toEqual({
      iceServers: [{ urls: ['stun:stun.example.com:3478', 'stun:stun2.example.com'] }],
      ttl: 0,
    });
  });

  it('gives a JSON array of RTCIceServer objects as they are', async () => {
    const servers = [
      { urls: 'stun:stun.example.com' },
      { urls: ['turn:turn.example.com:3478', 'turn:turn.example.com:3478?transport=tcp'], username: 'static', credential: 'pw' },
    ];
    const t = await serverWith({ DIALTONE_ICE_SERVERS: JSON.stringify(servers) });
    expect((await ask(t, 'alice')).result).toEqual({
      iceServers: [{ urls: ['stun:stun.example.com'] }, servers[1]],
      ttl: 0,
    });
  });

  it("adds the TURN server with the user's own credentials, expiring DIALTONE_TURN_TTL after the server's clock", async () => {
    let now = NOW;
    const urls = ['turn:127.0.0.1:3478', 'turns:turn.example.com:5349?transport=tcp'];
    const t = await serverWith(
      { DIALTONE_ICE_SERVERS: 'stun:stun.example.com', DIALTONE_TURN_URLS: urls.join(','), DIALTONE_TURN_SECRET: SECRET },
      { now: () => now },
    );
    // The OpenSSL vector: printf '%s' '1700000000:alice' | openssl dgst -sha1 -hmac north-wind-secret -binary | base64
    expect((await ask(t, 'alice')).result).toEqual({
      iceServers: [{ urls: ['stun:stun.example.com'] }, { urls, username: '1700000000:alice', credential: 'r/l6ttQtMIfbS2lfULS0mDRRNUg=' }],
      ttl: 21_600,
    });
    // An hour later, another user: the expiry moves with the clock; the HMAC is WebCrypto's.
    now += 3_600_000;
    const later = (await ask(t, 'bob😀')).result as { iceServers: { username: string; credential: string }[]; ttl: number };
    const turn = later.iceServers[1]!;
    expect(turn.username).toBe('1700003600:bob😀');
    expect(turn.credential).toBe(await hmacSha1(SECRET, '1700003600:bob😀'));
  });

  it('takes DIALTONE_TURN_TTL as the lifetime', async () => {
    const t = await serverWith(
      { DIALTONE_TURN_URLS: 'turn:127.0.0.1', DIALTONE_TURN_SECRET: SECRET, DIALTONE_TURN_TTL: '600' },
      { now: () => NOW },
    );
    expect((await ask(t, 'alice')).result).toMatchObject({ iceServers: [{ username: `${Math.floor(NOW / 1000) + 600}:alice` }], ttl: 600 });
  });

  it.each([
    ['an array', []],
    ['a string', 'x'],
    ['a string that is not well-formed Unicode', { note: '\ud800' }],
  ])('refuses args that are %s with -1202', async (_what, args) => {
    const t = await serverWith({});
    expect(await ask(t, 'alice', args)).toMatchObject({ ok: false, code: -1202 });
  });
});

describe('dialtone serve with DIALTONE_TURN_* in the environment', () => {
  let proc: ServerProcess | undefined;
  let dataDir = '';
  afterEach(async () => {
    if (proc) await killProcess(proc.child);
    proc = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('gives clients the configured servers', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'dialtone-ice-'));
    trackDir(dataDir);
    proc = await startProcess(dataDir, 1400000000, 'ice-secret-key', {
      DIALTONE_ICE_SERVERS: '[{"urls":"stun:stun.example.com"}]',
      DIALTONE_TURN_URLS: 'turn:127.0.0.1:3478',
      DIALTONE_TURN_SECRET: SECRET,
      DIALTONE_TURN_TTL: '3600',
    });
    const before = Math.floor(Date.now() / 1000);
    const reply = await ask(asServer(proc.url, 1400000000, 'ice-secret-key'), 'alice');
    const result = reply.result as { iceServers: { urls: string[]; username?: string; credential?: string }[]; ttl: number };
    expect(result.ttl).toBe(3600);
    expect(result.iceServers[0]).toEqual({ urls: ['stun:stun.example.com'] });
    const turn = result.iceServers[1]!;
    expect(turn.urls).toEqual(['turn:127.0.0.1:3478']);
    const expiry = Number(turn.username!.split(':')[0]);
    expect(expiry - 3600).toBeGreaterThanOrEqual(before);
    expect(expiry - 3600).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    expect(turn.credential).toBe(await hmacSha1(SECRET, turn.username!));
  });

  it('refuses to start with the URLs but no secret, saying so', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'dialtone-ice-'));
    trackDir(dataDir);
    const failed = await startProcess(dataDir, 1400000000, 'ice-secret-key', { DIALTONE_TURN_URLS: 'turn:127.0.0.1:3478' }).catch(
      (e: Error) => e,
    );
    expect(failed).toBeInstanceOf(Error);
    expect((failed as Error).message).toMatch(/exited with 1: .*DIALTONE_TURN_URLS and DIALTONE_TURN_SECRET must be set together/s);
  });
});
