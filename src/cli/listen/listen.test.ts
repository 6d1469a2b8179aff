import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { sampleCallback, signedRequest } from '../samples.js';
import { describeChecks, resolveChecks } from './checks.js';
import { forwardCallback } from './forward.js';
import { reply } from './handler.js';
import { describeCallback, type Received } from './print.js';
import { verifyRequest } from './verify.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

/** A signed sample StartCall, as the listener receives it (path and query, headers, body). */
function sample(token = 'tok') {
  const effect = sampleCallback('Call.CallbackAfterStartCall', { callId: 'c-1', now: Date.now() });
  const req = signedRequest('http://127.0.0.1:4000/hook', effect, {
    sdkAppId: 1400000042,
    token,
    webhookSecrets: [SECRET],
    now: Date.now(),
  });
  const u = new URL(req.url);
  return { url: `${u.pathname}${u.search}`, headers: req.headers as IncomingHttpHeaders, body: Buffer.from(req.body) };
}

function received(extra: Partial<Received>): Received {
  return { receivedAt: new Date(), query: {}, headers: {}, rawBody: Buffer.from('{}'), checked: true, ...extra };
}

describe('listen checks', () => {
  it('uses the flags alone when they name the app and a token or secret, and nothing with --no-verify', async () => {
    // No server is reachable at this URL: asking it would fail.
    const connection = { url: 'http://127.0.0.1:1', sdkappid: 1, secretKey: 'k' };
    expect(await resolveChecks({ verify: true, appId: 7, token: 't' }, connection)).toEqual({
      checks: { sdkAppId: 7, token: 't', secrets: [] },
    });
    expect(await resolveChecks({ verify: true, appId: 7, webhookSecret: SECRET }, connection)).toEqual({
      checks: { sdkAppId: 7, secrets: [SECRET] },
    });
    expect(await resolveChecks({ verify: false }, connection)).toEqual({});
  });

  it('says what it verifies', () => {
    expect(describeChecks(undefined)).toBe('not verifying');
    expect(describeChecks({ sdkAppId: 7, secrets: [] })).toBe('verifying SdkAppid 7');
    expect(describeChecks({ sdkAppId: 7, token: 't', secrets: [SECRET] })).toBe('verifying SdkAppid 7, Sign, webhook-signature');
  });
});

describe('listen verification', () => {
  it('accepts a callback signed as the server signs it, and rejects a changed one with the reason', async () => {
    const s = sample();
    const ok = await verifyRequest({ sdkAppId: 1400000042, token: 'tok', secrets: [SECRET] }, s.url, s.headers, s.body);
    expect('callback' in ok && describeCallback(ok.callback)).toMatch(/^StartCall {6}c-1 {2}Audio {2}alice:Calling bob:Waiting/);
    const tampered = Buffer.from(s.body.toString('utf8').replace('alice', 'mallory'));
    const bad = await verifyRequest({ sdkAppId: 1400000042, secrets: [SECRET] }, s.url, s.headers, tampered);
    expect('rejected' in bad && bad.rejected.reason).toBe('signature');
    const otherApp = await verifyRequest({ sdkAppId: 1400000043, secrets: [SECRET] }, s.url, s.headers, s.body);
    expect('rejected' in otherApp && otherApp.rejected.reason).toBe('sdkappid');
  });
});

describe('listen answers', () => {
  it('refuses a rejected callback, passes on the forwarded answer, and else answers the success envelope', () => {
    expect(reply(received({ rejected: { reason: 'body', message: 'not JSON' } }))[0]).toBe(400);
    expect(reply(received({ rejected: { reason: 'signature', message: 'no match' } }))).toEqual([
      401,
      expect.objectContaining({ ErrorCode: 401, ErrorInfo: 'signature: no match' }),
    ]);
    expect(reply(received({ forward: { target: 'http://app', result: { status: 503, answer: 'busy' } } }))).toEqual([503, 'busy']);
    expect(reply(received({ forward: { target: 'http://app', result: { error: 'ECONNREFUSED' } } }))).toEqual([
      502,
      expect.objectContaining({ ErrorCode: 502, ErrorInfo: 'forward failed: ECONNREFUSED' }),
    ]);
    expect(reply(received({}))).toEqual([200, expect.objectContaining({ ErrorCode: 0 })]);
  });
});

describe('listen forwarding', () => {
  it('relays the query, the webhook headers and the body, and returns the answer', async () => {
    let got: { url?: string; headers?: IncomingHttpHeaders; body?: string } = {};
    const app = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        got = { url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
        res.writeHead(202).end('{"ok":1}');
      });
    });
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    closers.push(() => app.close());
    const { port } = app.address() as AddressInfo;
    const s = sample();
    const result = await forwardCallback(`http://127.0.0.1:${port}/in?x=1`, s.url, { ...s.headers, cookie: 'no' }, s.body);
    expect(result).toEqual({ status: 202, answer: '{"ok":1}' });
    const query = new URL(got.url!, 'http://x').searchParams;
    expect(query.get('x')).toBe('1');
    expect(query.get('CallbackCommand')).toBe('Call.CallbackAfterStartCall');
    expect(got.headers!['webhook-signature']).toBe(s.headers['webhook-signature']);
    expect(got.headers!.cookie).toBeUndefined();
    expect(got.body).toBe(s.body.toString('utf8'));
  });

  it('returns the error code when the endpoint cannot be reached', async () => {
    const s = sample();
    expect(await forwardCallback('http://127.0.0.1:1/in', s.url, s.headers, s.body)).toEqual({ error: 'ECONNREFUSED' });
  });
});
