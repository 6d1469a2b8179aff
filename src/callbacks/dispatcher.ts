/**
 * Delivers callbacks from the outbox (SPEC §3.1, §6). Rows are committed with the call change
 * that causes them; the dispatcher is woken right after each commit and at retry deadlines,
 * claims due rows under a lease, POSTs them with undici and records every attempt.
 *
 * Isolation: each receiver origin has its own connection pool and a cap on attempts in flight,
 * so a hanging receiver fills only its own slots; rows for it are skipped at claim time while it
 * is saturated. Signalling never waits on any of this.
 *
 * Throughput: attempt outcomes are settled in batches, one transaction per turn of the event
 * loop, rather than one transaction per attempt.
 */
import { Agent } from 'undici';
import type { Logger } from 'pino';
import type { AttemptOutcome, Clock, OutboxEntry, QuarantineObserver, QuarantinedRow, Settlement, Storage } from '../app/ports.js';
import { reportQuarantined } from '../app/quarantine.js';
import { callbackSign, webhookSignature } from '../auth/callback-sign.js';
import type { CallbackCommand } from '../domain/types.js';
import { DestinationRefusedError, safeConnector, type DnsLookup } from './connector.js';
import { DestinationPolicy, USER_INFO_REFUSAL } from './destination.js';
import { MAX_TIMEOUT_MS, defaultPolicy, nextAttemptAt, parseRetryAfter, type DeliveryPolicy } from './policy.js';
import { Poster } from './post.js';
import { originOf, withSign } from './render.js';

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
  /** Most attempts in flight per receiver origin (also its connection pool size). Default 32. */
  perOriginInFlight?: number;
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
/** Entries one receiver origin may hold claimed: past this its rows are not claimed, so a dead receiver cannot take every slot. */
const HELD_PER_ORIGIN = 2048;

/** An app's token and policy as the dispatcher last read them. */
interface AppDelivery {
  token: string | undefined;
  policy: DeliveryPolicy;
  /** Unix ms until which they are used without reading them again. */
  until: number;
}

/** How long a read token and policy are used, ms: a change takes effect within this. */
const APP_CACHE_MS = 1000;

interface Claimed {
  entry: OutboxEntry;
  token: string | undefined;
  policy: DeliveryPolicy;
  origin: string;
}

/** A call's claimed entries, sent one after another in order. */
interface Chain {
  origin: string;
  rows: Claimed[];
}

/** Per receiver origin: its chains waiting to send, and what it has in flight and held. */
interface OriginState {
  ready: Chain[];
  inFlight: number;
  held: number;
}

/** Sends outbox entries to app backends. */
export class Dispatcher {
  private readonly agent: Agent;
  private readonly poster: Poster;
  private readonly timeoutMs: number;
  private readonly maxInFlight: number;
  private readonly perOrigin: number;
  private readonly random: () => number;
  private readonly origins = new Map<string, OriginState>();
  private readonly appCache = new Map<number, AppDelivery>();
  /** Origin of every claimed entry not yet settled or given back, by callback id. */
  private readonly heldOrigin = new Map<string, string>();
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
  private releasing: string[] = [];
  private flushScheduled = false;
  private flushing = false;

  constructor(private readonly opts: DispatcherOptions) {
    this.timeoutMs = opts.timeoutMs ?? 2000;
    this.maxInFlight = opts.maxInFlight ?? 512;
    this.perOrigin = opts.perOriginInFlight ?? 32;
    this.random = opts.random ?? Math.random;
    this.leaseMs = opts.leaseMs ?? LEASE_MS;
    this.claimGapMs = opts.claimGapMs ?? 2;
    // Connecting is bounded by the server-wide timeout: the attempt's own deadline starts to be
    // enforced once the request is on a socket (see Poster).
    // The connector checks the address actually connected to against the destination policy.
    const connect = safeConnector({
      policy: opts.destinations ?? new DestinationPolicy(),
      timeoutMs: this.timeoutMs,
      ...(opts.lookup ? { lookup: opts.lookup } : {}),
    });
    this.agent = new Agent({ connections: this.perOrigin, keepAliveTimeout: 10_000, connect });
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
    for (const state of this.origins.values()) {
      for (const chain of state.ready.splice(0)) this.release(chain);
    }
    this.scheduleFlush();
    await this.idle();
    this.poster.close();
    await this.agent.close();
  }

  /** Resolves once nothing is claimed, in flight or unrecorded. */
  async idle(): Promise<void> {
    while (this.busy()) await new Promise<void>((r) => this.idleWaiters.push(r));
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
    return this.held > 0 || this.pumping || this.flushing || this.settling.length > 0 || this.releasing.length > 0;
  }

  private origin(origin: string): OriginState {
    let state = this.origins.get(origin);
    if (!state) this.origins.set(origin, (state = { ready: [], inFlight: 0, held: 0 }));
    return state;
  }

