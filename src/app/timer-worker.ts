/**
 * Fires server timers (ring timeouts, heartbeat expiry) from storage, so they survive a restart.
 * Due timers are claimed under a lease and each arming fires once.
 */
import type { Logger } from 'pino';
import type { Clock, DueTimer, QuarantineObserver, Storage } from './ports.js';
import { reportQuarantined } from './quarantine.js';

/** Dependencies of {@link TimerWorker}. */
export interface TimerWorkerDeps {
  storage: Storage;
  clock: Clock;
  log: Logger;
  fire: (timer: DueTimer) => Promise<void>;
  /** Told about timer rows the claims quarantined (metrics). */
  quarantine?: QuarantineObserver;
  /** Told how late each timer fired, seconds after it was due (metrics). */
  lateness?: (seconds: number) => void;
  /** How long a claim holds before another worker may take the timer, ms. Default 30000. */
  leaseMs?: number;
  /**
   * Longest sleep, ms: the store is looked at again at least this often for timers other
   * processes armed or left behind. Default 60000.
   */
  maxSleepMs?: number;
}

/** Claims and fires due timers; sleeps until the next one is due. */
export class TimerWorker {
  private timer: NodeJS.Timeout | undefined;
  /** Unix ms (injected clock) the sleep ends; Infinity when none is armed. */
  private sleepUntil = Infinity;
  private running: Promise<number> | undefined;
  private again = false;
  private stopped = true;
  /** Set by stop() (not before start(), so runDue() works on a worker never started): the claim loop ends at its next turn. */
  private halted = false;

  constructor(private readonly deps: TimerWorkerDeps) {}

  /** Between {@link start} and {@link stop}. */
  get started(): boolean {
    return !this.stopped;
  }

  start(): void {
    this.stopped = false;
    this.halted = false;
    this.wake();
  }

  /** Stops claiming; resolves once the batch being fired (if any) is done. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.halted = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /**
   * A commit armed a timer due at `dueAt` (unix ms). A timer due later than the current sleep
   * ends changes nothing, and one due earlier only shortens the sleep: no store query either way,
   * which matters because every call start arms one.
   */
  armed(dueAt: number): void {
    if (this.stopped) return;
    const now = this.deps.clock.now();
    if (dueAt <= now || this.running) return this.wake();
    if (dueAt < this.sleepUntil) this.sleep(dueAt - now);
  }

  /** Looks for due timers now (when the sleep ends, or when told to). */
  wake(): void {
    if (this.stopped) return;
    void this.runDue().catch((err: unknown) => {
      this.deps.log.error({ err }, 'timer worker failed; trying again in 1 s');
      this.sleep(1_000);
    });
  }

  /** Fires every timer due now; resolves to how many fired. Tests call it after moving the clock. */
  runDue(): Promise<number> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.loop().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async loop(): Promise<number> {
    let fired = 0;
    // A wake() that lands while this runs (even while arming the sleep) loops once more.
    this.again = true;
    while (this.again && !this.halted) {
      this.again = false;
      // Stopping ends this between claims, once the claimed batch is fired.
      while (!this.halted) {
        const now = this.deps.clock.now();
        const { timers: due, quarantined } = await this.deps.storage.transaction((tx) =>
          tx.timers.claimDue(now, now + (this.deps.leaseMs ?? 30_000), 100),
        );
        reportQuarantined(this.deps.log, this.deps.quarantine, quarantined);
        // A claim of nothing but quarantined rows set them aside for good: claim again, so the
        // good timers behind them still fire in this wake.
        if (due.length === 0 && quarantined.length === 0) break;
        for (const t of due) {
          try {
            this.deps.lateness?.(Math.max(0, this.deps.clock.now() - t.dueAt) / 1000);
            await this.deps.fire(t);
            fired++;
          } catch (err) {
            // The lease runs out and the timer is tried again.
            this.deps.log.error({ err, callId: t.callId, kind: t.kind }, 'timer failed');
          }
        }
      }
      if (!this.again && !this.stopped) await this.sleepUntilNext();
    }
    return fired;
  }

  private async sleepUntilNext(): Promise<void> {
    const next = await this.deps.storage.transaction((tx) => tx.timers.nextDueAt());
    if (this.timer) clearTimeout(this.timer);
    this.sleepUntil = Infinity;
    if (next !== undefined) this.sleep(next - this.deps.clock.now());
  }

  private sleep(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    // Re-checked at least this often: a claim lease of a crashed worker runs out unannounced.
    const delay = Math.min(Math.max(0, ms), this.deps.maxSleepMs ?? 60_000);
    this.sleepUntil = this.deps.clock.now() + delay;
    this.timer = setTimeout(() => {
      this.sleepUntil = Infinity;
      this.wake();
    }, delay + 5);
    this.timer.unref();
  }
}
