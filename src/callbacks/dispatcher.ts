/**
 * Delivers callbacks from the outbox (SPEC §3.1, §6). Rows are committed with the call change
 * that causes them; the dispatcher is woken right after each commit and at retry deadlines,
 * claims due rows under a lease, POSTs them with undici and records every attempt.
 *
 * Isolation and fair sharing: each app has its own share of its receiver: a cap on attempts in
 * flight (below the connection pool of the origin, so other apps sending to the same origin
 * always find connections free) and a cap on rows held, past which its rows are skipped at claim
 * time. Apps take turns for the server-wide cap. A hanging receiver path therefore fills only its
 * own app's slots. Signalling never waits on any of this.
 *
 * The current configuration decides (SPEC §6): each callback goes to the URL the app has
 * configured when it is sent, and one whose command is no longer switched on is cancelled unsent.
 *
 * Throughput: attempt outcomes are settled in batches, one transaction per turn of the event
 * loop, rather than one transaction per attempt.
 */
import { Agent } from 'undici';
import type { Logger } from 'pino';
import type {
  AttemptOutcome,
  CallbackConfig,
  Cancellation,
  Clock,
  OutboxEntry,
  QuarantineObserver,
  QuarantinedRow,
  Settlement,
  Storage,
  Tx,
} from '../app/ports.js';
import { reportQuarantined } from '../app/quarantine.js';
import { callbackSign, webhookSignature } from '../auth/callback-sign.js';
import type { CallbackCommand } from '../domain/types.js';
import { DestinationRefusedError, safeConnector, type DnsLookup } from './connector.js';
import { DestinationPolicy, USER_INFO_REFUSAL } from './destination.js';
import { MAX_TIMEOUT_MS, defaultPolicy, nextAttemptAt, parseRetryAfter, type DeliveryPolicy } from './policy.js';
import { Poster } from './post.js';
import { CallbackTarget, originOf, withSign } from './render.js';

/** Observes deliveries (metrics). */
export interface DeliveryObserver {
  /** After each attempt. `retryAt` is set when it failed and will be retried. */
  attempted(sdkAppId: number, command: CallbackCommand, outcome: AttemptOutcome, retryAt: number | undefined, entry: OutboxEntry): void;
}

/** Dispatcher settings. */
export interface DispatcherOptions {
  storage: Storage;
  clock: Clock;
  log: Logger;
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
  /** Where callbacks may be sent (SPEC §6 "Safe destinations"). Default: public addresses only. */
  destinations?: DestinationPolicy;
  /** Resolves receivers' host names. Default `dns.lookup` (all addresses). */
  lookup?: DnsLookup;
  /** Told about outbox rows the claims quarantined (metrics). */
  quarantine?: QuarantineObserver;
}

const RESPONSE_EXCERPT_BYTES = 1024;
const MAX_RESPONSE_BYTES = 64 * 1024;
/** Default claim lease, ms; renewed while held, so it bounds only how long a dead process's claims block. */
const LEASE_MS = 5 * 60_000;
const PRUNE_EVERY_MS = 3600_000;
/** Claimed entries held in memory: claim more below the low mark, up to the high mark. */
const HELD_LOW = 1024;
const HELD_HIGH = 4096;
/** Entries one app may hold claimed: past this its rows are not claimed, so an app with a dead receiver cannot take every slot. */
const HELD_PER_APP = 2048;

/** An app's callback configuration, token and policy as the dispatcher last read them. */
interface AppDelivery {
  /** Where its callbacks go now; undefined when it has no callback configuration. */
  target: CallbackTarget | undefined;
  commands: ReadonlySet<string>;
  token: string | undefined;
  policy: DeliveryPolicy;
  /** Unix ms until which they are used without reading them again. */
  until: number;
}

/**
 * How long read settings are used, ms. A change made through this process takes effect at once
 * ({@link Dispatcher.configChanged}); one made through another process of a cluster, within this.
 */
const APP_CACHE_MS = 1000;

