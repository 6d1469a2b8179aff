/** The REST envelope and its authentication (SPEC §2.1), through real HTTP. */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeUserSig } from '../../src/auth/usersig.js';
import { rest, restRaw } from '../helpers/rest.js';
import { startServer, type TestServer } from '../helpers/server.js';

let t: TestServer;

beforeAll(async () => {
  t = await startServer({ config: { admins: ['administrator', 'ops'], restRateLimit: 200 } });
});
afterAll(async () => {
  await t.close();
});

describe('REST envelope', () => {
  it('answers success with ActionStatus, ErrorCode, ErrorInfo and a unique RequestId', async () => {
    const a = await rest(t, 'call_config/delete_callback');
    const b = await rest(t, 'call_config/delete_callback');
    expect(a).toEqual({ ActionStatus: 'OK', ErrorCode: 0, ErrorInfo: '', RequestId: expect.any(String) });
    expect(a.RequestId).not.toBe(b.RequestId);
  });

  it('answers failures with HTTP 200 and the code in the body', async () => {
    const res = await restRaw(t, 'call_config/get_callback', '{}');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      ActionStatus: 'FAIL',
      ErrorCode: 100301,
      ErrorInfo: expect.any(String),
      RequestId: expect.any(String),
    });
  });

  it('accepts any administrator of the app', async () => {
    expect(await rest(t, 'call_config/delete_callback', {}, { identifier: 'ops', usersig: t.userSig('ops') })).toMatchObject({
      ErrorCode: 0,
    });
  });
});

describe('authentication errors', () => {
  const now = () => Math.floor(Date.now() / 1000);
  it('70009 for a UserSig signed with the wrong key', async () => {
    expect(await rest(t, 'call_config/get_callback', {}, { usersig: t.userSig('administrator', t.sdkAppId, 'wrong-key') })).toMatchObject({
      ActionStatus: 'FAIL',
      ErrorCode: 70009,
    });
  });
  it('70001 for an expired UserSig', async () => {
    const expired = makeUserSig({
      sdkAppId: t.sdkAppId,
      secretKey: t.secretKey,
      userId: 'administrator',
      expireSeconds: 60,
      time: now() - 3600,
    });
    expect(await rest(t, 'call_config/get_callback', {}, { usersig: expired })).toMatchObject({ ErrorCode: 70001 });
  });
  it('70013 when the UserSig is for another identifier', async () => {
    expect(await rest(t, 'call_config/get_callback', {}, { usersig: t.userSig('ops') })).toMatchObject({ ErrorCode: 70013 });
  });
  it('70014 when the UserSig is for another SDKAppID', async () => {
    expect(await rest(t, 'call_config/get_callback', {}, { usersig: t.userSig('administrator', 1400000777) })).toMatchObject({
      ErrorCode: 70014,
    });
  });
  it('70003 for a garbage UserSig', async () => {
    expect(await rest(t, 'call_config/get_callback', {}, { usersig: 'garbage!!' })).toMatchObject({ ErrorCode: 70003 });
  });
  it('70002 for an empty UserSig', async () => {
    expect(await rest(t, 'call_config/get_callback', {}, { usersig: '' })).toMatchObject({ ErrorCode: 70002 });
  });
  it('70020 for an SDKAppID this server does not host', async () => {
    const sig = t.userSig('administrator', 1400000555, 'k');
    expect(await rest(t, 'call_config/get_callback', {}, { sdkappid: '1400000555', usersig: sig })).toMatchObject({ ErrorCode: 70020 });
  });
  it('60010 for a valid UserSig of a user who is not an administrator', async () => {
    expect(await rest(t, 'call_config/get_callback', {}, { identifier: 'alice', usersig: t.userSig('alice') })).toMatchObject({
      ErrorCode: 60010,
    });
  });
});

