/**
 * Verification of a received callback (SPEC §3.2): the app id, the reference product's token
 * `Sign`, Dialtone's Standard Webhooks signature, then the body. WebCrypto only, so it runs on
 * any fetch-based runtime.
 */
import { CallbackVerificationError } from './errors.js';
import { bodyBytes, readHeader, readQuery, type CallbackInput } from './input.js';
import { parseCallback } from './parse.js';
import type { DialtoneCallback } from './types.js';
import { base64Decode, concatBytes, constantTimeEqual, hmacSha256, sha256Hex, utf8 } from './webcrypto.js';

export type { CallbackInput } from './input.js';

/** What to check a callback against. Leave out a credential to skip its check. */
export interface VerifyOptions {
  /** The app's SDKAppID; the query's `SdkAppid` must equal it. */
  sdkAppId: number;
  /**
   * The callback token set with `call_config/set_callback_token`. When given, `Sign` and
   * `RequestTime` must be present and `Sign` must equal the SHA-256 of `token + RequestTime`.
   */
  token?: string | undefined;
  /**
   * The webhook secret(s) from `call_config/get_webhook_secret` (`whsec_…`). When given, the
   * `webhook-id`, `webhook-timestamp` and `webhook-signature` headers must be present and one
   * `v1` signature must match one secret. Pass several during a rotation (old and new).
   */
  webhookSecret?: string | string[] | undefined;
  /**
   * Largest accepted clock difference, in seconds, between now and the callback's time. Default:
   * 60 for `RequestTime` (the reference product's rule) and 300 for `webhook-timestamp` (the
   * Standard Webhooks default). When given, it applies to both. `Infinity` turns the check off.
   */
  toleranceSeconds?: number;
  /** The current time, unix **milliseconds**. Default `Date.now`. */
  now?: () => number;
}

/** Default tolerance for `RequestTime`, seconds (the reference product's replay window). */
export const REQUEST_TIME_TOLERANCE_SECONDS = 60;
/** Default tolerance for `webhook-timestamp`, seconds (the Standard Webhooks default). */
export const WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS = 300;

const SECRET_PREFIX = 'whsec_';

function refuse(reason: ConstructorParameters<typeof CallbackVerificationError>[0], message: string): never {
  throw new CallbackVerificationError(reason, message);
}

/** Seconds as a non-negative decimal integer; undefined otherwise. */
function unixSeconds(text: string): number | undefined {
  return /^\d{1,15}$/.test(text) ? Number(text) : undefined;
}

function checkSdkAppId(sdkAppIdText: string | undefined, sdkAppId: number): void {
  if (sdkAppIdText === undefined) refuse('sdkappid', 'the SdkAppid query parameter is missing');
  if (!/^\d+$/.test(sdkAppIdText) || Number(sdkAppIdText) !== sdkAppId) refuse('sdkappid', `SdkAppid ${sdkAppIdText} is not ${sdkAppId}`);
}

async function checkSign(query: { Sign?: string; RequestTime?: string }, token: string, nowMs: number, tolerance: number): Promise<void> {
  const { Sign: sign, RequestTime: requestTime } = query;
  if (sign === undefined || requestTime === undefined)
    refuse('sign', `the ${sign === undefined ? 'Sign' : 'RequestTime'} query parameter is missing`);
  // Hashed over RequestTime exactly as sent: that is the text the sender hashed.
  const expected = utf8(await sha256Hex(`${token}${requestTime}`));
  if (!constantTimeEqual(expected, utf8(sign.toLowerCase()))) refuse('sign', 'Sign does not match sha256(token + RequestTime)');
  const seconds = unixSeconds(requestTime);
  if (seconds === undefined) refuse('request_time', `RequestTime ${JSON.stringify(requestTime)} is not unix seconds`);
  const skew = Math.abs(nowMs / 1000 - seconds);
  if (skew > tolerance) refuse('request_time', `RequestTime is ${Math.round(skew)} s away from now (tolerance ${tolerance} s)`);
}

/** The HMAC key of a `whsec_` secret: the base64 after the prefix, decoded. */
function secretKey(secret: string): Uint8Array<ArrayBuffer> {
  const key = base64Decode(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret);
  // A bad secret is a configuration mistake, not a bad callback: a TypeError, not a refusal.
  if (key === undefined || key.length === 0) throw new TypeError('webhookSecret must be whsec_ followed by base64');
  return key;
}