interface Claimed {
  entry: OutboxEntry;
}

/** A call's claimed entries (or one entry, when the app's ordering is off), sent one after another in order. */
interface Chain {
  app: AppState;
  /** The entries are one call's, in order: a retry holds back the rest. */
  ordered: boolean;
  rows: Claimed[];
}

/** Per app: its chains waiting to send, and what it has in flight and held. */
interface AppState {
  sdkAppId: number;
  ready: Chain[];
  inFlight: number;
  held: number;
  /** In {@link Dispatcher.runnable}, waiting for its turn. */
  queued: boolean;
}

/** What became of a claimed entry: an attempt under the settings it was made with, or a cancellation. */
type Sent = { outcome: AttemptOutcome; policy: DeliveryPolicy } | { cancelled: string };

/** Sends outbox entries to app backends. */
export class Dispatcher {
  private readonly agent: Agent;
  private readonly poster: Poster;
  private readonly timeoutMs: number;
  private readonly maxInFlight: number;
  private readonly perApp: number;
  private readonly random: () => number;
  private readonly apps = new Map<number, AppState>();
  /** Apps with chains ready and room in their share, in turn order (from {@link runHead}): each sends one chain per turn. */
  private runnable: AppState[] = [];
  private runHead = 0;
  private readonly appCache = new Map<number, AppDelivery>();
  /** Reads of app settings under way, so that attempts of one app share one. */
  private readonly appLoads = new Map<number, Promise<AppDelivery>>();
  /** Counts configuration changes made through this process: a read that overlapped one is not cached. */
  private configEpoch = 0;
  /** App of every claimed entry not yet settled or given back, by callback id. */
  private readonly heldApp = new Map<string, number>();
  private inFlight = 0;
  private held = 0;
  private pumping = false;
  /** performance.now() of the last claim's start. */
  private lastClaimAt = -Infinity;
  /** The last claim stopped at its limit: the next one follows without a pause. */
  private continuing = false;
  private readonly claimGapMs: number;
  private pumpAgain = false;
  /** Something may have become claimable since the last claim (new rows, a timer, an origin with room again). */
  private dirty = true;
  /** Set {@link dirty} once the pending settlements are committed. */
  private dirtyAfterFlush = false;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private timerChecked = false;
  private pruner: NodeJS.Timeout | undefined;
  private recheck: NodeJS.Timeout | undefined;
  private renewer: NodeJS.Timeout | undefined;
  private readonly leaseMs: number;
  /** Seq of every claimed entry not yet settled or given back, by callback id. */
  private readonly heldSeq = new Map<string, number>();
  private stopped = true;
  private readonly idleWaiters: (() => void)[] = [];
  private settling: Settlement[] = [];
  private cancelling: (Cancellation & { id: string })[] = [];
  private releasing: string[] = [];
  private flushScheduled = false;
  private flushing = false;

  constructor(private readonly opts: DispatcherOptions) {
    this.timeoutMs = opts.timeoutMs ?? 2000;
    this.maxInFlight = opts.maxInFlight ?? 512;
    this.perApp = opts.perAppInFlight ?? 32;
    this.random = opts.random ?? Math.random;
    this.leaseMs = opts.leaseMs ?? LEASE_MS;
    this.claimGapMs = opts.claimGapMs ?? 2;
    // Connecting is bounded by the server-wide timeout: the attempt's own deadline starts to be
    // enforced once the request is on a socket (see Poster). A pool as large as the server-wide
    // cap never makes a request wait for a connection: the apps' shares are the limit. The
    // connector checks the address actually connected to against the destination policy.
    const connect = safeConnector({
      policy: opts.destinations ?? new DestinationPolicy(),
      timeoutMs: this.timeoutMs,
      ...(opts.lookup ? { lookup: opts.lookup } : {}),
    });
    this.agent = new Agent({ connections: this.maxInFlight, keepAliveTimeout: 10_000, connect });
    this.poster = new Poster(this.agent);
  }

