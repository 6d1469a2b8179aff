/**
 * The main thread's end of the callback delivery thread: a {@link CallbackDelivery} that forwards
 * wake-ups and configuration changes to the thread, answers `idle`, `prune` and `stop` from it,
 * and takes its attempts into this process's metrics and its log lines into this process's log.
 *
 * The thread runs the compiled dispatcher (`dist/delivery-thread/worker.js`, made by
 * `npm run build`): this module sits two levels below the package root in src/ and dist/ alike.
 * If the thread dies it is started again a second later; what it had claimed is given back when
 * its leases run out.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { App, DeliveryObserver, QuarantineObserver } from '../app/ports.js';
import type { CallbackDelivery } from '../app/delivery/dispatcher.js';
import type { DeliveryThreadData, FromDelivery, ToDelivery } from './messages.js';

const WORKER = new URL('../../dist/delivery-thread/worker.js', import.meta.url);
const RESTART_AFTER_MS = 1000;

/** What the thread reports to. */
export interface ThreadedDeliveryOptions {
  data: DeliveryThreadData;
  log: Logger;
  observer: DeliveryObserver;
  quarantine: QuarantineObserver;
}

/** Callback delivery on a worker thread. */
export class ThreadedDelivery implements CallbackDelivery {
  private worker!: Worker;
  private readonly pending = new Map<number, { resolve: (v: number) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private started = false;
  private stopping = false;
  private wakePending = false;
  private stopped: Promise<void> | undefined;
  private alive = false;
  private apps: App[];

  private constructor(private readonly opts: ThreadedDeliveryOptions) {
    this.apps = opts.data.apps;
  }

  /** Starts the thread and resolves once its store is open. */
  static async open(opts: ThreadedDeliveryOptions): Promise<ThreadedDelivery> {
    const delivery = new ThreadedDelivery(opts);
    await delivery.spawn();
    return delivery;
  }

  start(): void {
    this.started = true;
    this.post({ t: 'start' });
  }

  // Idempotent, as the in-thread dispatcher's: a server may be closed twice.
  stop(): Promise<void> {
    this.stopped ??= this.stopThread();
    return this.stopped;
  }

  private async stopThread(): Promise<void> {
    this.stopping = true;
    await this.request('stop').catch((err: unknown) => this.opts.log.error({ err }, 'the delivery thread did not stop cleanly'));
    await this.worker.terminate();
  }

  async idle(): Promise<void> {
    await this.request('idle');
  }

  async prune(): Promise<number> {
    return this.request('prune');
  }

  configChanged(sdkAppId: number): void {
    this.flushWake();
    this.post({ t: 'config', sdkAppId });
  }

  // Commits resolve in bursts (a group commit resolves all its transactions at once): one
  // message per burst is enough to wake the thread.
  wake(): void {
    if (this.wakePending) return;
    this.wakePending = true;
    queueMicrotask(() => this.flushWake());
  }

  /** Hands the thread the apps as they are now (their webhook secrets sign the callbacks). */
  appsChanged(apps: App[]): void {
    // A thread started again later starts from these.
    this.apps = apps;
    this.post({ t: 'apps', apps });
  }

  private flushWake(): void {
    if (!this.wakePending) return;
    this.wakePending = false;
    this.post({ t: 'wake' });
  }

  private post(m: ToDelivery): void {
    this.worker.postMessage(m);
  }

  private request(t: 'idle' | 'prune' | 'stop'): Promise<number> {
    this.flushWake();
    const id = this.nextId++;
    return new Promise<number>((resolve, reject) => {
      if (!this.alive) return reject(new Error('the callback delivery thread is not running'));
      this.pending.set(id, { resolve, reject });
      this.post({ t, id });
    });
  }

  private spawn(): Promise<void> {
    const worker = new Worker(WORKER, { workerData: { ...this.opts.data, apps: this.apps } });
    this.worker = worker;
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      worker.on('message', (m: FromDelivery) => {
        if (m.t === 'ready') {
          ready = true;
          this.alive = true;
          resolve();
        } else if (m.t === 'failed') reject(new Error(`the callback delivery thread could not start: ${m.error}`));
        else this.received(m);
      });
      worker.on('error', (err) => {
        if (!ready) reject(err);
        else this.opts.log.error({ err }, 'the callback delivery thread failed');
      });
      worker.on('exit', (code) => {
        this.alive = false;
        for (const p of this.pending.values()) p.reject(new Error(`the callback delivery thread exited (${code})`));
        this.pending.clear();
        if (!ready || this.stopping) return;
        this.opts.log.error({ code }, 'the callback delivery thread exited; starting it again in a second');
        setTimeout(() => void this.respawn(), RESTART_AFTER_MS).unref();
      });
    });
  }

  private async respawn(): Promise<void> {
    if (this.stopping) return;
    try {
      await this.spawn();
      if (this.started) this.start();
    } catch (err) {
      this.opts.log.error({ err }, 'could not start the callback delivery thread again');
      setTimeout(() => void this.respawn(), RESTART_AFTER_MS).unref();
    }
  }

  private received(m: Exclude<FromDelivery, { t: 'ready' | 'failed' }>): void {
    switch (m.t) {
      case 'log':
        return relog(this.opts.log, m.line);
      case 'attempted':
        for (const r of m.reports) this.opts.observer.attempted(r.sdkAppId, r.command, r.outcome, r.retryAt, r.createdAt);
        return;
      case 'quarantined':
        return this.opts.quarantine.quarantined(m.rows);
      case 'reply': {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (m.error !== undefined) p?.reject(new Error(m.error));
        else p?.resolve(m.value ?? 0);
      }
    }
  }
}

const LEVELS: Record<number, 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

/** Logs one of the thread's pino lines again through this process's logger, at its level. */
function relog(log: Logger, line: string): void {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return;
  }
  const { level, msg, ...fields } = record;
  const method = LEVELS[typeof level === 'number' ? level : 30] ?? 'info';
  log[method](fields, typeof msg === 'string' ? msg : '');
}
