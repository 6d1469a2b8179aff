/**
 * The two ends of one attempt around the {@link CallbackSender} (as Svix's prepare → call →
 * handle): {@link prepareRequest} addresses and signs the request under the app's settings as
 * they are now, and {@link outcomeOf} judges what came back. Both are pure.
 */
import { describeError } from '../../callbacks/describe-error.js';
import { callbackSign, webhookSignature } from '../../auth/callback-sign.js';
import { USER_INFO_REFUSAL } from '../../callbacks/destination.js';
import { isSuccessEnvelope } from '../../callbacks/envelope.js';
import { parseRetryAfter } from '../../callbacks/policy.js';
import { originOf, withSign, type CallbackTarget } from '../../callbacks/render.js';
import type { AttemptOutcome, CallbackRequest, CallbackResponse, OutboxEntry } from '../ports.js';

/** Response bytes kept in the attempt log. */
export const RESPONSE_EXCERPT_BYTES = 1024;

/** What {@link prepareRequest} needs of the app's settings. */
export interface PrepareSettings {
  target: CallbackTarget;
  /** The app's callback token when switched on (SPEC §3.2 `Sign`). */
  token: string | undefined;
  /** The secrets that sign the callback now (current first); empty for none. */
  secrets: readonly string[];
  /** Attempt timeout, ms. */
  timeoutMs: number;
}

/**
 * The request for `entry` started at `startedAt` (unix ms): onto the URL configured now, with
 * `RequestTime`/`Sign` when the app has a token and the Standard Webhooks headers; or the failed
 * outcome when it cannot be sent (a configured URL that does not parse or carries user-info).
 */
export function prepareRequest(
  entry: OutboxEntry,
  settings: PrepareSettings,
  startedAt: number,
): { request: CallbackRequest } | { failed: AttemptOutcome } {
  const timestamp = Math.floor(startedAt / 1000);
  let url: string;
  try {
    const current = settings.target.urlFor(entry.url);
    url = settings.token === undefined ? current : withSign(current, timestamp, callbackSign(settings.token, timestamp));
  } catch (err) {
    return { failed: { startedAt, latencyMs: 0, ok: false, error: `the configured Url cannot be used: ${describeError(err)}` } };
  }
  const origin = originOf(url);
  // originOf leaves user-info out, so only a URL configured before set_callback refused
  // user-info does not start with its origin: say so rather than send a mangled path.
  if (!url.startsWith(origin))
    return { failed: { startedAt, latencyMs: 0, ok: false, error: `destination refused: ${USER_INFO_REFUSAL}` } };
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    'webhook-id': entry.id,
    'webhook-timestamp': String(timestamp),
  };
  if (settings.secrets.length > 0)
    headers['webhook-signature'] = settings.secrets.map((s) => webhookSignature(s, entry.id, timestamp, entry.body)).join(' ');
  return {
    request: { sdkAppId: entry.sdkAppId, origin, path: url.slice(origin.length), headers, body: entry.body, timeoutMs: settings.timeoutMs },
  };
}

/** The attempt's outcome: delivered only on HTTP 200 with the success envelope (SPEC §3.1). */
export function outcomeOf(response: CallbackResponse, startedAt: number): AttemptOutcome {
  if ('error' in response) return { startedAt, latencyMs: response.latencyMs, ok: false, error: response.error };
  const base: AttemptOutcome = {
    startedAt,
    httpStatus: response.status,
    latencyMs: response.latencyMs,
    responseExcerpt: response.body.slice(0, RESPONSE_EXCERPT_BYTES),
    ok: false,
  };
  const retryAfterMs = parseRetryAfter(response.retryAfter, startedAt);
  if (retryAfterMs !== undefined) base.retryAfterMs = retryAfterMs;
  if (response.status !== 200) return { ...base, error: `HTTP ${response.status}` };
  if (!isSuccessEnvelope(response.body)) return { ...base, error: 'response is not the success envelope' };
  return { ...base, ok: true };
}