async function checkWebhookSignature(input: CallbackInput, secrets: string[], nowMs: number, tolerance: number): Promise<void> {
  const id = readHeader(input.headers, 'webhook-id');
  const timestamp = readHeader(input.headers, 'webhook-timestamp');
  const header = readHeader(input.headers, 'webhook-signature');
  if (id === undefined || timestamp === undefined || header === undefined) {
    const missing = [
      id === undefined && 'webhook-id',
      timestamp === undefined && 'webhook-timestamp',
      header === undefined && 'webhook-signature',
    ];
    refuse('signature', `missing header ${missing.filter(Boolean).join(', ')}`);
  }
  // Space-separated `v1,<base64>` entries (several during a secret rotation). A trailing comma is
  // dropped because Node joins a repeated header with ", ".
  const candidates = header
    .split(/\s+/)
    .map((entry) => entry.replace(/,$/, ''))
    .filter((entry) => entry.startsWith('v1,'))
    .map((entry) => base64Decode(entry.slice(3)))
    .filter((bytes): bytes is Uint8Array<ArrayBuffer> => bytes !== undefined);
  const signed = concatBytes(utf8(`${id}.${timestamp}.`), bodyBytes(input.rawBody));
  let matched = false;
  for (const secret of secrets) {
    const mac = await hmacSha256(secretKey(secret), signed);
    // Every candidate is compared (no early exit) so timing does not reveal which one matched.
    for (const candidate of candidates) matched = constantTimeEqual(mac, candidate) || matched;
  }
  if (!matched) refuse('signature', 'no v1 signature in webhook-signature matches the webhook secret');
  // Checked after the signature, which covers the timestamp: a failure here means an authentic
  // but old message (a replay).
  const seconds = unixSeconds(timestamp);
  if (seconds === undefined) refuse('timestamp', `webhook-timestamp ${JSON.stringify(timestamp)} is not unix seconds`);
  const skew = Math.abs(nowMs / 1000 - seconds);
  if (skew > tolerance) refuse('timestamp', `webhook-timestamp is ${Math.round(skew)} s away from now (tolerance ${tolerance} s)`);
}

/**
 * Verifies a received callback and returns it typed and normalised.
 *
 * Checks, in this order, stopping at the first failure:
 * 1. the `SdkAppid` query parameter (any letter case) equals `options.sdkAppId` → else `sdkappid`;
 * 2. with `options.token`: `Sign` and `RequestTime` present and `Sign` = hex SHA-256 of
 *    `token + RequestTime` → else `sign`; `RequestTime` within the tolerance (60 s) → else `request_time`;
 * 3. with `options.webhookSecret`: `webhook-id`, `webhook-timestamp` and `webhook-signature`
 *    present and a `v1` signature matching one secret → else `signature`; `webhook-timestamp`
 *    within the tolerance (300 s) → else `timestamp`;
 * 4. the body parses (see {@link parseCallback}) → else `body`.
 *
 * @param input the request's URL or query, headers and raw body (the bytes as received).
 * @param options the app's id and credentials.
 * @returns the callback, with `webhookId` set from the `webhook-id` header.
 * @throws {CallbackVerificationError} naming the failed check in `reason`.
 * @throws {TypeError} when a configured webhook secret is not `whsec_` + base64.
 */
export async function verifyCallback(input: CallbackInput, options: VerifyOptions): Promise<DialtoneCallback> {
  const nowMs = (options.now ?? Date.now)();
  const query = readQuery(input);
  checkSdkAppId(query.SdkAppid, options.sdkAppId);
  if (options.token !== undefined) {
    await checkSign(query, options.token, nowMs, options.toleranceSeconds ?? REQUEST_TIME_TOLERANCE_SECONDS);
  }
  if (options.webhookSecret !== undefined) {
    const secrets = Array.isArray(options.webhookSecret) ? options.webhookSecret : [options.webhookSecret];
    await checkWebhookSignature(input, secrets, nowMs, options.toleranceSeconds ?? WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS);
  }
  const webhookId = readHeader(input.headers, 'webhook-id');
  return parseCallback(input.rawBody, { query, ...(webhookId !== undefined ? { webhookId } : {}) });
}

/**
 * {@link verifyCallback} for fetch runtimes (Workers, Deno, Bun, Node 20+): reads the URL,
 * headers and body of a `Request`. The body is consumed.
 */
export async function verifyRequest(request: Request, options: VerifyOptions): Promise<DialtoneCallback> {
  const rawBody = new Uint8Array(await request.arrayBuffer());
  return verifyCallback({ url: request.url, headers: request.headers, rawBody }, options);
}