  /** Origins holding as many claimed entries as they may: their rows are not claimed for now. */
  private fullOrigins(): string[] {
    return [...this.origins].filter(([, s]) => s.held >= HELD_PER_ORIGIN).map(([o]) => o);
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      // A kick that lands while this runs (even while arming the timer) loops once more.
      this.pumpAgain = true;
      while (this.pumpAgain && !this.stopped) {
        this.pumpAgain = false;
        if (!this.dirty) break;
        const full = this.fullOrigins();
        let heldElsewhere = this.held;
        for (const o of full) heldElsewhere -= this.origins.get(o)!.held;
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
        const { claimed, limited, quarantined } = await this.claim(want, full);
        reportQuarantined(this.opts.log, this.opts.quarantine, quarantined);
        this.continuing = limited;
        this.hold(claimed);
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

  private async claim(limit: number, skip: string[]): Promise<{ claimed: Claimed[]; limited: boolean; quarantined: QuarantinedRow[] }> {
    const now = this.opts.clock.now();
    return this.opts.storage.transaction(async (tx) => {
      const { entries, limited, quarantined } = await tx.outbox.claimDue(now, now + this.leaseMs, limit, skip);
      const perApp = new Map<number, AppDelivery>();
      for (const e of entries) {
        if (perApp.has(e.sdkAppId)) continue;
        const cached = this.appCache.get(e.sdkAppId);
        if (cached && cached.until > now) {
          perApp.set(e.sdkAppId, cached);
          continue;
        }
        const token = await tx.callbackConfig.getToken(e.sdkAppId);
        const policy = { ...defaultPolicy(this.timeoutMs), ...(await tx.callbackConfig.getPolicy(e.sdkAppId)) };
        const fresh = { token: token?.enabled ? token.token : undefined, policy, until: now + APP_CACHE_MS };
        this.appCache.set(e.sdkAppId, fresh);
        perApp.set(e.sdkAppId, fresh);
      }
      return {
        claimed: entries.map((entry) => ({ entry, ...perApp.get(entry.sdkAppId)!, origin: originOf(entry.url) })),
        limited,
        quarantined,
      };
    });
  }

  /** Groups claimed entries into per-call chains (claims come in seq order) queued per origin. */
  private hold(claimed: Claimed[]): void {
    const chains = new Map<string, Chain>();
    for (const c of claimed) {
      const key = c.policy.ordering ? `${c.entry.sdkAppId}\u0000${c.entry.callId}` : c.entry.id;
      let chain = chains.get(key);
      if (!chain) {
        chains.set(key, (chain = { origin: c.origin, rows: [] }));
        this.origin(c.origin).ready.push(chain);
      }
      chain.rows.push(c);
      this.heldOrigin.set(c.entry.id, c.origin);
      this.heldSeq.set(c.entry.id, c.entry.seq);
      this.origin(c.origin).held++;
      this.held++;
    }
  }

  /** Starts attempts while there is room, origin by origin. */
  private send(): void {
    for (const state of this.origins.values()) {
      while (this.inFlight < this.maxInFlight && state.inFlight < this.perOrigin && state.ready.length > 0) {
        const chain = state.ready.shift()!;
        this.inFlight++;
        state.inFlight++;
        const head = chain.rows[0]!;
        void this.attempt(head).then((outcome) => this.completed(chain, head, outcome));
      }
      if (this.inFlight >= this.maxInFlight) return;
    }
  }

  private completed(chain: Chain, c: Claimed, outcome: AttemptOutcome): void {
    const state = this.origin(chain.origin);
    this.inFlight--;
    state.inFlight--;
    const now = this.opts.clock.now();
    const attempts = c.entry.attempts - c.entry.resendBase + 1;
    const retryAt = outcome.ok
      ? undefined
      : nextAttemptAt(c.policy, { attempts, httpStatus: outcome.httpStatus, retryAfterMs: outcome.retryAfterMs }, now, this.random);
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
    // A retry holds back the rest of the call: give those entries back unattempted.
    if (retryAt !== undefined && c.policy.ordering) this.release(chain);
    else if (chain.rows.length > 0 && !this.stopped) state.ready.push(chain);
    else {
      this.release(chain);
      // Entries of this call committed while it was held (and any claim that ran before this
      // settlement is committed) were held back by it: look again once it is committed.
      this.dirtyAfterFlush = true;
    }
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
    if (this.settling.length > 0 || this.releasing.length > 0) this.scheduleFlush();
    this.notifyIdle();
  }

  private async flushOnce(): Promise<void> {
    const settled = this.settling;
    const released = this.releasing;
    const unblocks = this.dirtyAfterFlush;
    this.settling = [];
    this.releasing = [];
    this.dirtyAfterFlush = false;
    if (settled.length === 0 && released.length === 0) return;
    try {
      await this.opts.storage.transaction(async (tx) => {
        await tx.outbox.settle(settled);
        await tx.outbox.release(released);
      });
    } catch (err) {
      // Their leases run out and they are sent again: at least once, never lost.
      this.opts.log.error({ err, count: settled.length }, 'could not record callback attempts');
    }
    if (unblocks) this.dirty = true;
    for (const sm of settled) if (sm.retryAt !== undefined) this.armAt(sm.retryAt);
    this.unhold([...settled.map((sm) => sm.id), ...released]);
    this.kick();
    this.notifyIdle();
  }

  private unhold(ids: string[]): void {
    for (const id of ids) {
      const origin = this.heldOrigin.get(id);
      if (origin === undefined) continue;
      this.heldOrigin.delete(id);
      this.heldSeq.delete(id);
      this.held--;
      const state = this.origin(origin);
      // An origin with room again may have rows the last claim skipped.
      if (state.held-- === HELD_PER_ORIGIN) this.dirty = true;
      if (state.held === 0 && state.inFlight === 0 && state.ready.length === 0) this.origins.delete(origin);
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

  private async attempt(c: Claimed): Promise<AttemptOutcome> {
    const { entry, token, policy } = c;
    const startedAt = this.opts.clock.now();
    const started = performance.now();
    const timestamp = Math.floor(startedAt / 1000);
    // originOf leaves user-info out, so only a URL stored before set_callback refused user-info
    // does not start with its origin: say so rather than send a mangled path.
    if (!entry.url.startsWith(c.origin)) return { startedAt, latencyMs: 0, ok: false, error: `destination refused: ${USER_INFO_REFUSAL}` };
    const url = token === undefined ? entry.url : withSign(entry.url, timestamp, callbackSign(token, timestamp));
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
        origin: c.origin,
        path: url.slice(c.origin.length),
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
