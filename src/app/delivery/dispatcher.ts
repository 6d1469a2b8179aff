/**
 * Delivers callbacks from the outbox (SPEC §3.1, §6). Rows are committed with the call change
 * that causes them; the dispatcher is woken right after each commit and at retry deadlines,
 * claims due rows under a lease, sends them through the {@link CallbackSender} and records every
 * attempt. It composes the parts, each with one job:
 *
 * - {@link ClaimLoop}: claims under leases, renews them, wakes at due times;
 * - {@link OriginQueue}: per-call chains, per-app shares and fair turns (isolation);
 * - {@link AppSettings}: the current configuration decides (SPEC §6): each callback goes to the
 *   URL the app has configured when it is sent, and one whose command is no longer switched on
 *   is cancelled unsent;
 * - prepare → send → judge ({@link prepareRequest}, the sender, {@link outcomeOf});
 * - {@link SettlementBatch}: outcomes recorded in batches, one transaction per turn of the event
 *   loop rather than one per attempt.
 *
 * Signalling never waits on any of this.
 */
import type { Logger } from 'pino';
import { defaultPolicy, nextAttemptAt, type DeliveryPolicy } from '../../callbacks/policy.js';
import type { AttemptOutcome, CallbackSender, Clock, DeliveryObserver, OutboxEntry, QuarantineObserver, Storage } from '../ports.js';
import { reportQuarantined } from '../quarantine.js';
import { AppSettings, type AppDelivery } from './app-settings.js';
import { describeError } from '../../callbacks/describe-error.js';
import { outcomeOf, prepareRequest } from './attempt.js';
import { ClaimLoop, type ClaimRoom } from './claim-loop.js';
import { OriginQueue, type Turn } from './origin-queue.js';
import { SettlementBatch, type FlushedBatch } from './settlement.js';

/** Dispatcher settings. */
export interface DispatcherOptions {
  storage: Storage;
  clock: Clock;
  log: Logger;
  /** Sends the requests (the undici adapter in production). */
  sender: CallbackSender;
  /** The secrets that sign an app's callbacks now (current first); empty when the app is gone. */
  webhookSecretsOf: (sdkAppId: number, now: number) => string[];
  /** Attempt timeout of apps without their own policy, ms. Default 2000. */
  timeoutMs?: number;
  /** Most attempts in flight at once, all receivers together. Default 512. */
  maxInFlight?: number;
  /**
   * Most attempts in flight per app: its share of the connections to its receiver origin.
   * Default 32.
   */
  perAppInFlight?: number;
  /** Delivered callbacks older than this are pruned, ms. Default 7 days. */
  retentionMs?: number;
  /**
   * How long a claim holds, ms. Claims held longer are renewed every third of this; a process
   * that dies stops renewing, and its claims go to the others when they run out. Default 5 min.
   */
  leaseMs?: number;
  /**
   * How often the store is looked at for rows this process was not told about (other processes'
   * rows whose claims ran out), ms. Default 60000.
   */
  recheckMs?: number;
  /** Least time between two claims that did not hit their limit, ms (real time). Default 2. */
  claimGapMs?: number;
  /** Source of jitter, in [0, 1). Default Math.random. */
  random?: () => number;
  observer?: DeliveryObserver;
  /** Told about outbox rows the claims quarantined (metrics). */
  quarantine?: QuarantineObserver;
}

/** Default claim lease, ms; renewed while held, so it bounds only how long a dead process's claims block. */
const LEASE_MS = 5 * 60_000;
const PRUNE_EVERY_MS = 3600_000;

/** What became of a claimed entry: an attempt under the settings it was made with, or a cancellation. */
type Sent = { outcome: AttemptOutcome; policy: DeliveryPolicy } | { cancelled: string };

/**
 * What the rest of the server asks of callback delivery: a {@link Dispatcher} on this thread, or
 * one on a thread of its own behind a proxy.
 */
export interface CallbackDelivery {
  /** Starts delivering, including rows left pending by an earlier run. */
  start(): void;
  /** Between {@link start} and {@link stop}. */
  readonly running: boolean;
  /** Stops claiming, lets attempts in flight finish and gives back what was claimed but not sent. */
  stop(): Promise<void>;
  /** Resolves once nothing is claimed, in flight or unrecorded. */
  idle(): Promise<void>;
  /** Forgets what was read of the app's callback settings: call after committing a change to them. */
  configChanged(sdkAppId: number): void;
  /** Looks for due rows now; call after committing new outbox rows. */
  wake(): void;
  /** Deletes delivered callbacks older than the retention; resolves to how many. */
  prune(): Promise<number>;
}

