/**
 * The thread behind {@link ThreadSender}: an {@link UndiciSender} on an event loop that does
 * nothing else, with the apps' shares of their receivers ({@link AppShares}) kept here, where
 * requests turn around in the receiver's time. Requests come in batches and answers go back in
 * batches, one message per turn each way, since thousands of messages a second would cost the
 * main thread more than they save.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { CallbackResponse } from '../../app/ports.js';
import { DestinationPolicy } from '../../callbacks/destination.js';
import type { SenderThreadData, ToSenderThread, FromSenderThread } from './thread-messages.js';
import { AppShares } from './app-shares.js';
import { UndiciSender } from './undici-sender.js';

const port = parentPort!;
const data = workerData as SenderThreadData;
const shares = new AppShares(data.perAppInFlight, data.maxInFlight);
const sender = new UndiciSender({
  timeoutMs: data.timeoutMs,
  connections: data.maxInFlight,
  destinations: new DestinationPolicy({ allow: data.callbackAllow, allowLoopback: data.allowLoopback }),
});

let answers: { id: number; response: CallbackResponse }[] = [];
function flush(): void {
  const message: FromSenderThread = { t: 'answers', answers };
  answers = [];
  port.postMessage(message);
}

port.on('message', (m: ToSenderThread) => {
  if (m.t === 'send') {
    for (const { id, request } of m.requests) {
      void shares.run(request.sdkAppId, async () => {
        const response = await sender.send(request);
        if (answers.length === 0) setImmediate(flush);
        answers.push({ id, response });
      });
    }
  } else {
    void sender.close().then(() => {
      if (answers.length > 0) flush();
      port.postMessage({ t: 'closed' } satisfies FromSenderThread);
      port.close();
    });
  }
});
port.postMessage({ t: 'ready' } satisfies FromSenderThread);
