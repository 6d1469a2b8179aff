/**
 * Verification (SPEC §3.2): requests are built with the server's own renderer and signer
 * (node:crypto, an independent implementation of the same algorithms), the reference vector and
 * the `standardwebhooks` package; every check and its reason is exercised with an injected clock.
 */
import { describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import vector from '../../test/fixtures/vectors/callback-sign.json' with { type: 'json' };
import { callbackSign, webhookSignature } from '../auth/callback-sign.js';
import { callbackBody, callbackUrl, withSign } from '../callbacks/render.js';
import type { CallbackEffect } from '../domain/effects.js';
import { CallbackVerificationError } from './errors.js';
import type { CallbackInput } from './input.js';
import { verifyCallback, verifyRequest, type VerifyOptions } from './verify.js';

const SDK_APP_ID = 1400000000;
const SECRET = `whsec_${Buffer.alloc(32, 1).toString('base64')}`;
const OTHER_SECRET = `whsec_${Buffer.alloc(32, 2).toString('base64')}`;
const TOKEN = vector.token;
/** Sending time of every test request: the reference vector's RequestTime. */
const SENT = vector.requestTime;
/** The receiver's clock: 5 s after sending. */
const now = () => SENT * 1000 + 5000;

const EFFECTS: CallbackEffect[] = [
  {
    type: 'callback',
    command: 'Call.CallbackAfterStartCall',
    callInfo: { CallId: 'call-1', MediaType: 'Video', ChatGroupId: '', RoomId: 'room-1', RoomIdType: 2 },
    userList: [
      { User_Account: 'alice', Status: 'Calling' },
      { User_Account: 'bob', Status: 'Waiting' },
    ],
    eventTime: SENT * 1000,
  },
  {
    type: 'callback',
    command: 'Call.CallbackAfterMemberChanged',
    callId: 'call-1',
    userList: [
      { User_Account: 'alice', Status: 'Calling' },
      { User_Account: 'bob', Status: 'Calling' },
    ],
    changedUserList: [{ User_Account: 'bob', ActionType: 'Accept' }],
    eventTime: SENT * 1000,
  },
  {
    type: 'callback',
    command: 'Call.CallbackAfterEndCall',
    callRecord: {
      CallId: 'call-1',
      Caller_Account: 'alice',
      MediaType: 'Video',
      CallType: 'SingleCall',
      StartTime: SENT - 60,
      AcceptTime: SENT - 50,
      EndTime: SENT,
      CallResult: 'NormalEnd',
      CalleeList_Account: ['alice', 'bob'],
      RoomId: 'room-1',
      RoomIdType: 2,
    },
    eventTime: SENT * 1000,
  },
];
const START = EFFECTS[0]!;

interface Build {
  effect?: CallbackEffect;
  body?: string;
  sdkAppId?: number;
  token?: string;
  requestTime?: number;
  secrets?: string[];
  id?: string;
  timestamp?: number;
}

// A type alias, not an interface: it must be assignable to the index-signature header record.
type SignedHeaders = {
  'content-type': string;
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
};

/** A callback request exactly as Dialtone sends it (URL, headers, body). */
function request(b: Build = {}): { url: string; headers: SignedHeaders; rawBody: string } {
  const effect = b.effect ?? START;
  const body = b.body ?? callbackBody(effect);
  const requestTime = b.requestTime ?? SENT;
  const id = b.id ?? 'msg_2f1b6c';
  const timestamp = b.timestamp ?? SENT;
  const url = withSign(
    callbackUrl('https://app.example/callback?tenant=acme', b.sdkAppId ?? SDK_APP_ID, effect.command, {
      clientIp: '203.0.113.7',
      platform: 'Web',
    }),
    requestTime,
    callbackSign(b.token ?? TOKEN, requestTime),
  );
  const headers: SignedHeaders = {
    'content-type': 'application/json; charset=utf-8',
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': (b.secrets ?? [SECRET]).map((s) => webhookSignature(s, id, timestamp, body)).join(' '),
  };
  return { url, headers, rawBody: body };
}

const options: VerifyOptions = { sdkAppId: SDK_APP_ID, token: TOKEN, webhookSecret: SECRET, now };

async function reasonOf(input: CallbackInput, opts: VerifyOptions = options): Promise<string> {
  try {
    await verifyCallback(input, opts);
  } catch (error) {
    if (error instanceof CallbackVerificationError) return error.reason;
    throw error;
  }
  return 'accepted';
}

describe('the reference vector', () => {
  it('verifies: Sign of token xxxxyyyy at RequestTime 1669872112', async () => {
    const url = `/callback?SdkAppid=${SDK_APP_ID}&CallbackCommand=Call.CallbackAfterStartCall&contenttype=json&RequestTime=${vector.requestTime}&Sign=${vector.sign}`;
    const cb = await verifyCallback(
      { url, headers: {}, rawBody: callbackBody(START) },
      { sdkAppId: SDK_APP_ID, token: vector.token, now: () => vector.requestTime * 1000 },
    );
    expect(cb.query).toMatchObject({ RequestTime: String(vector.requestTime), Sign: vector.sign });
  });

  it('is refused with another token', async () => {
    const url = `/callback?SdkAppid=${SDK_APP_ID}&RequestTime=${vector.requestTime}&Sign=${vector.sign}`;
    const input = { url, headers: {}, rawBody: callbackBody(START) };
    expect(await reasonOf(input, { sdkAppId: SDK_APP_ID, token: 'xxxyyy', now: () => vector.requestTime * 1000 })).toBe('sign');
  });
});

describe('a genuine callback', () => {
  it.each(EFFECTS.map((e) => [e.command, e] as const))('%s verifies into its typed command', async (command, effect) => {
    const cb = await verifyCallback(request({ effect }), options);
    expect(cb.command).toBe(command);
    expect(cb).toMatchObject({
      sdkAppId: SDK_APP_ID,
      callId: 'call-1',
      eventTime: SENT * 1000,
      webhookId: 'msg_2f1b6c',
      query: {
        SdkAppid: String(SDK_APP_ID),
        CallbackCommand: command,
        contenttype: 'json',
        ClientIP: '203.0.113.7',
        OptPlatform: 'Web',
        RequestTime: String(SENT),
      },
    });
  });

  it('verifies with the body as bytes, the headers as a Headers object and the query as URLSearchParams', async () => {
    const r = request();
    const cb = await verifyCallback(
      { query: new URL(r.url).searchParams, headers: new Headers(r.headers), rawBody: new TextEncoder().encode(r.rawBody) },
      options,
    );
    expect(cb.command).toBe('Call.CallbackAfterStartCall');
  });

  it('verifies with the query as a parsed record (repeated keys as arrays)', async () => {
    const r = request();
    const query: Record<string, string | string[]> = Object.fromEntries(new URL(r.url).searchParams);
    query['tenant'] = ['acme', 'again'];
    expect((await verifyCallback({ query, headers: r.headers, rawBody: r.rawBody }, options)).sdkAppId).toBe(SDK_APP_ID);
  });

  it('verifies through verifyRequest (fetch Request)', async () => {
    const r = request();
    const cb = await verifyRequest(new Request(r.url, { method: 'POST', headers: r.headers, body: r.rawBody }), options);
    expect(cb).toMatchObject({ command: 'Call.CallbackAfterStartCall', webhookId: 'msg_2f1b6c' });
  });

  it('needs no Sign when no token is configured, and no webhook headers when no secret is', async () => {
    const url = `/callback?SdkAppid=${SDK_APP_ID}&CallbackCommand=Call.CallbackAfterStartCall`;
    expect((await verifyCallback({ url, headers: {}, rawBody: callbackBody(START) }, { sdkAppId: SDK_APP_ID })).command).toBe(
      'Call.CallbackAfterStartCall',
    );
  });
});

describe('SdkAppid', () => {
  it('a different app id is refused: sdkappid', async () => {
    expect(await reasonOf(request({ sdkAppId: 1400000001 }))).toBe('sdkappid');
  });

  it('a missing SdkAppid is refused: sdkappid', async () => {
    const r = request();
    expect(await reasonOf({ ...r, url: r.url.replace(/SdkAppid=\d+&/, '') })).toBe('sdkappid');
  });

  it.each(['SdkAppId', 'sdkappid', 'SDKAPPID'])('is read case-insensitively (%s)', async (key) => {
    const r = request();
    expect((await verifyCallback({ ...r, url: r.url.replace('SdkAppid=', `${key}=`) }, options)).sdkAppId).toBe(SDK_APP_ID);
  });
});

describe('token Sign and RequestTime', () => {
  it('a Sign made with another token is refused: sign', async () => {
    expect(await reasonOf(request({ token: 'not-the-token' }))).toBe('sign');
  });

  it('a missing Sign is refused: sign', async () => {
    const r = request();
    expect(await reasonOf({ ...r, url: r.url.replace(/&Sign=[0-9a-f]+/, '') })).toBe('sign');
  });

  it('a RequestTime changed after signing is refused: sign', async () => {
    const r = request();
    expect(await reasonOf({ ...r, url: r.url.replace(`RequestTime=${SENT}`, `RequestTime=${SENT + 1}`) })).toBe('sign');
  });

  it('a RequestTime more than 60 s from now is refused: request_time (60 s is still accepted)', async () => {
    const clock = (offsetSeconds: number) => ({ ...options, webhookSecret: undefined, now: () => (SENT + offsetSeconds) * 1000 });
    expect(await reasonOf(request(), clock(61))).toBe('request_time');
    expect(await reasonOf(request(), clock(-61))).toBe('request_time');
    expect(await reasonOf(request(), clock(60))).toBe('accepted');
  });

  it('toleranceSeconds widens the RequestTime window', async () => {
    expect(await reasonOf(request(), { ...options, webhookSecret: undefined, toleranceSeconds: 120, now: () => (SENT + 100) * 1000 })).toBe(
      'accepted',
    );
  });
});

describe('Standard Webhooks signature', () => {
  it('a tampered body is refused: signature', async () => {
    const r = request();
    expect(await reasonOf({ ...r, rawBody: r.rawBody.replace('alice', 'mallory') })).toBe('signature');
  });

  it('a signature made with another secret is refused: signature', async () => {
    expect(await reasonOf(request({ secrets: [OTHER_SECRET] }))).toBe('signature');
  });

  it('a changed webhook-id or webhook-timestamp is refused: signature', async () => {
    const r = request();
    expect(await reasonOf({ ...r, headers: { ...r.headers, 'webhook-id': 'msg_other' } })).toBe('signature');
    expect(await reasonOf({ ...r, headers: { ...r.headers, 'webhook-timestamp': String(SENT + 1) } })).toBe('signature');
  });

  it.each(['webhook-id', 'webhook-timestamp', 'webhook-signature'])('a missing %s header is refused: signature', async (name) => {
    const r = request();
    const headers: Record<string, string> = { ...r.headers };
    delete headers[name];
    expect(await reasonOf({ ...r, headers })).toBe('signature');
  });

  it('a signature of another version is ignored: signature', async () => {
    const r = request();
    const v1 = r.headers['webhook-signature'];
    expect(await reasonOf({ ...r, headers: { ...r.headers, 'webhook-signature': v1.replace('v1,', 'v1a,') } })).toBe('signature');
  });

  it('a webhook-timestamp more than 300 s from now is refused: timestamp (300 s is still accepted)', async () => {
    const at = (offsetSeconds: number) => ({ ...options, token: undefined, now: () => (SENT + offsetSeconds) * 1000 });
    expect(await reasonOf(request(), at(301))).toBe('timestamp');
    expect(await reasonOf(request(), at(-301))).toBe('timestamp');
    expect(await reasonOf(request(), at(300))).toBe('accepted');
  });

  it('toleranceSeconds, when given, applies to webhook-timestamp too', async () => {
    expect(await reasonOf(request(), { ...options, token: undefined, toleranceSeconds: 30, now: () => (SENT + 31) * 1000 })).toBe(
      'timestamp',
    );
  });

  it('rotation: a header with the old and the new signature verifies with either secret', async () => {
    const r = request({ secrets: [OTHER_SECRET, SECRET] });
    expect(r.headers['webhook-signature'].split(' ')).toHaveLength(2);
    for (const secret of [SECRET, OTHER_SECRET]) expect(await reasonOf(r, { ...options, webhookSecret: secret })).toBe('accepted');
  });

  it('rotation: two secrets in options accept a callback signed with either', async () => {
    for (const signer of [SECRET, OTHER_SECRET]) {
      expect(await reasonOf(request({ secrets: [signer] }), { ...options, webhookSecret: [OTHER_SECRET, SECRET] })).toBe('accepted');
    }
    const third = `whsec_${Buffer.alloc(32, 3).toString('base64')}`;
    expect(await reasonOf(request({ secrets: [third] }), { ...options, webhookSecret: [OTHER_SECRET, SECRET] })).toBe('signature');
  });

  it("accepts signatures repeated as Node joins them (', ') or as a header array", async () => {
    const r = request();
    const other = request({ secrets: [OTHER_SECRET] }).headers['webhook-signature'];
    const joined = `${other}, ${r.headers['webhook-signature']}`;
    expect(await reasonOf({ ...r, headers: { ...r.headers, 'webhook-signature': joined } })).toBe('accepted');
    expect(await reasonOf({ ...r, headers: { ...r.headers, 'webhook-signature': [other, r.headers['webhook-signature']] } })).toBe(
      'accepted',
    );
  });

  it('verifies signatures made by the standardwebhooks package', async () => {
    const body = callbackBody(START);
    const signature = new Webhook(SECRET).sign('msg_from_lib', new Date(SENT * 1000), body);
    const r = request();
    const headers = { 'webhook-id': 'msg_from_lib', 'webhook-timestamp': String(SENT), 'webhook-signature': signature };
    const cb = await verifyCallback({ url: r.url, headers, rawBody: body }, { sdkAppId: SDK_APP_ID, webhookSecret: SECRET, now });
    expect(cb.webhookId).toBe('msg_from_lib');
    // And a tampered payload signed by the library is still refused.
    expect(
      await reasonOf({ url: r.url, headers, rawBody: body.replace('bob', 'eve') }, { sdkAppId: SDK_APP_ID, webhookSecret: SECRET, now }),
    ).toBe('signature');
  });

  it('the standardwebhooks package accepts what it is sent (sanity of the fixture)', () => {
    const r = request({ timestamp: Math.floor(Date.now() / 1000) });
    expect(new Webhook(SECRET).verify(r.rawBody, { ...r.headers })).toMatchObject({ CallbackCommand: 'Call.CallbackAfterStartCall' });
  });

  it('a webhook secret that is not whsec_ base64 is a configuration error (TypeError), not a refusal', async () => {
    await expect(verifyCallback(request(), { ...options, webhookSecret: 'whsec_not base64!' })).rejects.toBeInstanceOf(TypeError);
  });
});

describe('the body and the order of checks', () => {
  it("a body whose command differs from the query's is refused: body", async () => {
    const r = request();
    expect(await reasonOf({ ...r, url: r.url.replace('CallbackAfterStartCall', 'CallbackAfterEndCall') })).toBe('body');
  });

  it('a signed body that is not a callback is refused: body', async () => {
    expect(await reasonOf(request({ body: '{"hello":"world"}' }))).toBe('body');
  });

  it('checks sdkappid, then sign, then request_time, then signature, then timestamp, then body', async () => {
    const allWrong = request({ sdkAppId: 1, token: 'wrong', secrets: [OTHER_SECRET], body: 'nope' });
    const late = { ...options, now: () => (SENT + 1000) * 1000 };
    expect(await reasonOf(allWrong, late)).toBe('sdkappid');
    expect(await reasonOf(request({ token: 'wrong', secrets: [OTHER_SECRET], body: 'nope' }), late)).toBe('sign');
    expect(await reasonOf(request({ secrets: [OTHER_SECRET], body: 'nope' }), late)).toBe('request_time');
    expect(await reasonOf(request({ secrets: [OTHER_SECRET], body: 'nope' }), { ...late, toleranceSeconds: 2000 })).toBe('signature');
    expect(await reasonOf(request({ body: 'nope', requestTime: SENT + 1000 }), late)).toBe('timestamp');
    expect(await reasonOf(request({ body: 'nope' }))).toBe('body');
  });

  it('says which check failed, in one line', async () => {
    await expect(verifyCallback(request({ token: 'wrong' }), options)).rejects.toThrow(
      /^callback refused \(sign\): Sign does not match sha256\(token \+ RequestTime\)$/,
    );
  });
});