/** Sends outbox entries to app backends. */
export class Dispatcher implements CallbackDelivery {
  private readonly timeoutMs: number;
  private readonly random: () => number;
  private readonly settings: AppSettings;
  private readonly queue: OriginQueue;
  private readonly loop: ClaimLoop;
  private readonly batch: SettlementBatch;
  private stopped = true;
  private pruner: NodeJS.Timeout | undefined;
  private readonly idleWaiters: (() => void)[] = [];

  get running(): boolean {
    return !this.stopped;
  }

  constructor(private readonly opts: DispatcherOptions) {
    this.timeoutMs = opts.timeoutMs ?? 2000;
    this.random = opts.random ?? Math.random;
    this.settings = new AppSettings(opts.storage, opts.clock, this.timeoutMs);
    this.queue = new OriginQueue({ maxInFlight: opts.maxInFlight ?? 512, perAppInFlight: opts.perAppInFlight ?? 32 });
    this.loop = new ClaimLoop({
      storage: opts.storage,
      clock: opts.clock,
      log: opts.log,
      leaseMs: opts.leaseMs ?? LEASE_MS,
      recheckMs: opts.recheckMs ?? 60_000,
      claimGapMs: opts.claimGapMs ?? 2,
      room: () => this.queue.room(),
      claim: (room, now, leaseUntil) => this.claim(room, now, leaseUntil),
      held: () => this.queue.seqs(),
      ended: () => this.notifyIdle(),
    });
    this.batch = new SettlementBatch({
      storage: opts.storage,
      clock: opts.clock,
      log: opts.log,
      flushed: (b) => this.flushed(b),
      ended: () => this.notifyIdle(),
    });
  }

  /** Starts delivering, including rows left pending by an earlier run, and the retention pruning. */
  start(): void {
    this.stopped = false;
    this.pruner = setInterval(() => void this.prune(), PRUNE_EVERY_MS);
    this.pruner.unref();
    this.loop.start();
  }

  /** Stops claiming, lets attempts in flight finish and gives back what was claimed but not sent. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.loop.stop();
    if (this.pruner) clearInterval(this.pruner);
    this.batch.release(this.queue.close());
    await this.idle();
    await this.opts.sender.close();
  }

  /** Resolves once nothing is claimed, in flight or unrecorded. */
  async idle(): Promise<void> {
    while (this.busy()) await new Promise<void>((r) => this.idleWaiters.push(r));
  }

  /**
   * Forgets what was read of the app's callback configuration, token and policy: call after
   * committing a change to them, so that the next attempt (even of a callback claimed already)
   * goes by the change.
   */
  configChanged(sdkAppId: number): void {
    this.settings.changed(sdkAppId);
    this.wake();
  }

  /** Looks for due rows now; call after committing new outbox rows. */
  wake(): void {
    this.loop.wake();
  }

  /** Deletes delivered callbacks older than the retention; returns how many. */
  async prune(): Promise<number> {
    const before = this.opts.clock.now() - (this.opts.retentionMs ?? 7 * 24 * 3600_000);
    let total = 0;
    try {
      for (;;) {
        const n = await this.opts.storage.transaction((tx) => tx.outbox.pruneDelivered(before, 1000));
        total += n;
        if (n < 1000) break;
      }
      if (total > 0) this.opts.log.info({ pruned: total }, 'pruned delivered callbacks past retention');
    } catch (err) {
      this.opts.log.error({ err }, 'could not prune delivered callbacks');
    }
    return total;
  }

  private busy(): boolean {
    return this.queue.held > 0 || this.loop.busy || this.batch.busy;
  }

  /** Claims due rows (reading their apps' ordering in the same transaction), then holds and sends them. */
  private async claim(room: ClaimRoom, now: number, leaseUntil: number): Promise<boolean> {
    const { entries, limited, quarantined, ordering } = await this.opts.storage.transaction(async (tx) => {
      const got = await tx.outbox.claimDue(now, leaseUntil, room.limit, room.skip);
      const ordering = new Map<number, boolean>();
      for (const e of got.entries) {
        if (!ordering.has(e.sdkAppId)) ordering.set(e.sdkAppId, (await this.settings.inTx(tx, e.sdkAppId, now)).policy.ordering);
      }
      return { ...got, ordering };
    });
    reportQuarantined(this.opts.log, this.opts.quarantine, quarantined);
    if (this.stopped) {
      // Claimed while stopping: given back unsent, as stop() gave back what was queued.
      this.batch.release(entries.map((e) => e.id));
    } else {
      this.queue.hold(entries, (sdkAppId) => ordering.get(sdkAppId) ?? true);
      this.send();
    }
    return limited;
  }

