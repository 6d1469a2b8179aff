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
import { Agent, request } from 'undici';
import type { Logger } from 'pino';
import type { AttemptOutcome, Clock, OutboxEntry, Settlement, Storage } from '../app/ports.js';
import { callbackSign, webhookSignature } from '../auth/callback-sign.js';
import type { CallbackCommand } from '../domain/types.js';
import { MAX_TIMEOUT_MS, defaultPolicy, nextAttemptAt, parseRetryAfter, type DeliveryPolicy } from './policy.js';
import { withSign } from './render.js';

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
  /** Source of jitter, in [0, 1). Default Math.random. */
  random?: () => number;
  observer?: DeliveryObserver;
}

const RESPONSE_EXCERPT_BYTES = 1024;
const MAX_RESPONSE_BYTES = 64 * 1024;
/** A claim outlives the longest possible attempt; after a crash the row is sent again. */
const LEASE_MS = MAX_TIMEOUT_MS + 10_000;
const PRUNE_EVERY_MS = 3600_000;

interface Claimed {
  entry: OutboxEntry;
  token: string | undefined;
  policy: DeliveryPolicy;
  origin: string;
}

/** Sends outbox entries to app backends. */
export class Dispatcher {
  private readonly agent: Agent;
  private readonly timeoutMs: number;
  private readonly maxInFlight: number;
  private readonly perOrigin: number;
  private readonly random: () => number;
  private inFlight = 0;
  private readonly inFlightByOrigin = new Map<string, number>();
  private pumping = false;
  private pumpAgain = false;
  private timer: NodeJS.Timeout | undefined;
  private pruner: NodeJS.Timeout | undefined;
  private stopped = true;
  private readonly idleWaiters: (() => void)[] = [];
  private settling: { settlement: Settlement; claimed: Claimed }[] = [];
  private flushScheduled = false;

  constructor(private readonly opts: DispatcherOptions) {
    this.timeoutMs = opts.timeoutMs ?? 2000;
    this.maxInFlight = opts.maxInFlight ?? 512;
    this.perOrigin = opts.perOriginInFlight ?? 32;
    this.random = opts.random ?? Math.random;
    this.agent = new Agent({ connections: this.perOrigin, keepAliveTimeout: 10_000 });
  }

  /** Starts delivering, including rows left pending by an earlier run, and the retention pruning. */
  start(): void {
    this.stopped = false;
    this.pruner = setInterval(() => void this.prune(), PRUNE_EVERY_MS);
    this.pruner.unref();
    this.wake();
  }

  /** Stops claiming and waits for attempts in flight to be recorded. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.pruner) clearInterval(this.pruner);
    await this.idle();
    await this.agent.close();
  }

  /** Resolves once no attempt is in flight or unrecorded and no claim is running. */
  async idle(): Promise<void> {
    while (this.busy()) await new Promise<void>((r) => this.idleWaiters.push(r));
  }

  /** Looks for due rows now; call after committing new outbox rows. */
  wake(): void {
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

  private busy(): boolean {
    return this.inFlight > 0 || this.pumping || this.settling.length > 0;
  }

  private saturatedOrigins(): string[] {
    return [...this.inFlightByOrigin].filter(([, n]) => n >= this.perOrigin).map(([origin]) => origin);
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      // A wake() that lands while this runs (even while arming the timer) loops once more.
      this.pumpAgain = true;
      while (this.pumpAgain && !this.stopped) {
        this.pumpAgain = false;
        const room = this.maxInFlight - this.inFlight;
        if (room <= 0) break;
        const claimed = await this.claim(room);
        for (const c of claimed) this.launch(c);
        if (claimed.length === room) this.pumpAgain = true;
        else if (!this.pumpAgain) await this.armTimer();
      }
    } catch (err) {
      this.opts.log.error({ err }, 'callback dispatcher could not claim due callbacks');
      if (!this.stopped) this.arm(1_000);
    } finally {
      this.pumping = false;
      this.notifyIdle();
    }
  }

