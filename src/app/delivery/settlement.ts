/**
 * Records what became of claimed callbacks in batches: attempt outcomes, cancellations and
 * entries given back unattempted are committed in one transaction per turn of the event loop,
 * rather than one transaction per attempt. One flush at a time: what finishes meanwhile waits
 * for the next, so batches grow with the load.
 */
import type { Logger } from 'pino';
import type { Cancellation, Clock, Settlement, Storage } from '../ports.js';

/** One committed (or failed) batch, as handed to {@link SettlementBatchOptions.flushed}. */
export interface FlushedBatch {
  settled: readonly Settlement[];
  cancelled: readonly (Cancellation & { id: string })[];
  released: readonly string[];
  /** {@link SettlementBatch.unblock} was called for something in this batch. */
  unblocks: boolean;
}

/** {@link SettlementBatch} dependencies. */
export interface SettlementBatchOptions {
  storage: Storage;
  clock: Clock;
  log: Logger;
  /**
   * After each batch's transaction, committed or not (a batch that could not be recorded is
   * sent again once its leases run out: at least once, never lost). Still counted as busy.
   */
  flushed: (batch: FlushedBatch) => void;
  /** After each flush, once no longer busy with it (to tell waiters for idleness). */
  ended?: () => void;
  /** Runs a flush on a later turn of the event loop. Default `setImmediate`. */
  defer?: (fn: () => void) => void;
}

/** Collects settlements, cancellations and releases, and commits them in batches. */
export class SettlementBatch {
  private settling: Settlement[] = [];
  private cancelling: (Cancellation & { id: string })[] = [];
  private releasing: string[] = [];
  /** Set when something in the pending batch ends a chain: see {@link unblock}. */
  private unblocking = false;
  private scheduled = false;
  private flushing = false;
  private readonly defer: (fn: () => void) => void;

  constructor(private readonly opts: SettlementBatchOptions) {
    this.defer = opts.defer ?? ((fn) => void setImmediate(fn));
  }

  /** Records an attempt's outcome. */
  settle(s: Settlement): void {
    this.settling.push(s);
    this.schedule();
  }

  /** Records a cancellation (the entry is not sent). */
  cancel(c: Cancellation & { id: string }): void {
    this.cancelling.push(c);
    this.schedule();
  }

  /** Gives entries back to the outbox unattempted. */
  release(ids: readonly string[]): void {
    for (const id of ids) this.releasing.push(id);
    this.schedule();
  }

  /** Marks the pending batch as one whose commit may make held-back rows claimable. */
  unblock(): void {
    this.unblocking = true;
  }

  /** True while something is waiting to be recorded or being recorded. */
  get busy(): boolean {
    return this.flushing || this.pending;
  }

  private get pending(): boolean {
    return this.settling.length > 0 || this.cancelling.length > 0 || this.releasing.length > 0;
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    this.defer(() => void this.flush());
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    this.flushing = true;
    try {
      await this.flushOnce();
    } finally {
      this.flushing = false;
    }
    if (this.pending) this.schedule();
    this.opts.ended?.();
  }

  private async flushOnce(): Promise<void> {
    const settled = this.settling;
    const cancelled = this.cancelling;
    const released = this.releasing;
    const unblocks = this.unblocking;
    this.settling = [];
    this.cancelling = [];
    this.releasing = [];
    this.unblocking = false;
    if (settled.length === 0 && cancelled.length === 0 && released.length === 0) return;
    try {
      await this.opts.storage.transaction(async (tx) => {
        await tx.outbox.settle(settled);
        if (cancelled.length > 0) await tx.outbox.cancel(cancelled, this.opts.clock.now());
        await tx.outbox.release(released);
      });
    } catch (err) {
      // Their leases run out and they are sent again: at least once, never lost.
      this.opts.log.error({ err, count: settled.length }, 'could not record callback attempts');
    }
    this.opts.flushed({ settled, cancelled, released, unblocks });
  }
}
