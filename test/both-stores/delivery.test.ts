/**
 * Callbacks that are never lost (SPEC §3.2, §3.6, §6): retries, Retry-After, ordering,
 * isolation, signatures, the delivery log, replay, reference mode, retention, metrics, and the
 * callback configuration as it is when a callback is sent deciding where it goes.
 */
import { createRequire } from 'node:module';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { ALL_COMMANDS, Harness } from '../helpers/harness.js';
import { Receiver, type ReceivedCallback } from '../helpers/receiver.js';
import { rest, type RestAnswer } from '../helpers/rest.js';
import { connectUser } from '../helpers/client.js';
import { attemptsOf, outboxOf } from '../helpers/outbox.js';
import { waitFor, waitForAsync } from '../helpers/wait.js';

const require = createRequire(import.meta.url);
const { Webhook: SvixWebhook } = require('svix') as {
  Webhook: new (secret: string) => { verify(body: string, headers: Record<string, string>): unknown };
};

let h: Harness;
beforeEach(async () => {
  h = await Harness.create();
});
afterEach(async () => {
  await h.close();
});

const policy = (body: Record<string, unknown>) => rest(h.t, 'call_config/set_delivery_policy', body);
const callIdOf = (cb: ReceivedCallback) => {
  const b = cb.body as { CallId?: string; CallInfo?: { CallId: string }; CallRecord?: { CallId: string } };
  return b.CallId ?? b.CallInfo?.CallId ?? b.CallRecord?.CallId;
};
const headersOf = (cb: ReceivedCallback) => ({
  'webhook-id': String(cb.headers['webhook-id']),
  'webhook-timestamp': String(cb.headers['webhook-timestamp']),
  'webhook-signature': String(cb.headers['webhook-signature']),
});

/** The receiver answers 500 to the first StartCall it sees, and succeeds otherwise. */
function failFirstStartCall(): void {
  let failedOnce = false;
  h.receiver.answer = (cb) => {
    if (failedOnce || cb.query.get('CallbackCommand') !== 'Call.CallbackAfterStartCall') return undefined;
    failedOnce = true;
    return { status: 500 };
  };
}

/** A 1-to-1 call that connects and ends: four callbacks. */
async function fullCall(caller: string, callee: string): Promise<string> {
  const a = await h.user(caller);
  const b = await h.user(callee);
  const callId = await h.call(a, [callee]);
  await h.op(b, 'accept', { callId });
  await h.op(b, 'hangup', { callId });
  return callId;
}