  /** Starts delivering, including rows left pending by an earlier run, and the retention pruning. */
  start(): void {
    this.stopped = false;
    this.pruner = setInterval(() => void this.prune(), PRUNE_EVERY_MS);
    this.pruner.unref();
    // Claims of a crashed process run out unannounced: look at the store again every minute.
    this.recheck = setInterval(() => {
      this.timerChecked = false;
      this.wake();
    }, this.opts.recheckMs ?? 60_000);
    this.recheck.unref();
    this.renewer = setInterval(() => void this.renewLeases(), Math.max(100, Math.floor(this.leaseMs / 3)));
    this.renewer.unref();
    this.wake();
  }

  /** Stops claiming, lets attempts in flight finish and gives back what was claimed but not sent. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.pruner) clearInterval(this.pruner);
    if (this.recheck) clearInterval(this.recheck);
    if (this.renewer) clearInterval(this.renewer);
    for (const app of this.apps.values()) {
      for (const chain of app.ready.splice(0)) this.release(chain);
    }
    this.runnable = [];
    this.runHead = 0;
    this.scheduleFlush();
    await this.idle();
    this.poster.close();
    await this.agent.close();
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
    this.configEpoch++;
    this.appCache.delete(sdkAppId);
    this.wake();
  }

  /** Looks for due rows now; call after committing new outbox rows. */
  wake(): void {
    this.dirty = true;
    this.kick();
  }

  private kick(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    void this.pump();
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

  /** Keeps the claims of held entries alive, so no other process takes them while they wait here. */
  private async renewLeases(): Promise<void> {
    if (this.heldSeq.size === 0 || this.stopped) return;
    const seqs = [...this.heldSeq.values()];
    try {
      await this.opts.storage.transaction((tx) => tx.outbox.extendLeases(seqs, this.opts.clock.now() + this.leaseMs));
    } catch (err) {
      this.opts.log.error({ err, count: seqs.length }, 'could not renew callback claims');
    }
  }

  private busy(): boolean {
    return (
      this.held > 0 || this.pumping || this.flushing || this.settling.length > 0 || this.cancelling.length > 0 || this.releasing.length > 0
    );
  }

  private app(sdkAppId: number): AppState {
    let state = this.apps.get(sdkAppId);
    if (!state) this.apps.set(sdkAppId, (state = { sdkAppId, ready: [], inFlight: 0, held: 0, queued: false }));
    return state;
  }

  /** Apps holding as many claimed entries as they may: their rows are not claimed for now. */
  private fullApps(): number[] {
    return [...this.apps.values()].filter((a) => a.held >= HELD_PER_APP).map((a) => a.sdkAppId);
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      // A kick that lands while this runs (even while arming the timer) loops once more.
      this.pumpAgain = true;
      while (this.pumpAgain && !this.stopped) {
        this.pumpAgain = false;
        if (!this.dirty) break;
        const full = this.fullApps();
        let heldElsewhere = this.held;
        for (const a of full) heldElsewhere -= this.apps.get(a)!.held;
        // Enough in hand: claim again when settlements bring it below the low mark.
        if (heldElsewhere >= HELD_LOW) break;
        // Under load every commit wakes the dispatcher: claiming again at once would mean one
        // claim (a transaction and two queries) per commit. A short pause lets the commits of a
        // few milliseconds share one claim; a claim that hit its limit goes on without one.
        const gap = this.lastClaimAt + this.claimGapMs - performance.now();
        if (gap > 0 && !this.continuing) await new Promise((r) => setTimeout(r, gap));
        if (this.stopped) break;
        this.dirty = false;
        const want = HELD_HIGH - heldElsewhere;
        this.lastClaimAt = performance.now();
        const { claimed, ordering, limited, quarantined } = await this.claim(want, full);
        reportQuarantined(this.opts.log, this.opts.quarantine, quarantined);
        this.continuing = limited;
        this.hold(claimed, ordering);
        this.send();
        if (limited) {
          this.dirty = true;
          this.pumpAgain = true;
        } else if (!this.timerChecked) {
          // Future due times are known in memory once running (retries this dispatcher set); the
          // store is asked only once, for what an earlier run left, and by the minute re-check.
          this.timerChecked = true;
          await this.armTimer();
        }
      }
    } catch (err) {
      this.opts.log.error({ err }, 'callback dispatcher could not claim due callbacks');
      this.dirty = true;
      if (!this.stopped) this.arm(1_000);
    } finally {
      this.pumping = false;
      this.notifyIdle();
    }
  }