  private async claim(room: number): Promise<Claimed[]> {
    const now = this.opts.clock.now();
    const skip = this.saturatedOrigins();
    const claimed = await this.opts.storage.transaction(async (tx) => {
      const entries = await tx.outbox.claimDue(now, now + LEASE_MS, room, skip);
      const perApp = new Map<number, { token: string | undefined; policy: DeliveryPolicy }>();
      for (const e of entries) {
        if (perApp.has(e.sdkAppId)) continue;
        const token = await tx.callbackConfig.getToken(e.sdkAppId);
        const policy = { ...defaultPolicy(this.timeoutMs), ...(await tx.callbackConfig.getPolicy(e.sdkAppId)) };
        perApp.set(e.sdkAppId, { token: token?.enabled ? token.token : undefined, policy });
      }
      return entries.map((entry) => ({ entry, ...perApp.get(entry.sdkAppId)!, origin: new URL(entry.url).origin }));
    });
    // A claim can overshoot an origin's cap within one batch; trim to the cap and let the rest
    // become claimable again right away.
    const kept: Claimed[] = [];
    const released: string[] = [];
    const counts = new Map(this.inFlightByOrigin);
    for (const c of claimed) {
      const n = counts.get(c.origin) ?? 0;
      if (n >= this.perOrigin) {
        released.push(c.entry.id);
        continue;
      }
      counts.set(c.origin, n + 1);
      kept.push(c);
    }
    if (released.length > 0) await this.opts.storage.transaction((tx) => tx.outbox.release(released));
    return kept;
  }

  private launch(c: Claimed): void {
    this.inFlight++;
    this.inFlightByOrigin.set(c.origin, (this.inFlightByOrigin.get(c.origin) ?? 0) + 1);
    void this.attempt(c).then((outcome) => this.completed(c, outcome));
  }

  private completed(c: Claimed, outcome: AttemptOutcome): void {
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
    this.settling.push({ settlement: { id: c.entry.id, outcome, retryAt }, claimed: c });
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => void this.flush());
    }
  }

  /** Records every finished attempt in one transaction, then frees their slots. */
  private async flush(): Promise<void> {
    this.flushScheduled = false;
    const batch = this.settling;
    this.settling = [];
    try {
      await this.opts.storage.transaction((tx) => tx.outbox.settle(batch.map((b) => b.settlement)));
    } catch (err) {
      // Their leases run out and they are sent again: at least once, never lost.
      this.opts.log.error({ err, count: batch.length }, 'could not record callback attempts');
    }
    for (const { claimed } of batch) {
      this.inFlight--;
      const n = (this.inFlightByOrigin.get(claimed.origin) ?? 1) - 1;
      if (n === 0) this.inFlightByOrigin.delete(claimed.origin);
      else this.inFlightByOrigin.set(claimed.origin, n);
    }
    this.wake();
    this.notifyIdle();
  }

  private async armTimer(): Promise<void> {
    const next = await this.opts.storage.transaction((tx) => tx.outbox.nextDueAt(this.saturatedOrigins()));
    if (next === undefined) return;
    this.arm(Math.max(0, next - this.opts.clock.now()));
  }

  private arm(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    // Re-checked at least every minute: leases of a crashed process end unannounced.
    this.timer = setTimeout(() => this.wake(), Math.min(delayMs, 60_000) + 1);
    this.timer.unref();
  }

  private async attempt(c: Claimed): Promise<AttemptOutcome> {
    const { entry, token, policy } = c;
    const startedAt = this.opts.clock.now();
    const started = performance.now();
    const timestamp = Math.floor(startedAt / 1000);
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
      const res = await request(url, {
        method: 'POST',
        headers,
        body: entry.body,
        dispatcher: this.agent,
        signal: AbortSignal.timeout(policy.timeoutMs),
      });
      const text = await readLimited(res.body);
      const latencyMs = performance.now() - started;
      const base: AttemptOutcome = {
        startedAt,
        httpStatus: res.statusCode,
        latencyMs,
        responseExcerpt: text.slice(0, RESPONSE_EXCERPT_BYTES),
        ok: false,
      };
      const retryAfterMs = parseRetryAfter(res.headers['retry-after'], startedAt);
      if (retryAfterMs !== undefined) base.retryAfterMs = retryAfterMs;
      if (res.statusCode !== 200) return { ...base, error: `HTTP ${res.statusCode}` };
      if (!isSuccessEnvelope(text)) return { ...base, error: 'response is not the success envelope' };
      return { ...base, ok: true };
    } catch (err) {
      const latencyMs = performance.now() - started;
      const error = err instanceof Error && err.name === 'TimeoutError' ? `timeout after ${policy.timeoutMs} ms` : describe(err);
      return { startedAt, latencyMs, ok: false, error };
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

async function readLimited(body: AsyncIterable<Buffer> & { destroy?: () => void }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= MAX_RESPONSE_BYTES) {
      body.destroy?.();
      break;
    }
  }
  return Buffer.concat(chunks).toString('utf8');
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: string }).code;
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return [code, err.message, cause?.code].filter(Boolean).join(': ') || err.name;
  }
  return String(err);
}
