import { describe, expect, it } from 'vitest';
import { callbackSign, webhookSignature } from '../../auth/callback-sign.js';
import { CallbackTarget, callbackUrl } from '../../callbacks/render.js';
import type { OutboxEntry } from '../ports.js';
import { outcomeOf, prepareRequest } from './attempt.js';

const T = 1_700_000_000_123;
const written = callbackUrl('https://old.example.com/cb', 1400000000, 'Call.CallbackAfterEndCall', {
  clientIp: '10.0.0.1',
  platform: 'Web',
});
const entry: OutboxEntry = {
  id: 'msg_1',
  seq: 1,
  sdkAppId: 1400000000,
  callId: 'c1',
  command: 'Call.CallbackAfterEndCall',
  url: written,
  body: '{"a":1}',
  createdAt: T,
  attempts: 0,
  resendBase: 0,
};

describe('prepareRequest', () => {
  it('addresses the URL configured now, keeps the written query, and signs with the token and every secret', () => {
    const got = prepareRequest(
      entry,
      { target: new CallbackTarget('https://new.example.com:8443/hook?k=v'), token: 'tok', secrets: ['s1', 's2'], timeoutMs: 1500 },
      T,
    );
    if (!('request' in got)) throw new Error('not prepared');
    const r = got.request;
    expect(r.origin).toBe('https://new.example.com:8443');
    const url = new URL(r.origin + r.path);
    expect(url.pathname).toBe('/hook');
    expect(url.searchParams.get('k')).toBe('v');
    expect(url.searchParams.get('ClientIP')).toBe('10.0.0.1');
    expect(url.searchParams.get('RequestTime')).toBe(String(Math.floor(T / 1000)));
    expect(url.searchParams.get('Sign')).toBe(callbackSign('tok', Math.floor(T / 1000)));
    expect(r.headers).toEqual({
      'content-type': 'application/json; charset=utf-8',
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(Math.floor(T / 1000)),
      'webhook-signature': ['s1', 's2'].map((s) => webhookSignature(s, 'msg_1', Math.floor(T / 1000), entry.body)).join(' '),
    });
    expect(r.body).toBe(entry.body);
    expect(r.timeoutMs).toBe(1500);
  });

  it('has no Sign without a token and no signature header without secrets', () => {
    const got = prepareRequest(
      entry,
      { target: new CallbackTarget('https://old.example.com/cb'), token: undefined, secrets: [], timeoutMs: 2000 },
      T,
    );
    if (!('request' in got)) throw new Error('not prepared');
    expect(got.request.origin + got.request.path).toBe(written);
    expect(got.request.headers['webhook-signature']).toBeUndefined();
  });

  it('fails an attempt whose configured URL cannot be used, without sending', () => {
    const bad = prepareRequest(entry, { target: new CallbackTarget('not a url'), token: undefined, secrets: [], timeoutMs: 2000 }, T);
    expect(bad).toMatchObject({ failed: { startedAt: T, latencyMs: 0, ok: false } });
    expect((bad as { failed: { error: string } }).failed.error).toMatch(/^the configured Url cannot be used: /);
    const userInfo = prepareRequest(
      entry,
      { target: new CallbackTarget('https://user:pw@example.com/cb'), token: undefined, secrets: [], timeoutMs: 2000 },
      T,
    );
    expect(userInfo).toMatchObject({ failed: { ok: false, error: expect.stringMatching(/^destination refused: /) } });
  });
});

describe('outcomeOf', () => {
  const envelope = '{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}';

  it('is delivered on HTTP 200 with the success envelope only', () => {
    expect(outcomeOf({ status: 200, retryAfter: undefined, body: envelope, latencyMs: 5 }, T)).toEqual({
      startedAt: T,
      httpStatus: 200,
      latencyMs: 5,
      responseExcerpt: envelope,
      ok: true,
    });
    expect(outcomeOf({ status: 200, retryAfter: undefined, body: 'ok', latencyMs: 5 }, T)).toMatchObject({
      ok: false,
      error: 'response is not the success envelope',
    });
    expect(outcomeOf({ status: 201, retryAfter: undefined, body: envelope, latencyMs: 5 }, T)).toMatchObject({
      ok: false,
      error: 'HTTP 201',
    });
  });

  it('keeps Retry-After and a 1 KiB excerpt', () => {
    const got = outcomeOf({ status: 503, retryAfter: '7', body: 'x'.repeat(5000), latencyMs: 3 }, T);
    expect(got.retryAfterMs).toBe(7000);
    expect(got.responseExcerpt).toHaveLength(1024);
  });

  it('records an error without an answer', () => {
    expect(outcomeOf({ error: 'timeout after 100 ms', latencyMs: 101 }, T)).toEqual({
      startedAt: T,
      latencyMs: 101,
      ok: false,
      error: 'timeout after 100 ms',
    });
  });
});