describe('retries', () => {
  it('500, then 503 with Retry-After: 1, then 200: delivered on the third attempt with one webhook-id', async () => {
    await policy({ RetryScheduleSeconds: [0.2, 30, 30] });
    const answers = [{ status: 500 }, { status: 503, headers: { 'retry-after': '1' } }];
    h.receiver.answer = () => answers.shift();
    const alice = await h.user('alice');
    const callId = await h.call(alice, ['bob']);
    const got = await h.receiver.waitForCount(3, 'Call.CallbackAfterStartCall', 8000);
    expect(new Set(got.map((c) => c.headers['webhook-id'])).size).toBe(1);
    // Retry-After was honoured: the third attempt came about a second after the second.
    expect(got[2]!.at - got[1]!.at).toBeGreaterThanOrEqual(900);
    const id = String(got[0]!.headers['webhook-id']);
    await h.t.server.dispatcher.idle();
    const shown = await rest(h.t, 'call_config/get_delivery', { CallbackId: id });
    expect(shown.Response!.Delivery).toMatchObject({
      CallbackId: id,
      CallId: callId,
      Status: 'delivered',
      Attempts: 3,
      LastHttpStatus: 200,
    });
    expect((shown.Response!.AttemptList as { HttpStatus: number; Error?: string }[]).map((a) => [a.HttpStatus, a.Error])).toEqual([
      [500, 'HTTP 500'],
      [503, 'HTTP 503'],
      [200, undefined],
    ]);
  });

  it('a receiver that refuses connections for a while gets everything once it is up, in per-call order', async () => {
    await policy({ RetryScheduleSeconds: Array(10).fill(0.25) });
    const port = Number(new URL(h.receiver.url).port);
    await h.receiver.close();
    const ids = [await fullCall('a1', 'b1'), await fullCall('a2', 'b2')];
    await waitForAsync(async () => (await attemptsOf(h.t.server, h.t.sdkAppId)).length >= 8, 5000, 'first attempts to fail');
    const back = await new Receiver().start('/callback', port);
    try {
      await back.waitForCount(8, undefined, 8000);
      for (const callId of ids) {
        const mine = back.received.filter((c) => callIdOf(c) === callId).map((c) => c.query.get('CallbackCommand'));
        expect(mine).toEqual([
          'Call.CallbackAfterStartCall',
          'Call.CallbackAfterMemberChanged',
          'Call.CallbackAfterMemberChanged',
          'Call.CallbackAfterEndCall',
        ]);
      }
    } finally {
      await back.close();
      h.receiver = back;
    }
  });

  it('gives up after the schedule: failed, and listed', async () => {
    await policy({ RetryScheduleSeconds: [0.1] });
    h.receiver.mode = 'fail500';
    const alice = await h.user('alice');
    await h.call(alice, ['bob']);
    await h.receiver.waitForCount(2);
    await waitForAsync(async () => (await outboxOf(h.t.server, h.t.sdkAppId, { status: 'failed' })).length === 1, 3000, 'failed');
    const failed = await rest(h.t, 'call_config/list_deliveries', { Status: 'failed' });
    expect(failed.Response).toMatchObject({ TotalNum: 1, DeliveryList: [{ Status: 'failed', Attempts: 2, LastHttpStatus: 500 }] });
  });

  it('reference mode makes exactly one attempt', async () => {
    expect((await policy({ Mode: 'Reference' })).Response).toMatchObject({ Mode: 'Reference' });
    h.receiver.mode = 'fail500';
    const alice = await h.user('alice');
    const callId = await h.call(alice, ['bob']);
    await h.op(alice, 'hangup', { callId });
    // Later callbacks of the call go out once the first has failed for good: three in all, one each.
    await h.receiver.waitForCount(3);
    await h.t.server.dispatcher.idle();
    await h.advance(3600_000);
    await h.t.server.dispatcher.idle();
    expect(h.receiver.received).toHaveLength(3);
    expect((await rest(h.t, 'call_config/list_deliveries', { Status: 'failed' })).Response!.TotalNum).toBe(3);
  });
});

describe('per-call order', () => {
  it("a failed StartCall holds back its call's later callbacks, not another call's", async () => {
    await policy({ RetryScheduleSeconds: [1] });
    failFirstStartCall();
    const slow = await fullCall('alice', 'bob');
    await h.receiver.waitForCount(1);
    const fast = await fullCall('carol', 'dave');
    await waitFor(() => h.receiver.received.filter((c) => callIdOf(c) === fast).length === 4, 5000, 'the other call');
    // The other call is complete while the first still waits for its StartCall retry.
    expect(h.receiver.received.filter((c) => callIdOf(c) === slow)).toHaveLength(1);
    await waitFor(() => h.receiver.received.filter((c) => callIdOf(c) === slow).length === 5, 5000, 'the held call');
    const order = h.receiver.received
      .filter((c) => callIdOf(c) === slow)
      .map((c) => c.query.get('CallbackCommand')!.replace('Call.CallbackAfter', ''));
    expect(order).toEqual(['StartCall', 'StartCall', 'MemberChanged', 'MemberChanged', 'EndCall']);
  });

  it('with ordering off, later callbacks do not wait', async () => {
    await policy({ RetryScheduleSeconds: [2], Ordering: false });
    failFirstStartCall();
    const callId = await fullCall('alice', 'bob');
    await h.receiver.waitForCount(4);
    const order = h.receiver.received
      .filter((c) => callIdOf(c) === callId)
      .map((c) => c.query.get('CallbackCommand')!.replace('Call.CallbackAfter', ''));
    expect(order).toEqual(['StartCall', 'MemberChanged', 'MemberChanged', 'EndCall']);
  });
});

