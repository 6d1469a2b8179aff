/**
 * The claim loop of the delivery worker (as BullMQ's lock and timer managers): claims due
 * outbox rows under a lease when woken, keeps the leases of what is held alive, and wakes itself
 * at the next due time it knows of and every `recheckMs` for rows no one told it about.
 *
 * Under load every commit wakes it: claiming at once each time would mean one claim (a
 * transaction and two queries) per commit. A short pause (`claimGapMs`) lets the commits of a
 * few milliseconds share one claim; a claim that hit its limit goes on without one.
 */
import type { Logger } from 'pino';
import type { Clock, Storage } from '../ports.js';

/** How much to claim: at most `limit` rows, none of the apps in `skip`. */
export interface ClaimRoom {
  limit: number;
  skip: number[];
}

/** {@link ClaimLoop} dependencies and settings. */
export interface ClaimLoopOptions {
  storage: Storage;
  clock: Clock;
  log: Logger;
  /** How long a claim holds, ms; held claims are renewed every third of it (at least every 100 ms). */
  leaseMs: number;
  /** How often the store is looked at for rows this process was not told about, ms. */
  recheckMs: number;
  /** Least time between two claims that did not hit their limit, ms (real time). */
  claimGapMs: number;
  /** How much to claim now, or undefined when enough is in hand. */
  room: () => ClaimRoom | undefined;
  /**
   * Claims due rows within `room`, leased until `leaseUntil` (unix ms), and takes them in hand;
   * resolves true when the claim stopped at its limit (more may be due).
   */
  claim: (room: ClaimRoom, now: number, leaseUntil: number) => Promise<boolean>;
  /** Seqs of the claimed rows held, whose leases are to be kept alive. */
  held: () => number[];
  /** After each run of the loop (to tell waiters for idleness). */
  ended?: () => void;
}

/** Longest sleep of the wake-up timer, ms: the store's next due time is looked at again this often. */
const MAX_SLEEP_MS = 60_000;
/** Wait before trying again after a claim failed, ms. */
const RETRY_CLAIM_MS = 1_000;

/** Claims due rows when woken, and renews the leases of held ones. */
export class ClaimLoop {
  private stopped = true;
  /** A run is under way; {@link again} asks it to go round once more. */
  private running = false;
  private again = false;
  /** Something may have become claimable since the last claim (new rows, a timer, an app with room again). */
  private dirty = true;
  /** performance.now() of the last claim's start. */
  private lastClaimAt = -Infinity;
  /** The last claim stopped at its limit: the next one follows without a pause. */
  private continuing = false;
  /** The store's next due time has been looked at since the last wake-up by timer or re-check. */
  private dueTimeKnown = false;
  private timer: NodeJS.Timeout | undefined;
  /** Unix ms the timer fires; Infinity when none is armed. */
  private timerAt = Infinity;
  private recheck: NodeJS.Timeout | undefined;
  private renewer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: ClaimLoopOptions) {}

  /** True while a run is under way. */
  get busy(): boolean {
    return this.running;
  }

  /** Starts the re-check and the lease renewal, and claims what is due now. */
  start(): void {
    this.stopped = false;
    // Claims of a crashed process run out unannounced: look at the store again regularly.
    this.recheck = setInterval(() => {
      this.dueTimeKnown = false;
      this.wake();
    }, this.opts.recheckMs);
    this.recheck.unref();
    this.renewer = setInterval(() => void this.renewLeases(), Math.max(100, Math.floor(this.opts.leaseMs / 3)));
    this.renewer.unref();
    this.wake();
  }

  /** Stops claiming and renewing; a run under way ends at its next turn. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.recheck) clearInterval(this.recheck);
    if (this.renewer) clearInterval(this.renewer);
  }

  /** Something may be claimable: claim soon. */
  wake(): void {
    this.dirty = true;
    this.kick();
  }

  /** Something may be claimable, to be looked at on the next run (not starting one). */
  markDirty(): void {
    this.dirty = true;
  }

  /** Runs the loop if something may be claimable and it is not running; a run under way goes round once more. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    void this.run();
  }

  /** Wakes at `at` (unix ms) unless already due to wake earlier. */
  armAt(at: number): void {
    if (at >= this.timerAt && this.timer) return;
    this.arm(at - this.opts.clock.now());
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      // A kick that lands while this runs (even while arming the timer) loops once more.
      this.again = true;
      while (this.again && !this.stopped) {
        this.again = false;
        if (!this.dirty) break;
        // Enough in hand: claim again when settlements make room.
        const room = this.opts.room();
        if (room === undefined) break;
        const gap = this.lastClaimAt + this.opts.claimGapMs - performance.now();
        if (gap > 0 && !this.continuing) await new Promise((r) => setTimeout(r, gap));
        if (this.stopped) break;
        this.dirty = false;
        this.lastClaimAt = performance.now();
        const now = this.opts.clock.now();
        const limited = await this.opts.claim(room, now, now + this.opts.leaseMs);
        this.continuing = limited;
        if (limited) {
          this.dirty = true;
          this.again = true;
        } else if (!this.dueTimeKnown) {
          // Future due times are known in memory once running (retries this worker set); the
          // store is asked only once, for what an earlier run left, and by the re-check.
          this.dueTimeKnown = true;
          await this.armFromStore();
        }
      }
    } catch (err) {
      this.opts.log.error({ err }, 'callback dispatcher could not claim due callbacks');
      this.dirty = true;
      if (!this.stopped) this.arm(RETRY_CLAIM_MS);
    } finally {
      this.running = false;
      this.opts.ended?.();
    }
  }

  /** Keeps the claims of held rows alive, so no other process takes them while they wait here. */
  private async renewLeases(): Promise<void> {
    const seqs = this.opts.held();
    if (seqs.length === 0 || this.stopped) return;
    try {
      await this.opts.storage.transaction((tx) => tx.outbox.extendLeases(seqs, this.opts.clock.now() + this.opts.leaseMs));
    } catch (err) {
      this.opts.log.error({ err, count: seqs.length }, 'could not renew callback claims');
    }
  }

  private async armFromStore(): Promise<void> {
    const next = await this.opts.storage.transaction((tx) => tx.outbox.nextDueAt(this.opts.clock.now()));
    if (next !== undefined) this.armAt(next);
  }

  private arm(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    const delay = Math.min(Math.max(0, delayMs), MAX_SLEEP_MS);
    this.timerAt = this.opts.clock.now() + delay;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.dueTimeKnown = false;
      this.wake();
    }, delay + 1);
    this.timer.unref();
  }
}