describe('request errors', () => {
  it.each(['identifier', 'usersig', 'random', 'contenttype'])('60002 when the query lacks %s', async (name) => {
    const answer = await rest(t, 'call_config/get_callback', {}, { [name]: undefined });
    expect(answer).toMatchObject({ ActionStatus: 'FAIL', ErrorCode: 60002 });
    expect(answer.ErrorInfo).toContain(name);
  });
  it('60012 when the query lacks sdkappid, 60006 when it is not a uint32', async () => {
    expect(await rest(t, 'call_config/get_callback', {}, { sdkappid: undefined })).toMatchObject({ ErrorCode: 60012 });
    expect(await rest(t, 'call_config/get_callback', {}, { sdkappid: 'abc' })).toMatchObject({ ErrorCode: 60006 });
    expect(await rest(t, 'call_config/get_callback', {}, { sdkappid: '4294967296' })).toMatchObject({ ErrorCode: 60006 });
  });
  it('60002 for a random that is not a uint32 and a contenttype other than json', async () => {
    expect(await rest(t, 'call_config/get_callback', {}, { random: '-1' })).toMatchObject({ ErrorCode: 60002 });
    expect(await rest(t, 'call_config/get_callback', {}, { contenttype: 'xml' })).toMatchObject({ ErrorCode: 60002 });
  });
  it('60003 for a body that is not JSON, and for an empty body', async () => {
    expect(await (await restRaw(t, 'call_config/get_callback', '{not json')).json()).toMatchObject({ ErrorCode: 60003 });
    expect(await (await restRaw(t, 'call_config/get_callback', '')).json()).toMatchObject({ ErrorCode: 60003 });
  });
  it('60003 with a clear message for a body over 64 KiB, and the server keeps serving', async () => {
    const big = JSON.stringify({ Url: 'http://x/', CallbackCommandList: [], pad: 'x'.repeat(70 * 1024) });
    const res = await restRaw(t, 'call_config/set_callback', big);
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { ErrorCode: number; ErrorInfo: string };
    expect(answer.ErrorCode).toBe(60003);
    expect(answer.ErrorInfo).toMatch(/too large.*65536/);
    expect(await rest(t, 'call_config/delete_callback')).toMatchObject({ ErrorCode: 0 });
  });
  it('60009 for an unknown service or command', async () => {
    expect(await rest(t, 'call_config/no_such_command')).toMatchObject({ ErrorCode: 60009 });
    expect(await rest(t, 'nope/get_callback')).toMatchObject({ ErrorCode: 60009 });
  });
  it('HTTP 405 with the envelope for methods other than POST', async () => {
    const res = await restRaw(t, 'call_config/get_callback', undefined, {}, 'GET');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect(await res.json()).toMatchObject({ ActionStatus: 'FAIL', ErrorCode: expect.any(Number), RequestId: expect.any(String) });
  });
  // Methods no route lists, the one Node hands to a `connect` listener, one Fastify fails while
  // reading its body, and one Node's parser does not know: each reaches a different layer.
  it.each(['TRACE', 'PROPFIND', 'SEARCH', 'CONNECT', 'QUERY', 'FROBNICATE'])(
    'HTTP 405 with Allow: POST and the envelope for %s',
    async (method) => {
      for (const path of ['/v4/call_config/get_callback', '/v4/no_such/command']) {
        const res = await rawRequest(
          t,
          `${method} ${path}?sdkappid=${t.sdkAppId} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
        );
        expect(res.status, `${method} ${path}`).toBe(405);
        expect(res.headers.allow).toBe('POST');
        expect(JSON.parse(res.body)).toMatchObject({ ActionStatus: 'FAIL', ErrorCode: 60002, RequestId: expect.any(String) });
      }
      expect(await rest(t, 'call_config/delete_callback')).toMatchObject({ ErrorCode: 0 });
    },
  );
});

/** Sends `head` as it is on a new connection and reads the answer until the server closes it. */
function rawRequest(t: TestServer, head: string): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const { hostname, port } = new URL(t.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(head));
    let text = '';
    socket.on('data', (c: Buffer) => (text += c.toString()));
    socket.on('error', reject);
    socket.on('close', () => {
      const [top = '', body = ''] = text.split('\r\n\r\n');
      const [statusLine = '', ...lines] = top.split('\r\n');
      const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body });
    });
  });
}

describe('rate limit', () => {
  it('60007 past the limit for one API of one app; other APIs and other apps unaffected', async () => {
    const now = 1_900_000_000_000;
    const limited = await startServer({ config: { restRateLimit: 5 }, overrides: { clock: { now: () => now } } });
    try {
      await limited.server.apps.put({ sdkAppId: 1400000042, secretKey: 'k42', admins: ['administrator'] }, now);
      const sig = makeUserSig({ sdkAppId: limited.sdkAppId, secretKey: limited.secretKey, userId: 'administrator', time: now / 1000 - 10 });
      const answers = await Promise.all(
        Array.from({ length: 8 }, () => rest(limited, 'call_config/delete_callback', {}, { usersig: sig })),
      );
      expect(answers.map((a) => a.ErrorCode).sort()).toEqual([0, 0, 0, 0, 0, 60007, 60007, 60007]);
      expect(await rest(limited, 'call_config/delete_callback_token', {}, { usersig: sig })).toMatchObject({ ErrorCode: 0 });
      const otherSig = makeUserSig({ sdkAppId: 1400000042, secretKey: 'k42', userId: 'administrator', time: now / 1000 - 10 });
      expect(await rest(limited, 'call_config/delete_callback', {}, { sdkappid: '1400000042', usersig: otherSig })).toMatchObject({
        ErrorCode: 0,
      });
    } finally {
      await limited.close();
    }
  });

  it('defaults to 200 per second', async () => {
    let now = 1_900_000_000_000;
    const fixed = await startServer({ overrides: { clock: { now: () => now } } });
    try {
      const sig = makeUserSig({ sdkAppId: fixed.sdkAppId, secretKey: fixed.secretKey, userId: 'administrator', time: now / 1000 - 10 });
      const answers = await Promise.all(
        Array.from({ length: 201 }, () => rest(fixed, 'call_config/delete_callback', {}, { usersig: sig })),
      );
      expect(answers.filter((a) => a.ErrorCode === 0)).toHaveLength(200);
      expect(answers.filter((a) => a.ErrorCode === 60007)).toHaveLength(1);
      now += 1000;
      expect(await rest(fixed, 'call_config/delete_callback', {}, { usersig: sig })).toMatchObject({ ErrorCode: 0 });
    } finally {
      await fixed.close();
    }
  });
});