describe('isolation', () => {
  it("a hanging receiver times out at the app's timeout, delays no call, and no other app", async () => {
    // Long enough that no attempt times out while the 40 hanging calls are being set up.
    await policy({ TimeoutMs: 3000 });
    h.receiver.mode = 'hang';
    const other = await new Receiver().start('/other');
    try {
      await h.t.server.apps.put({ sdkAppId: 1400000555, secretKey: 'k5', admins: ['administrator'] }, Date.now());
      const otherApp = { ...h.t, sdkAppId: 1400000555, userSig: (u: string) => h.t.userSig(u, 1400000555, 'k5') };
      await rest(otherApp, 'call_config/set_callback', { Url: other.url, CallbackCommandList: ALL_COMMANDS });
      // More hanging callbacks than one receiver may have in flight.
      for (let i = 0; i < 40; i++) {
        const c = await h.user(`u${i}`);
        await h.call(c, [`v${i}`]);
      }
      await h.receiver.waitForCount(32);
      const carol = await connectUser(otherApp, 'carol');
      h.clients.push(carol);
      const r = await carol.request('calls', { userIdList: ['dave'], mediaType: 'Audio' });
      expect(r.ok).toBe(true);
      await other.waitForCount(1);
      // The other app's callback arrived before any of the hanging attempts timed out.
      expect(await attemptsOf(h.t.server, h.t.sdkAppId)).toHaveLength(0);
      await waitForAsync(
        async () => (await attemptsOf(h.t.server, h.t.sdkAppId)).filter((a) => a.error === 'timeout after 3000 ms').length >= 32,
        10_000,
        'timeouts',
      );
    } finally {
      await other.close();
    }
  });
});