  private async claim(
    limit: number,
    skip: number[],
  ): Promise<{ claimed: Claimed[]; ordering: Map<number, boolean>; limited: boolean; quarantined: QuarantinedRow[] }> {
    const now = this.opts.clock.now();
    return this.opts.storage.transaction(async (tx) => {
      const { entries, limited, quarantined } = await tx.outbox.claimDue(now, now + this.leaseMs, limit, skip);
      const ordering = new Map<number, boolean>();
      for (const e of entries) {
        if (!ordering.has(e.sdkAppId)) ordering.set(e.sdkAppId, (await this.settingsIn(tx, e.sdkAppId, now)).policy.ordering);
      }
      return { claimed: entries.map((entry) => ({ entry })), ordering, limited, quarantined };
    });
  }

  /**
   * The app's settings: as cached while fresh (unless `reuse` is false), else read in `tx` (and
   * cached unless a change overlapped the read).
   */
  private async settingsIn(tx: Tx, sdkAppId: number, now: number, reuse = true): Promise<AppDelivery> {
    const cached = this.appCache.get(sdkAppId);
    if (reuse && cached && cached.until > now) return cached;
    const epoch = this.configEpoch;
    const [config, token, policy] = [
      await tx.callbackConfig.get(sdkAppId),
      await tx.callbackConfig.getToken(sdkAppId),
      await tx.callbackConfig.getPolicy(sdkAppId),
    ];
    const fresh = settingsOf(config, token?.enabled ? token.token : undefined, { ...defaultPolicy(this.timeoutMs), ...policy }, now);
    if (epoch === this.configEpoch) this.appCache.set(sdkAppId, fresh);
    return fresh;
  }

  /**
   * The app's settings now, for an attempt about to start: cached while fresh, else read again.
   * Read again ahead of time, too, in the last half of their second: sending does not wait for
   * the read, and no value is used past its time.
   */
  private async settingsNow(sdkAppId: number): Promise<AppDelivery> {
    const now = this.opts.clock.now();
    const cached = this.appCache.get(sdkAppId);
    if (cached && cached.until > now) {
      if (cached.until - now < APP_CACHE_MS / 2) this.load(sdkAppId).catch(() => undefined);
      return cached;
    }
    return this.load(sdkAppId);
  }

  /** Reads the app's settings (one read at a time per app) and caches them. */
  private load(sdkAppId: number): Promise<AppDelivery> {
    let load = this.appLoads.get(sdkAppId);
    if (!load) {
      load = (async () => {
        try {
          // A change committed while reading may not be in what was read: read again then.
          for (;;) {
            const epoch = this.configEpoch;
            const got = await this.opts.storage.transaction((tx) => this.settingsIn(tx, sdkAppId, this.opts.clock.now(), false));
            if (epoch === this.configEpoch) return got;
          }
        } finally {
          this.appLoads.delete(sdkAppId);
        }
      })();
      this.appLoads.set(sdkAppId, load);
    }
    return load;
  }