  /** Starts attempts while the queue has turns to give. */
  private send(): void {
    for (let turn = this.queue.take(); turn; turn = this.queue.take()) {
      const t = turn;
      void this.sendOne(t.entry).then((sent) => this.completed(t, sent));
    }
  }

  /** Sends one entry under the app's settings as they are now, or cancels it when they no longer cover it. */
  private async sendOne(entry: OutboxEntry): Promise<Sent> {
    let settings: AppDelivery;
    try {
      settings = await this.settings.now(entry.sdkAppId);
    } catch (err) {
      const policy = defaultPolicy(this.timeoutMs);
      const at = this.opts.clock.now();
      return {
        outcome: { startedAt: at, latencyMs: 0, ok: false, error: `could not read the callback configuration: ${describeError(err)}` },
        policy,
      };
    }
    if (!settings.target) return { cancelled: 'cancelled: the app has no callback configuration' };
    if (!settings.commands.has(entry.command)) return { cancelled: `cancelled: ${entry.command} is not in the app's CallbackCommandList` };
    const startedAt = this.opts.clock.now();
    const prepared = prepareRequest(
      entry,
      {
        target: settings.target,
        token: settings.token,
        secrets: this.opts.webhookSecretsOf(entry.sdkAppId, startedAt),
        timeoutMs: settings.policy.timeoutMs,
      },
      startedAt,
    );
    if ('failed' in prepared) return { outcome: prepared.failed, policy: settings.policy };
    const response = await this.opts.sender.send(prepared.request);
    return { outcome: outcomeOf(response, startedAt), policy: settings.policy };
  }

  /** Records what became of the turn's entry and starts what can start next. */
  private completed(turn: Turn, sent: Sent): void {
    const { entry } = turn;
    let retryAt: number | undefined;
    if ('cancelled' in sent) {
      this.opts.log.info(
        { callbackId: entry.id, sdkAppId: entry.sdkAppId, callId: entry.callId, command: entry.command, reason: sent.cancelled },
        'callback cancelled',
      );
      this.batch.cancel({ id: entry.id, seq: entry.seq, reason: sent.cancelled });
    } else {
      const { outcome, policy } = sent;
      const attempts = entry.attempts - entry.resendBase + 1;
      retryAt = outcome.ok
        ? undefined
        : nextAttemptAt(
            policy,
            { attempts, httpStatus: outcome.httpStatus, retryAfterMs: outcome.retryAfterMs },
            this.opts.clock.now(),
            this.random,
          );
      const fields = {
        callbackId: entry.id,
        sdkAppId: entry.sdkAppId,
        callId: entry.callId,
        command: entry.command,
        attempt: entry.attempts + 1,
        httpStatus: outcome.httpStatus,
        latencyMs: Math.round(outcome.latencyMs),
      };
      if (outcome.ok) this.opts.log.debug(fields, 'callback delivered');
      else
        this.opts.log.warn(
          { ...fields, error: outcome.error, retryAt },
          retryAt ? 'callback attempt failed; will retry' : 'callback failed',
        );
      this.opts.observer?.attempted(entry.sdkAppId, entry.command, outcome, retryAt, entry.createdAt);
      this.batch.settle({ id: entry.id, seq: entry.seq, attempt: entry.attempts + 1, outcome, retryAt });
    }
    const { release, unblocks } = this.queue.finished(turn, retryAt);
    this.batch.release(release);
    if (unblocks) this.batch.unblock();
    this.send();
  }

  /** A batch was recorded: retries arm the timer, and what it freed may make rows claimable. */
  private flushed(b: FlushedBatch): void {
    if (b.unblocks) this.loop.markDirty();
    for (const sm of b.settled) if (sm.retryAt !== undefined) this.loop.armAt(sm.retryAt);
    const ids = [...b.settled.map((sm) => sm.id), ...b.cancelled.map((c) => c.id), ...b.released];
    if (this.queue.unhold(ids)) this.loop.markDirty();
    this.loop.kick();
    this.notifyIdle();
  }

  private notifyIdle(): void {
    if (!this.busy()) for (const w of this.idleWaiters.splice(0)) w();
  }
}
