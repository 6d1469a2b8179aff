/**
 * Per-app delivery policy (SPEC §6): retry schedule with jitter, `Retry-After`, attempt
 * timeout, per-call ordering, and the reference product's one-attempt mode.
 */

/** `retry`: Dialtone's retries; `reference`: one attempt, no retry, as the reference product. */
export type DeliveryMode = 'retry' | 'reference';

/** How an app's callbacks are delivered. */
export interface DeliveryPolicy {
  mode: DeliveryMode;
  /** Timeout of one attempt, ms (100..30000). Default: the server's (2000). */
  timeoutMs: number;
  /** Delays before the 2nd, 3rd, … attempt, ms. Default {@link DEFAULT_RETRY_SCHEDULE_MS}. */
  retryScheduleMs: number[];
  /** Deliver a call's callbacks strictly in order (SPEC §3.6). Default true. */
  ordering: boolean;
  /** Also emit `CallInfo.CallMediaType` in StartCall bodies. Default false. */
  emitCallMediaType: boolean;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** SPEC §6: immediately, then 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 6 h, 12 h (about a day). */
export const DEFAULT_RETRY_SCHEDULE_MS: readonly number[] = [
  5 * SECOND,
  30 * SECOND,
  2 * MINUTE,
  10 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  6 * HOUR,
  12 * HOUR,
];
/** Longest attempt timeout, ms. */
export const MAX_TIMEOUT_MS = 30_000;
/** Longest wait a `Retry-After` may ask for, ms (one day). */
export const MAX_RETRY_AFTER_MS = 24 * HOUR;
/** Jitter: each delay is moved by up to this fraction either way. */
export const JITTER = 0.1;

/** The policy of an app that has not set one. */
export function defaultPolicy(timeoutMs: number): DeliveryPolicy {
  return { mode: 'retry', timeoutMs, retryScheduleMs: [...DEFAULT_RETRY_SCHEDULE_MS], ordering: true, emitCallMediaType: false };
}

/** What the policy needs to know about a failed attempt. */
export interface FailedAttempt {
  /** Attempts made so far in this series (since the callback was created or last resent), this one included. */
  attempts: number;
  httpStatus?: number | undefined;
  /** Parsed `Retry-After` of a 429/503 answer, ms. */
  retryAfterMs?: number | undefined;
}

/**
 * When to try again after a failed attempt (unix ms), or undefined when the callback has failed
 * for good. `random` is in [0, 1) and spreads retries so that receivers coming back are not hit
 * by every callback at once.
 */
export function nextAttemptAt(policy: DeliveryPolicy, failed: FailedAttempt, now: number, random: () => number): number | undefined {
  if (policy.mode === 'reference') return undefined;
  const scheduled = policy.retryScheduleMs[failed.attempts - 1];
  if (scheduled === undefined) return undefined;
  if ((failed.httpStatus === 429 || failed.httpStatus === 503) && failed.retryAfterMs !== undefined) {
    return now + Math.min(failed.retryAfterMs, MAX_RETRY_AFTER_MS);
  }
  const jitter = scheduled * JITTER * (random() * 2 - 1);
  return now + Math.max(0, Math.round(scheduled + jitter));
}

/** Parses a `Retry-After` header (seconds or an HTTP date) into ms from `now`. */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === '') return undefined;
  if (/^\d+$/.test(text.trim())) return Number(text.trim()) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
