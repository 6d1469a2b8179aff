/**
 * A {@link CallbackSender} whose HTTP requests are made on a thread of their own (an
 * {@link UndiciSender} there). Under load the main event loop's turns grow to tens of
 * milliseconds; an attempt sent and answered on that loop waits for them, so a receiver's share
 * of attempts in flight turns over slowly and delivery falls behind the calls. On its own thread
 * an attempt takes the receiver's time, and its sockets, HTTP parsing and timers cost the main
 * loop nothing but two messages per batch.
 *
 * The thread runs the compiled module (`dist/adapters/http/sender-thread.js`, made by
 * `npm run build`): this one sits three levels below the package root in src/ and dist/ alike.
 * If the thread dies, the attempts it held come back as failed (and are retried by their
 * policy, nothing lost) and a new thread is started.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { CallbackRequest, CallbackResponse, CallbackSender } from '../../app/ports.js';
import type { FromSenderThread, SenderThreadData, ToSenderThread } from './thread-messages.js';

const THREAD = new URL('../../../dist/adapters/http/sender-thread.js', import.meta.url);

/** {@link ThreadSender} settings. */
export interface ThreadSenderOptions extends SenderThreadData {
  log: Logger;
}

/** Sends callback requests from a worker thread. */
export class ThreadSender implements CallbackSender {
  private worker!: Worker;
  private readonly waiting = new Map<number, (r: CallbackResponse) => void>();
  private batch: { id: number; request: CallbackRequest }[] = [];
  private nextId = 1;
  private closing: Promise<void> | undefined;

  private constructor(private readonly opts: ThreadSenderOptions) {}

  /** Starts the thread; resolves once it is ready to send. */
  static async open(opts: ThreadSenderOptions): Promise<ThreadSender> {
    const sender = new ThreadSender(opts);
    await sender.spawn();
    return sender;
  }

  send(request: CallbackRequest): Promise<CallbackResponse> {
    if (this.closing) return Promise.resolve({ error: 'the sender is closed', latencyMs: 0 });
    const id = this.nextId++;
    // The dispatcher starts its attempts in one synchronous run: they leave in one message.
    if (this.batch.length === 0) queueMicrotask(() => this.flush());
    this.batch.push({ id, request });
    return new Promise((resolve) => this.waiting.set(id, resolve));
  }

  /** Ends the thread once the requests in flight have been answered; idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    this.flush();
    const closed = new Promise<void>((resolve) => {
      const onMessage = (m: FromSenderThread) => {
        if (m.t === 'closed') resolve();
      };
      this.worker.on('message', onMessage);
      this.worker.once('exit', () => resolve());
    });
    this.post({ t: 'close' });
    await closed;
    await this.worker.terminate();
  }

  private flush(): void {
    if (this.batch.length === 0) return;
    const requests = this.batch;
    this.batch = [];
    this.post({ t: 'send', requests });
  }

  private post(m: ToSenderThread): void {
    this.worker.postMessage(m);
  }

  private spawn(): Promise<void> {
    const { log, ...data } = this.opts;
    const worker = new Worker(THREAD, { workerData: data });
    this.worker = worker;
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      worker.on('message', (m: FromSenderThread) => {
        if (m.t === 'ready') {
          ready = true;
          resolve();
        } else if (m.t === 'answers') {
          for (const { id, response } of m.answers) {
            this.waiting.get(id)?.(response);
            this.waiting.delete(id);
          }
        }
      });
      worker.on('error', (err) => {
        if (!ready) reject(err);
        else log.error({ err }, 'the callback sending thread failed');
      });
      worker.on('exit', (code) => {
        // What it held was sent or not: a failed attempt is retried by its policy.
        for (const resolve of this.waiting.values()) resolve({ error: `the callback sending thread stopped (${code})`, latencyMs: 0 });
        this.waiting.clear();
        if (!ready || this.closing) return;
        log.error({ code }, 'the callback sending thread exited; starting another');
        void this.spawn().catch((err: unknown) => log.error({ err }, 'could not start another callback sending thread'));
      });
    });
  }
}