  /**
   * Groups claimed entries into per-call chains (claims come in seq order) queued per app, or
   * one chain per entry for apps with ordering off.
   */
  private hold(claimed: Claimed[], ordering: Map<number, boolean>): void {
    if (this.stopped) {
      // Claimed while stopping: given back unsent, as stop() gave back what was queued.
      for (const c of claimed) this.releasing.push(c.entry.id);
      this.scheduleFlush();
      return;
    }
    const chains = new Map<string, Chain>();
    for (const c of claimed) {
      const ordered = ordering.get(c.entry.sdkAppId) ?? true;
      const key = ordered ? `${c.entry.sdkAppId}\u0000${c.entry.callId}` : c.entry.id;
      const app = this.app(c.entry.sdkAppId);
      let chain = chains.get(key);
      if (!chain) {
        chains.set(key, (chain = { app, ordered, rows: [] }));
        app.ready.push(chain);
        this.schedule(app);
      }
      chain.rows.push(c);
      this.heldApp.set(c.entry.id, c.entry.sdkAppId);
      this.heldSeq.set(c.entry.id, c.entry.seq);
      app.held++;
      this.held++;
    }
  }

  /** Puts the app in line to send, at the end, if it has a chain ready and room in its share. */
  private schedule(app: AppState): void {
    if (app.queued || app.ready.length === 0 || app.inFlight >= this.perApp || this.stopped) return;
    app.queued = true;
    this.runnable.push(app);
  }

  /** Starts attempts while there is room: the apps with chains ready take turns, one chain each. */
  private send(): void {
    while (this.inFlight < this.maxInFlight && this.runHead < this.runnable.length) {
      const app = this.runnable[this.runHead++]!;
      app.queued = false;
      if (this.runHead >= 1024) {
        this.runnable = this.runnable.slice(this.runHead);
        this.runHead = 0;
      }
      if (app.ready.length === 0 || app.inFlight >= this.perApp) continue;
      const chain = app.ready.shift()!;
      this.inFlight++;
      app.inFlight++;
      const head = chain.rows[0]!;
      void this.sendOne(head).then((sent) => this.completed(chain, head, sent));
      this.schedule(app);
    }
  }

  /** Sends one entry under the app's settings as they are now, or cancels it when they no longer cover it. */
  private async sendOne(c: Claimed): Promise<Sent> {
    let settings: AppDelivery;
    try {
      settings = await this.settingsNow(c.entry.sdkAppId);
    } catch (err) {
      const policy = defaultPolicy(this.timeoutMs);
      const at = this.opts.clock.now();
      return {
        outcome: { startedAt: at, latencyMs: 0, ok: false, error: `could not read the callback configuration: ${describe(err)}` },
        policy,
      };
    }
    if (!settings.target) return { cancelled: 'cancelled: the app has no callback configuration' };
    if (!settings.commands.has(c.entry.command))
      return { cancelled: `cancelled: ${c.entry.command} is not in the app's CallbackCommandList` };
    return { outcome: await this.attempt(c.entry, settings.target, settings), policy: settings.policy };
  }

  private completed(chain: Chain, c: Claimed, sent: Sent): void {
    const app = chain.app;
    this.inFlight--;
    app.inFlight--;
    if ('cancelled' in sent) {
      this.opts.log.info(
        { callbackId: c.entry.id, sdkAppId: c.entry.sdkAppId, callId: c.entry.callId, command: c.entry.command, reason: sent.cancelled },
        'callback cancelled',
      );
      this.cancelling.push({ id: c.entry.id, seq: c.entry.seq, reason: sent.cancelled });
      chain.rows.shift();
      this.next(chain, undefined);
      return;
    }
    const { outcome, policy } = sent;
    const now = this.opts.clock.now();
    const attempts = c.entry.attempts - c.entry.resendBase + 1;
    const retryAt = outcome.ok
      ? undefined
      : nextAttemptAt(policy, { attempts, httpStatus: outcome.httpStatus, retryAfterMs: outcome.retryAfterMs }, now, this.random);
    const fields = {
      callbackId: c.entry.id,
      sdkAppId: c.entry.sdkAppId,
      callId: c.entry.callId,
      command: c.entry.command,
      attempt: c.entry.attempts + 1,
      httpStatus: outcome.httpStatus,
      latencyMs: Math.round(outcome.latencyMs),
    };
    if (outcome.ok) this.opts.log.debug(fields, 'callback delivered');
    else
      this.opts.log.warn({ ...fields, error: outcome.error, retryAt }, retryAt ? 'callback attempt failed; will retry' : 'callback failed');
    this.opts.observer?.attempted(c.entry.sdkAppId, c.entry.command, outcome, retryAt, c.entry);
    this.settling.push({ id: c.entry.id, seq: c.entry.seq, attempt: c.entry.attempts + 1, outcome, retryAt });
    chain.rows.shift();
    this.next(chain, retryAt);
  }

