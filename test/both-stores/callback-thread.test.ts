/**
 * Callback requests sent from a thread of their own (the default): callbacks go out signed with
 * the app's current webhook secret, retried and counted at /metrics as before; a thread that dies
 * is replaced and what it held is retried; `callbackThread: false` sends from the main thread.
 */
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { ThreadSender } from '../../src/adapters/http/thread-sender.js';
import { UndiciSender } from '../../src/adapters/http/undici-sender.js';
import { createLogger } from '../../src/logger.js';
import { connectUser } from '../helpers/client.js';
import { ALL_COMMANDS } from '../helpers/harness.js';
import { Receiver } from '../helpers/receiver.js';
import { rest } from '../helpers/rest.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

let t: TestServer | undefined;
let receiver: Receiver | undefined;
afterEach(async () => {
  await t?.close();
  await receiver?.close();
  t = undefined;
  receiver = undefined;
});

/** A server logging at info into `lines`, with its callbacks pointed at a fresh receiver. */
async function serverWithReceiver(lines: string[] = [], config: { callbackThread?: boolean } = {}) {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  t = await startServer({ config: { logLevel: 'info', ...config }, overrides: { log: createLogger('info', sink) } });
  receiver = await new Receiver().start();
  await rest(t, 'call_config/set_callback', { Url: receiver.url, CallbackCommandList: ALL_COMMANDS });
  return { t, receiver };
}

describe('callback sending thread', () => {
  it('delivers signed with the current webhook secret, counts attempts at /metrics and logs through the server', async () => {
    const lines: string[] = [];
    const { t, receiver } = await serverWithReceiver(lines);
    expect(t.server.callbackSender).toBeInstanceOf(ThreadSender);
    // A rotation made after the thread started reaches it before the next callback.
    const rotated = await rest(t, 'call_config/rotate_webhook_secret', {});
    expect(rotated.ErrorCode).toBe(0);
    const secret = t.server.apps.get(t.sdkAppId)!.webhookSecret;

    receiver.answer = (cb) =>
      cb.query.get('CallbackCommand') === 'Call.CallbackAfterStartCall' && receiver!.received.length === 1 ? { status: 500 } : undefined;
    await rest(t, 'call_config/set_delivery_policy', { RetryScheduleSeconds: [0.1] });
    const alice = await connectUser(t, 'alice');
    const reply = await alice.request('calls', { userIdList: ['bob'], mediaType: 'Audio' });
    expect(reply.ok).toBe(true);
    const [first, second] = await receiver.waitForCount(2);
    await t.server.dispatcher.idle();
    alice.close();

    const headers = (cb: typeof first) =>
      Object.fromEntries(['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((h) => [h, String(cb!.headers[h])]));
    expect(() => new StandardWebhook(secret).verify(second!.rawBody, headers(second))).not.toThrow();
    expect(first!.headers['webhook-id']).toBe(second!.headers['webhook-id']);

    const text = await (await fetch(`${t.url}/metrics`)).text();
    expect(text).toContain(`dialtone_callback_attempts_total{command="Call.CallbackAfterStartCall"} 2`);
    expect(text).toContain(`dialtone_callbacks_retried_total{command="Call.CallbackAfterStartCall"} 1`);
    expect(text).toContain(`dialtone_callbacks_delivered_total{command="Call.CallbackAfterStartCall"} 1`);
    const failed = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'callback attempt failed; will retry');
    expect(failed).toMatchObject({ level: 40, component: 'callbacks', httpStatus: 500, sdkAppId: t.sdkAppId });
  });

  it('replaces a thread that died, and delivers what was committed meanwhile', async () => {
    const lines: string[] = [];
    const { t, receiver } = await serverWithReceiver(lines);
    // The test reaches into the sender for its thread: nothing outside can make it die.
    await (t.server.callbackSender as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    const alice = await connectUser(t, 'alice');
    expect((await alice.request('calls', { userIdList: ['bob'], mediaType: 'Audio' })).ok).toBe(true);
    await receiver.waitForCount(1, 'Call.CallbackAfterStartCall', 10_000);
    alice.close();
    await waitFor(
      () => lines.some((l) => l.includes('the callback sending thread exited; starting another')),
      5000,
      'the restart to be logged',
    );
  });

  it('sends from the main thread when callbackThread is off', async () => {
    const { t, receiver } = await serverWithReceiver([], { callbackThread: false });
    expect(t.server.callbackSender).toBeInstanceOf(UndiciSender);
    const alice = await connectUser(t, 'alice');
    expect((await alice.request('calls', { userIdList: ['bob'], mediaType: 'Audio' })).ok).toBe(true);
    await receiver.waitForCount(1, 'Call.CallbackAfterStartCall');
    alice.close();
  });
});
