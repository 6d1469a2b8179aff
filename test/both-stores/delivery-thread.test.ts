/**
 * Callback delivery on a thread of its own (the default): callbacks go out signed with the
 * app's current webhook secret, the thread's attempts count at /metrics and its log lines reach
 * the server's log, a thread that dies is started again and delivers what came meanwhile, and
 * `deliveryThread: false` keeps delivery on the main thread.
 */
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Dispatcher } from '../../src/app/delivery/dispatcher.js';
import { ThreadedDelivery } from '../../src/delivery-thread/threaded-delivery.js';
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
async function serverWithReceiver(lines: string[] = [], config: { deliveryThread?: boolean } = {}) {
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

describe('callback delivery thread', () => {
  it('delivers signed with the current webhook secret, counts attempts at /metrics and logs through the server', async () => {
    const lines: string[] = [];
    const { t, receiver } = await serverWithReceiver(lines);
    expect(t.server.dispatcher).toBeInstanceOf(ThreadedDelivery);
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
    const app = `sdkappid="${t.sdkAppId}"`;
    expect(text).toContain(`dialtone_callback_attempts_total{${app},command="Call.CallbackAfterStartCall"} 2`);
    expect(text).toContain(`dialtone_callbacks_retried_total{${app},command="Call.CallbackAfterStartCall"} 1`);
    expect(text).toContain(`dialtone_callbacks_delivered_total{${app},command="Call.CallbackAfterStartCall"} 1`);
    const failed = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'callback attempt failed; will retry');
    expect(failed).toMatchObject({ level: 40, component: 'callbacks', httpStatus: 500, sdkAppId: t.sdkAppId });
  });

  it('starts a thread that died again, and delivers what was committed meanwhile', async () => {
    const lines: string[] = [];
    const { t, receiver } = await serverWithReceiver(lines);
    const delivery = t.server.dispatcher as ThreadedDelivery;
    // The test reaches into the proxy for its thread: nothing outside can make it die.
    await (delivery as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    const alice = await connectUser(t, 'alice');
    expect((await alice.request('calls', { userIdList: ['bob'], mediaType: 'Audio' })).ok).toBe(true);
    await receiver.waitForCount(1, 'Call.CallbackAfterStartCall', 10_000);
    alice.close();
    await waitFor(
      () => lines.some((l) => l.includes('the callback delivery thread exited; starting it again in a second')),
      5000,
      'the restart to be logged',
    );
  });

  it('runs on the main thread when deliveryThread is off', async () => {
    const { t, receiver } = await serverWithReceiver([], { deliveryThread: false });
    expect(t.server.dispatcher).toBeInstanceOf(Dispatcher);
    const alice = await connectUser(t, 'alice');
    expect((await alice.request('calls', { userIdList: ['bob'], mediaType: 'Audio' })).ok).toBe(true);
    await receiver.waitForCount(1, 'Call.CallbackAfterStartCall');
    alice.close();
  });
});
