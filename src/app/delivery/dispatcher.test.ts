/**
 * The dispatcher as a whole on an in-memory store and a fake sender (no sockets): the parts
 * composed deliver, retry, hold a call's later callbacks behind a retry, cancel by the current
 * configuration, and give back what is unsent at stop.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStorage, openDatabase } from '../../adapters/sqlite/storage.js';
import type { CallbackCommand } from '../../domain/types.js';
import type { CallbackRequest, CallbackResponse, CallbackSender } from '../ports.js';
import { Dispatcher } from './dispatcher.js';

const NOW = 1_700_000_000_000;
const APP = 1400000001;
const OK = '{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}';
const CONFIGURED = 'https://receiver.example.com/cb';

/** Answers each request with `answer(request)`; `gate`, when set, holds answers until opened. */
class FakeSender implements CallbackSender {
  readonly sent: CallbackRequest[] = [];
  closed = false;
  answer: (r: CallbackRequest) => CallbackResponse = () => ({ status: 200, retryAfter: undefined, body: OK, latencyMs: 1 });
  private waiters: (() => void)[] = [];

  async send(request: CallbackRequest): Promise<CallbackResponse> {
    this.sent.push(request);
    for (const w of this.waiters.splice(0)) w();
    return this.answer(request);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** Resolves once `n` requests were sent, or fails after `ms`. */
  async waitFor(n: number, ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.sent.length < n) {
      if (Date.now() > deadline) throw new Error(`${this.sent.length} of ${n} requests sent`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }
}

/** Resolves once `cond` holds, or fails after `ms`. */
async function until(cond: () => Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('Dispatcher (fake sender)', () => {
  let storage: SqliteStorage;
  let dispatcher: Dispatcher | undefined;
  afterEach(async () => {
    await dispatcher?.stop();
    dispatcher = undefined;
    await storage.close();
  });

  async function setup(commands: CallbackCommand[] = ['Call.CallbackAfterMemberChanged']) {
    storage = new SqliteStorage(openDatabase(':memory:'));
    await storage.transaction((tx) => tx.callbackConfig.set(APP, { url: CONFIGURED, commands }));
    const sender = new FakeSender();
    const d = new Dispatcher({
      storage,
      clock: { now: () => NOW },
      log: pino({ level: 'silent' }),
      sender,
      webhookSecretsOf: () => ['whsec_dGVzdA=='],
      random: () => 0.5,
    });
    dispatcher = d;
    return { sender, d };
  }

  async function add(ids: string[], callId = 'call-1', command: CallbackCommand = 'Call.CallbackAfterMemberChanged') {
    await storage.transaction(async (tx) => {
      for (const id of ids)
        await tx.outbox.add({
          id,
          sdkAppId: APP,
          callId,
          command,
          url: `${CONFIGURED}?n=${id}`,
          body: `{"id":"${id}"}`,
          createdAt: NOW,
          ordered: true,
        });
    });
  }

  const status = async (id: string) => (await storage.transaction((tx) => tx.outbox.get(APP, id)))?.entry;

  it('delivers a call’s callbacks in order, signed, and records them', async () => {
    const { sender, d } = await setup();
    await add(['a', 'b', 'c']);
    d.start();
    await sender.waitFor(3);
    await d.idle();
    expect(sender.sent.map((r) => r.headers['webhook-id'])).toEqual(['a', 'b', 'c']);
    expect(sender.sent[0]!.origin).toBe('https://receiver.example.com');
    expect(sender.sent[0]!.headers['webhook-signature']).toMatch(/^v1,/);
    for (const id of ['a', 'b', 'c']) expect(await status(id)).toMatchObject({ status: 'delivered', attempts: 1 });
  });

  it('schedules a retry of a failed attempt and holds the rest of the call back', async () => {
    const { sender, d } = await setup();
    sender.answer = () => ({ status: 500, retryAfter: undefined, body: 'no', latencyMs: 2 });
    await add(['a', 'b']);
    d.start();
    await sender.waitFor(1);
    await d.idle();
    expect(sender.sent).toHaveLength(1);
    // random 0.5: no jitter, the first retry 5 s later.
    expect(await status('a')).toMatchObject({ status: 'pending', attempts: 1, nextAttemptAt: NOW + 5000, lastError: 'HTTP 500' });
    expect(await status('b')).toMatchObject({ status: 'pending', attempts: 0 });
  });

  it('records a sender error as a failed attempt', async () => {
    const { sender, d } = await setup();
    sender.answer = () => ({ error: 'destination refused: 10.0.0.1 is private', latencyMs: 0 });
    await add(['a']);
    d.start();
    await sender.waitFor(1);
    await d.idle();
    expect(await status('a')).toMatchObject({ status: 'pending', attempts: 1, lastError: 'destination refused: 10.0.0.1 is private' });
  });

  it('cancels, unsent, a callback whose command is no longer switched on', async () => {
    const { sender, d } = await setup(['Call.CallbackAfterEndCall']);
    await add(['a']);
    d.start();
    await until(async () => (await status('a'))?.status === 'cancelled');
    await d.idle();
    expect(sender.sent).toEqual([]);
    expect(await status('a')).toMatchObject({
      status: 'cancelled',
      lastError: "cancelled: Call.CallbackAfterMemberChanged is not in the app's CallbackCommandList",
    });
  });

  it('goes by a configuration change at once', async () => {
    const { sender, d } = await setup();
    d.start();
    await d.idle();
    await storage.transaction((tx) =>
      tx.callbackConfig.set(APP, { url: 'https://moved.example.com/x', commands: ['Call.CallbackAfterMemberChanged'] }),
    );
    d.configChanged(APP);
    await add(['a']);
    d.wake();
    await sender.waitFor(1);
    expect(sender.sent[0]!.origin).toBe('https://moved.example.com');
    expect(sender.sent[0]!.path).toBe('/x');
  });

  it('closes the sender at stop', async () => {
    const { sender, d } = await setup();
    d.start();
    await d.stop();
    dispatcher = undefined;
    expect(sender.closed).toBe(true);
  });
});
