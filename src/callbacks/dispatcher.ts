/**
 * Delivers callbacks from the outbox (SPEC §3.1, §6). Rows are committed with the call change
 * that causes them; the dispatcher is woken right after each commit, claims due rows under a
 * lease, POSTs them with undici and records every attempt. Signalling never waits on it.
 */
import { Agent, request } from 'undici';
import type { Logger } from 'pino';
import type { AttemptOutcome, Clock, OutboxEntry, Storage } from '../app/ports.js';
import { callbackSign, webhookSignature } from '../auth/callback-sign.js';
import { withSign } from './render.js';

/** Dispatcher settings. */
export interface DispatcherOptions {
  storage: Storage;
  clock: Clock;
  log: Logger;
  /** The app's Standard Webhooks secret, or undefined when the app is gone. */
  webhookSecretOf: (sdkAppId: number) => string | undefined;
  /** Timeout of one attempt, ms. Default 2000. */
  timeoutMs?: number;
  /** Most attempts in flight at once, all receivers together. Default 256. */
  maxInFlight?: number;
  /** Most open connections per receiver origin. Default 16. */
  connectionsPerOrigin?: number;
  /**
   * When to try a failed entry again (unix ms), or undefined to give up. Default: never retry,
   * the reference product's behaviour.
   */
  retryAt?: (entry: OutboxEntry, outcome: AttemptOutcome, now: number) => number | undefined;
}

const RESPONSE_EXCERPT_BYTES = 1024;
const MAX_RESPONSE_BYTES = 64 * 1024;

/** Sends outbox entries to app backends. */
export class Dispatcher {
  private readonly agent: Agent;
  private readonly timeoutMs: number;
  private readonly maxInFlight: number;
  private inFlight = 0;
  private pumping = false;
  private pumpAgain = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(private readonly opts: DispatcherOptions) {
    this.timeoutMs = opts.timeoutMs ?? 2000;
    this.maxInFlight = opts.maxInFlight ?? 256;
    this.agent = new Agent({ connections: opts.connectionsPerOrigin ?? 16, keepAliveTimeout: 10_000 });
  }

  /** Starts delivering, including rows left pending by an earlier run. */
  start(): void {
    this.stopped = false;
    this.wake();
  }

  /** Stops claiming and waits for attempts in flight to be recorded. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.idle();
    await this.agent.close();
  }

  /** Resolves once no attempt is in flight and no claim is running. */
  async idle(): Promise<void> {
    while (this.inFlight > 0 || this.pumping) await new Promise<void>((r) => this.idleWaiters.push(r));
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

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        const room = this.maxInFlight - this.inFlight;
        if (room <= 0 || this.stopped) break;
        const now = this.opts.clock.now();
        const claimed = await this.opts.storage.transaction(async (tx) => {
          const entries = await tx.outbox.claimDue(now, now + this.timeoutMs * 2 + 5_000, room);
          const tokens = new Map<number, string | undefined>();
          for (const e of entries) {
            if (!tokens.has(e.sdkAppId)) {
              const t = await tx.callbackConfig.getToken(e.sdkAppId);
              tokens.set(e.sdkAppId, t?.enabled ? t.token : undefined);
            }
          }
          return entries.map((entry) => ({ entry, token: tokens.get(entry.sdkAppId) }));
        });
        for (const { entry, token } of claimed) {
          this.inFlight++;
          void this.deliver(entry, token).finally(() => {
            this.inFlight--;
            this.wake();
            this.notifyIdle();
          });
        }
        if (claimed.length === room) this.pumpAgain = true;
      } while (this.pumpAgain);
      if (!this.stopped) await this.armTimer();
    } catch (err) {
      this.opts.log.error({ err }, 'callback dispatcher could not claim due callbacks');
      if (!this.stopped) this.arm(1_000);
    } finally {
      this.pumping = false;
      this.notifyIdle();
    }
  }

  private async armTimer(): Promise<void> {
    const next = await this.opts.storage.transaction((tx) => tx.outbox.nextDueAt());
    if (next === undefined) return;
    this.arm(Math.max(0, next - this.opts.clock.now()));
  }

  private arm(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    // Leased rows of a crashed attempt become due when their lease ends; poll at least that often.
    this.timer = setTimeout(() => this.wake(), Math.min(delayMs, 60_000) + 5);
    this.timer.unref();
  }

  private async deliver(entry: OutboxEntry, token: string | undefined): Promise<void> {
    const outcome = await this.attempt(entry, token);
    const now = this.opts.clock.now();
    const retryAt = outcome.ok ? undefined : this.opts.retryAt?.(entry, outcome, now);
    const fields = {
      callbackId: entry.id,
      sdkAppId: entry.sdkAppId,
      callId: entry.callId,
      command: entry.command,
      attempt: entry.attempts + 1,
      httpStatus: outcome.httpStatus,
      latencyMs: Math.round(outcome.latencyMs),
    };
    if (outcome.ok) this.opts.log.info(fields, 'callback delivered');
    else this.opts.log.warn({ ...fields, error: outcome.error, willRetry: retryAt !== undefined }, 'callback attempt failed');
    try {
      await this.opts.storage.transaction((tx) => tx.outbox.recordAttempt(entry.id, outcome, retryAt));
    } catch (err) {
      // The lease will expire and the callback be sent again: at least once, never lost.
      this.opts.log.error({ err, callbackId: entry.id }, 'could not record a callback attempt');
    }
  }

  private async attempt(entry: OutboxEntry, token: string | undefined): Promise<AttemptOutcome> {
    const startedAt = this.opts.clock.now();
    const started = performance.now();
    const timestamp = Math.floor(startedAt / 1000);
    const url = token === undefined ? entry.url : withSign(entry.url, timestamp, callbackSign(token, timestamp));
    const headers: Record<string, string> = {
      'content-type': 'application/json; charset=utf-8',
      'webhook-id': entry.id,
      'webhook-timestamp': String(timestamp),
    };
    const secret = this.opts.webhookSecretOf(entry.sdkAppId);
    if (secret) headers['webhook-signature'] = webhookSignature(secret, entry.id, timestamp, entry.body);
    try {
      const res = await request(url, {
        method: 'POST',
        headers,
        body: entry.body,
        dispatcher: this.agent,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const text = await readLimited(res.body);
      const latencyMs = performance.now() - started;
      const excerpt = text.slice(0, RESPONSE_EXCERPT_BYTES);
      const base = { startedAt, httpStatus: res.statusCode, latencyMs, responseExcerpt: excerpt };
      if (res.statusCode !== 200) return { ...base, ok: false, error: `HTTP ${res.statusCode}` };
      if (!isSuccessEnvelope(text)) return { ...base, ok: false, error: 'response is not the success envelope' };
      return { ...base, ok: true };
    } catch (err) {
      const latencyMs = performance.now() - started;
      const error = err instanceof Error && err.name === 'TimeoutError' ? `timeout after ${this.timeoutMs} ms` : describe(err);
      return { startedAt, latencyMs, ok: false, error };
    }
  }

  private notifyIdle(): void {
    if (this.inFlight === 0 && !this.pumping) for (const w of this.idleWaiters.splice(0)) w();
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