  /** After the chain's head was settled (`retryAt` set when it will be retried): its next entry, if any, queues again. */
  private next(chain: Chain, retryAt: number | undefined): void {
    const app = chain.app;
    // A retry holds back the rest of the call: give those entries back unattempted.
    if (retryAt !== undefined && chain.ordered) this.release(chain);
    else if (chain.rows.length > 0 && !this.stopped) app.ready.push(chain);
    else {
      this.release(chain);
      // Entries of this call committed while it was held (and any claim that ran before this
      // settlement is committed) were held back by it: look again once it is committed.
      this.dirtyAfterFlush = true;
    }
    this.schedule(app);
    this.scheduleFlush();
    this.send();
  }

  /** Gives a chain's remaining entries back to the outbox, unattempted. */
  private release(chain: Chain): void {
    for (const c of chain.rows) this.releasing.push(c.entry.id);
    chain.rows.length = 0;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.flushing) return;
    this.flushScheduled = true;
    setImmediate(() => void this.flush());
  }

  /**
   * Records finished attempts and gives back released entries, in one transaction. One flush at
   * a time: what finishes meanwhile waits for the next, so batches grow with the load.
   */
  private async flush(): Promise<void> {
    this.flushScheduled = false;
    this.flushing = true;
    try {
      await this.flushOnce();
    } finally {
      this.flushing = false;
    }
    if (this.settling.length > 0 || this.cancelling.length > 0 || this.releasing.length > 0) this.scheduleFlush();
    this.notifyIdle();
  }

  private async flushOnce(): Promise<void> {
    const settled = this.settling;
    const cancelled = this.cancelling;
    const released = this.releasing;
    const unblocks = this.dirtyAfterFlush;
    this.settling = [];
    this.cancelling = [];
    this.releasing = [];
    this.dirtyAfterFlush = false;
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
    if (unblocks) this.dirty = true;
    for (const sm of settled) if (sm.retryAt !== undefined) this.armAt(sm.retryAt);
    this.unhold([...settled.map((sm) => sm.id), ...cancelled.map((c) => c.id), ...released]);
    this.kick();
    this.notifyIdle();
  }

  private unhold(ids: string[]): void {
    for (const id of ids) {
      const sdkAppId = this.heldApp.get(id);
      if (sdkAppId === undefined) continue;
      this.heldApp.delete(id);
      this.heldSeq.delete(id);
      this.held--;
      const app = this.app(sdkAppId);
      // An app with room again may have rows the last claim skipped.
      if (app.held-- === HELD_PER_APP) this.dirty = true;
      // Still in the turn queue, perhaps: it is skipped there, having nothing ready.
      if (app.held === 0 && app.inFlight === 0 && app.ready.length === 0) this.apps.delete(sdkAppId);
    }
  }

  private async armTimer(): Promise<void> {
    const next = await this.opts.storage.transaction((tx) => tx.outbox.nextDueAt(this.opts.clock.now()));
    if (next !== undefined) this.armAt(next);
  }

  /** Wakes at `at` (unix ms) unless already due to wake earlier. */
  private armAt(at: number): void {
    if (at >= this.timerAt && this.timer) return;
    this.arm(at - this.opts.clock.now());
  }

  private arm(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    const delay = Math.min(Math.max(0, delayMs), 60_000);
    this.timerAt = this.opts.clock.now() + delay;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.timerChecked = false;
      this.wake();
    }, delay + 1);
    this.timer.unref();
  }

  private async attempt(
    entry: OutboxEntry,
    target: CallbackTarget,
    settings: { token: string | undefined; policy: DeliveryPolicy },
  ): Promise<AttemptOutcome> {
    const { token, policy } = settings;
    const startedAt = this.opts.clock.now();
    const started = performance.now();
    const timestamp = Math.floor(startedAt / 1000);
    let url: string;
    try {
      const current = target.urlFor(entry.url);
      url = token === undefined ? current : withSign(current, timestamp, callbackSign(token, timestamp));
    } catch (err) {
      return { startedAt, latencyMs: 0, ok: false, error: `the configured Url cannot be used: ${describe(err)}` };
    }
    const origin = originOf(url);
    // originOf leaves user-info out, so only a URL configured before set_callback refused
    // user-info does not start with its origin: say so rather than send a mangled path.
    if (!url.startsWith(origin)) return { startedAt, latencyMs: 0, ok: false, error: `destination refused: ${USER_INFO_REFUSAL}` };
    const headers: Record<string, string> = {
      'content-type': 'application/json; charset=utf-8',
      'webhook-id': entry.id,
      'webhook-timestamp': String(timestamp),
    };
    const secrets = this.opts.webhookSecretsOf(entry.sdkAppId, startedAt);
    if (secrets.length > 0)
      headers['webhook-signature'] = secrets.map((s) => webhookSignature(s, entry.id, timestamp, entry.body)).join(' ');
    try {
      const res = await this.poster.post({
        origin,
        path: url.slice(origin.length),
        headers,
        body: entry.body,
        timeoutMs: policy.timeoutMs,
        maxBytes: MAX_RESPONSE_BYTES,
      });
      const latencyMs = performance.now() - started;
      const base: AttemptOutcome = {
        startedAt,
        httpStatus: res.statusCode,
        latencyMs,
        responseExcerpt: res.text.slice(0, RESPONSE_EXCERPT_BYTES),
        ok: false,
      };
      const retryAfterMs = parseRetryAfter(res.headers['retry-after'], startedAt);
      if (retryAfterMs !== undefined) base.retryAfterMs = retryAfterMs;
      if (res.statusCode !== 200) return { ...base, error: `HTTP ${res.statusCode}` };
      if (!isSuccessEnvelope(res.text)) return { ...base, error: 'response is not the success envelope' };
      return { ...base, ok: true };
    } catch (err) {
      const latencyMs = performance.now() - started;
      return { startedAt, latencyMs, ok: false, error: isTimeout(err) ? `timeout after ${policy.timeoutMs} ms` : describe(err) };
    }
  }

  private notifyIdle(): void {
    if (!this.busy()) for (const w of this.idleWaiters.splice(0)) w();
  }
}

/** An app's settings as read, usable until `now` + {@link APP_CACHE_MS}. */
function settingsOf(config: CallbackConfig | undefined, token: string | undefined, policy: DeliveryPolicy, now: number): AppDelivery {
  return {
    target: config ? new CallbackTarget(config.url) : undefined,
    commands: new Set(config?.commands ?? []),
    token,
    policy,
    until: now + APP_CACHE_MS,
  };
}

/** True for `{ "ActionStatus": "OK", "ErrorCode": 0, ... }`. */
export function isSuccessEnvelope(text: string): boolean {
  try {
    const body = JSON.parse(text) as { ActionStatus?: unknown; ErrorCode?: unknown };
    return body.ActionStatus === 'OK' && body.ErrorCode === 0;
  } catch {
    return false;
  }
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

function isTimeout(err: unknown): boolean {
  return err instanceof Error && (err.name === 'TimeoutError' || TIMEOUT_CODES.has((err as { code?: string }).code ?? ''));
}

function describe(err: unknown): string {
  if (err instanceof DestinationRefusedError) return err.message;
  if (err instanceof Error) {
    const code = (err as { code?: string }).code;
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return [code, err.message, cause?.code].filter(Boolean).join(': ') || err.name;
  }
  return String(err);
}