describe('the current configuration decides', () => {
  const shortCommand = (cb: ReceivedCallback) => cb.query.get('CallbackCommand')!.replace('Call.CallbackAfter', '');
  const listed = async (body: Record<string, unknown>) =>
    (await rest(h.t, 'call_config/list_deliveries', body)).Response as {
      TotalNum: number;
      DeliveryList: { CallbackId: string; CallbackCommand: string; Status: string; LastError?: string }[];
    };
  const receivers: Receiver[] = [];
  afterEach(async () => {
    for (const r of receivers.splice(0)) await r.close();
  });
  async function newReceiver(path: string): Promise<Receiver> {
    const r = await new Receiver().start(path);
    receivers.push(r);
    return r;
  }

  it("after the URL changes, a retrying callback's next attempt goes to the new URL, before the call's later callbacks", async () => {
    // The retry falls due within the second the dispatcher may keep settings it has read.
    await policy({ RetryScheduleSeconds: [0.8, 0.8, 0.8, 0.8] });
    h.receiver.mode = 'fail500';
    const alice = await h.user('alice');
    const bob = await h.user('bob');
    const callId = await h.call(alice, ['bob']);
    const [first] = await h.receiver.waitForCount(1);
    const moved = await newReceiver('/moved');
    expect(await rest(h.t, 'call_config/set_callback', { Url: `${moved.url}?k=v`, CallbackCommandList: ALL_COMMANDS })).toMatchObject({
      ErrorCode: 0,
    });
    await h.op(bob, 'accept', { callId });
    const got = await moved.waitForCount(2);
    expect(got.map(shortCommand)).toEqual(['StartCall', 'MemberChanged']);
    expect(got.map(callIdOf)).toEqual([callId, callId]);
    // The same callback, with the query values it was written with, on the new URL.
    expect(got[0]!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
    expect(got[0]!.path).toBe('/moved');
    expect(Object.fromEntries(got[0]!.query)).toMatchObject({
      k: 'v',
      SdkAppid: String(h.t.sdkAppId),
      CallbackCommand: 'Call.CallbackAfterStartCall',
      contenttype: 'json',
      ClientIP: first!.query.get('ClientIP'),
      OptPlatform: 'Web',
    });
    // The change took effect at once: the old URL saw the first attempt only.
    expect(h.receiver.received).toHaveLength(1);
  });

  it('delete_callback cancels pending callbacks; a resend is refused until the configuration covers it, then goes to the new URL', async () => {
    await policy({ RetryScheduleSeconds: [30] });
    h.receiver.mode = 'fail500';
    const callId = await fullCall('alice', 'bob');
    await h.receiver.waitForCount(1);
    await h.t.server.dispatcher.idle();
    expect((await listed({ Status: 'pending', CallId: callId })).TotalNum).toBe(4);

    expect(await rest(h.t, 'call_config/delete_callback')).toMatchObject({ ErrorCode: 0 });
    const cancelled = await listed({ Status: 'cancelled', CallId: callId });
    expect(cancelled.TotalNum).toBe(4);
    expect(cancelled.DeliveryList.every((d) => d.Status === 'cancelled' && d.LastError === 'cancelled by delete_callback')).toBe(true);
    expect((await listed({ Status: 'pending' })).TotalNum).toBe(0);
    // Past the retry time nothing is sent.
    await h.advance(60_000);
    h.t.server.dispatcher.wake();
    await h.t.server.dispatcher.idle();
    expect(h.receiver.received).toHaveLength(1);

    const start = cancelled.DeliveryList.find((d) => d.CallbackCommand === 'Call.CallbackAfterStartCall')!;
    const member = cancelled.DeliveryList.find((d) => d.CallbackCommand === 'Call.CallbackAfterMemberChanged')!;
    const refused = await rest(h.t, 'call_config/resend_delivery', { CallbackId: start.CallbackId });
    expect(refused).toMatchObject({ ErrorCode: 100002 });
    expect(refused.ErrorInfo).toMatch(/Call\.CallbackAfterStartCall/);

    const moved = await newReceiver('/moved');
    await rest(h.t, 'call_config/set_callback', { Url: moved.url, CallbackCommandList: ['Call.CallbackAfterStartCall'] });
    expect(await rest(h.t, 'call_config/resend_delivery', { CallbackId: member.CallbackId })).toMatchObject({ ErrorCode: 100002 });
    expect(await rest(h.t, 'call_config/resend_delivery', { CallbackId: start.CallbackId })).toMatchObject({ ErrorCode: 0 });
    const [resent] = await moved.waitForCount(1);
    expect(resent!.headers['webhook-id']).toBe(start.CallbackId);
    expect(resent!.path).toBe('/moved');
    await h.t.server.dispatcher.idle();
    expect((await rest(h.t, 'call_config/get_delivery', { CallbackId: start.CallbackId })).Response!.Delivery).toMatchObject({
      Status: 'delivered',
    });
    expect(h.receiver.received).toHaveLength(1);
  });

  it('switching a command off cancels its pending callbacks; the others are still delivered, in order', async () => {
    await policy({ RetryScheduleSeconds: [0.8] });
    failFirstStartCall();
    const callId = await fullCall('alice', 'bob');
    await h.receiver.waitForCount(1);
    await rest(h.t, 'call_config/set_callback', {
      Url: h.receiver.url,
      CallbackCommandList: ['Call.CallbackAfterStartCall', 'Call.CallbackAfterEndCall'],
    });
    await waitFor(() => h.receiver.ofCommand('Call.CallbackAfterEndCall').length === 1, 5000, 'the EndCall');
    expect(h.receiver.received.filter((c) => callIdOf(c) === callId).map(shortCommand)).toEqual(['StartCall', 'StartCall', 'EndCall']);
    const cancelled = await listed({ Status: 'cancelled' });
    expect(cancelled.DeliveryList.map((d) => [d.CallbackCommand, d.LastError])).toEqual([
      ['Call.CallbackAfterMemberChanged', 'cancelled: set_callback switched Call.CallbackAfterMemberChanged off'],
      ['Call.CallbackAfterMemberChanged', 'cancelled: set_callback switched Call.CallbackAfterMemberChanged off'],
    ]);
  });

  it('a callback its command is no longer switched on for when it falls due is cancelled, not sent', async () => {
    await rest(h.t, 'call_config/set_callback', { Url: h.receiver.url, CallbackCommandList: ['Call.CallbackAfterStartCall'] });
    // Written as if just before the change (as a process that had not seen it yet would).
    await h.t.server.storage.transaction((tx) =>
      tx.outbox.add({
        id: 'msg_stale',
        sdkAppId: h.t.sdkAppId,
        callId: 'stale-call',
        command: 'Call.CallbackAfterEndCall',
        url: `${h.receiver.url}?SdkAppid=${h.t.sdkAppId}&CallbackCommand=Call.CallbackAfterEndCall&contenttype=json&ClientIP=127.0.0.1&OptPlatform=Web`,
        body: '{"CallbackCommand":"Call.CallbackAfterEndCall"}',
        createdAt: h.clock.now(),
        ordered: true,
      }),
    );
    h.t.server.dispatcher.wake();
    await waitForAsync(
      async () => (await outboxOf(h.t.server, h.t.sdkAppId, { status: 'cancelled' })).length === 1,
      5000,
      'the callback to be cancelled',
    );
    const [row] = await outboxOf(h.t.server, h.t.sdkAppId, { status: 'cancelled' });
    expect(row).toMatchObject({
      id: 'msg_stale',
      lastError: "cancelled: Call.CallbackAfterEndCall is not in the app's CallbackCommandList",
    });
    expect(h.receiver.received).toHaveLength(0);
    expect((await rest(h.t, 'call_config/get_delivery', { CallbackId: 'msg_stale' })).Response!.AttemptList).toEqual([]);
  });
});

describe('signatures', () => {
  it('standardwebhooks and svix accept the signature; a tampered body is rejected', async () => {
    const secret = (await rest(h.t, 'call_config/get_webhook_secret')).Response!.Secret as string;
    expect(secret).toMatch(/^whsec_/);
    const alice = await h.user('alice');
    await h.call(alice, ['bob']);
    const [cb] = await h.receiver.waitForCount(1);
    expect(new StandardWebhook(secret).verify(cb!.rawBody, headersOf(cb!))).toEqual(cb!.body);
    expect(new SvixWebhook(secret).verify(cb!.rawBody, headersOf(cb!))).toEqual(cb!.body);
    expect(() => new StandardWebhook(secret).verify(cb!.rawBody.replace('alice', 'mallory'), headersOf(cb!))).toThrow();
    expect(() => new SvixWebhook(secret).verify(cb!.rawBody.replace('alice', 'mallory'), headersOf(cb!))).toThrow();
  });

  it('during a rotation both the old and the new secret verify', async () => {
    const old = (await rest(h.t, 'call_config/get_webhook_secret')).Response!.Secret as string;
    const chosen = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    expect((await rest(h.t, 'call_config/rotate_webhook_secret', { Secret: chosen })).Response).toEqual({ Secret: chosen });
    const shown = (await rest(h.t, 'call_config/get_webhook_secret')).Response!;
    expect(shown).toMatchObject({ Secret: chosen, PreviousSecret: old });
    const alice = await h.user('alice');
    await h.call(alice, ['bob']);
    const [cb] = await h.receiver.waitForCount(1);
    expect(String(cb!.headers['webhook-signature']).split(' ')).toHaveLength(2);
    for (const s of [old, chosen]) {
      expect(new StandardWebhook(s).verify(cb!.rawBody, headersOf(cb!))).toEqual(cb!.body);
      expect(new SvixWebhook(s).verify(cb!.rawBody, headersOf(cb!))).toEqual(cb!.body);
    }
    // After 24 hours only the new secret signs.
    await h.advance(24 * 3600_000 + 1000);
    expect((await rest(h.t, 'call_config/get_webhook_secret')).Response).toEqual({ Secret: chosen });
    const again = await h.user('carol');
    await h.call(again, ['dave']);
    const [later] = (await h.receiver.waitForCount(2)).slice(1);
    expect(String(later!.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(() => new StandardWebhook(old).verify(later!.rawBody, headersOf(later!))).toThrow();
  });

  it('refuses a secret that is not whsec_ base64', async () => {
    expect(await rest(h.t, 'call_config/rotate_webhook_secret', { Secret: 'hunter2' })).toMatchObject({ ErrorCode: 100002 });
  });
});

describe('delivery log and replay', () => {
  it('lists with filters, shows attempts, resends one and all failed since a time', async () => {
    await policy({ RetryScheduleSeconds: [] });
    const t0 = h.clock.now();
    h.receiver.mode = 'fail500';
    const first = await fullCall('alice', 'bob');
    await waitFor(() => h.receiver.received.length === 4, 5000, 'four attempts');
    await h.t.server.dispatcher.idle();
    const list = async (body: Record<string, unknown>) =>
      (await rest(h.t, 'call_config/list_deliveries', body)).Response as {
        TotalNum: number;
        DeliveryList: { CallbackId: string; CallbackCommand: string; Status: string }[];
      };
    expect((await list({})).TotalNum).toBe(4);
    expect((await list({ Status: 'failed' })).TotalNum).toBe(4);
    expect((await list({ Status: 'delivered' })).TotalNum).toBe(0);
    expect((await list({ CallbackCommand: 'Call.CallbackAfterEndCall' })).DeliveryList).toHaveLength(1);
    expect((await list({ CallId: first })).TotalNum).toBe(4);
    expect((await list({ CallId: 'nope' })).TotalNum).toBe(0);
    expect((await list({ StartTimeMs: t0 - 1, EndTimeMs: h.clock.now() + 1 })).TotalNum).toBe(4);
    expect((await list({ NumberPerPage: 3, Page: 2 })).DeliveryList).toHaveLength(1);

    h.receiver.mode = 'ok';
    const one = (await list({ CallbackCommand: 'Call.CallbackAfterStartCall' })).DeliveryList[0]!;
    expect(await rest(h.t, 'call_config/resend_delivery', { CallbackId: one.CallbackId })).toMatchObject({ ErrorCode: 0 });
    await h.receiver.waitForCount(5);
    expect(h.receiver.received[4]!.headers['webhook-id']).toBe(one.CallbackId);
    await h.t.server.dispatcher.idle();
    const resent = await rest(h.t, 'call_config/resend_failed_deliveries', { SinceMs: t0 - 1 });
    expect(resent.Response).toEqual({ Count: 3 });
    await h.receiver.waitForCount(8);
    await h.t.server.dispatcher.idle();
    expect((await list({ Status: 'delivered' })).TotalNum).toBe(4);
    expect(await rest(h.t, 'call_config/resend_delivery', { CallbackId: 'msg_nope' })).toMatchObject({ ErrorCode: 100002 });
    expect(await rest(h.t, 'call_config/get_delivery', { CallbackId: 'msg_nope' })).toMatchObject({ ErrorCode: 100002 });
  });

  it("never shows or resends another app's callbacks", async () => {
    const alice = await h.user('alice');
    await h.call(alice, ['bob']);
    const [cb] = await h.receiver.waitForCount(1);
    await h.t.server.apps.put({ sdkAppId: 1400000556, secretKey: 'k6', admins: ['administrator'] }, Date.now());
    const other = { ...h.t, sdkAppId: 1400000556, userSig: (u: string) => h.t.userSig(u, 1400000556, 'k6') };
    const id = String(cb!.headers['webhook-id']);
    expect(await rest(other, 'call_config/get_delivery', { CallbackId: id })).toMatchObject({ ErrorCode: 100002 });
    expect(await rest(other, 'call_config/resend_delivery', { CallbackId: id })).toMatchObject({ ErrorCode: 100002 });
    expect(((await rest(other, 'call_config/list_deliveries', {})) as RestAnswer).Response!.TotalNum).toBe(0);
  });

  it('prunes delivered callbacks after the retention period', async () => {
    const alice = await h.user('alice');
    const callId = await h.call(alice, ['bob']);
    await h.op(alice, 'hangup', { callId });
    await h.receiver.waitForCount(3);
    await h.t.server.dispatcher.idle();
    await h.advance(6 * 24 * 3600_000);
    expect(await h.t.server.dispatcher.prune()).toBe(0);
    await h.advance(2 * 24 * 3600_000);
    expect(await h.t.server.dispatcher.prune()).toBe(3);
    expect((await rest(h.t, 'call_config/list_deliveries', {})).Response!.TotalNum).toBe(0);
  });
});

describe('policy', () => {
  it('reads back defaults, changes fields, and refuses bad values', async () => {
    expect((await rest(h.t, 'call_config/get_delivery_policy')).Response).toEqual({
      Mode: 'Retry',
      TimeoutMs: 2000,
      RetryScheduleSeconds: [5, 30, 120, 600, 1800, 3600, 7200, 21600, 43200],
      Ordering: true,
      EmitCallMediaType: false,
    });
    expect((await policy({ TimeoutMs: 30000, EmitCallMediaType: true })).Response).toMatchObject({
      TimeoutMs: 30000,
      EmitCallMediaType: true,
      Mode: 'Retry',
    });
    expect(await policy({ TimeoutMs: 30001 })).toMatchObject({ ErrorCode: 100002 });
    expect(await policy({ Mode: 'Sometimes' })).toMatchObject({ ErrorCode: 100002 });
    const alice = await h.user('alice');
    await h.call(alice, ['bob']);
    const [cb] = await h.receiver.waitForCount(1);
    expect(cb!.body.CallInfo).toMatchObject({ MediaType: 'Video', CallMediaType: 'Video' });
  });
});

describe('metrics', () => {
  it('counts deliveries, retries and failures per app at /metrics', async () => {
    await policy({ RetryScheduleSeconds: [0.1] });
    h.receiver.mode = 'fail500';
    const alice = await h.user('alice');
    await h.call(alice, ['bob']);
    await h.receiver.waitForCount(2);
    await h.t.server.dispatcher.idle();
    h.receiver.mode = 'ok';
    const carol = await h.user('carol');
    await h.call(carol, ['dave']);
    await h.receiver.waitForCount(3);
    await h.t.server.dispatcher.idle();
    const text = await (await fetch(`${h.t.url}/metrics`)).text();
    // No app label by default (DIALTONE_METRICS_APP_LABELS; with it: test/embedded/metrics.test.ts).
    expect(text).toContain(`dialtone_callback_attempts_total{command="Call.CallbackAfterStartCall"} 3`);
    expect(text).toContain(`dialtone_callbacks_retried_total{command="Call.CallbackAfterStartCall"} 1`);
    expect(text).toContain(`dialtone_callbacks_failed_total{command="Call.CallbackAfterStartCall"} 1`);
    expect(text).toContain(`dialtone_callbacks_delivered_total{command="Call.CallbackAfterStartCall"} 1`);
    expect(text).toMatch(/^dialtone_callback_delivery_seconds_count 1$/m);
    expect(text).not.toContain('sdkappid=');
    expect(text).toContain('dialtone_callbacks_pending');
    expect(text).toContain('dialtone_client_connections 2');
  });
});
