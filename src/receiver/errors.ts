/** The one error type verification throws, with a machine-readable reason. */

/**
 * Which check refused a callback:
 * - `sdkappid`: the query's `SdkAppid` is missing or not the app's.
 * - `sign`: a token is configured and `Sign`/`RequestTime` are missing or `Sign` does not match.
 * - `request_time`: `RequestTime` is not unix seconds within the tolerance of now.
 * - `signature`: a webhook secret is configured and the `webhook-*` headers are missing or no
 *   `v1` signature matches.
 * - `timestamp`: `webhook-timestamp` is not unix seconds within the tolerance of now.
 * - `body`: the body is not a callback this library can read (not JSON, not UTF-8, unknown
 *   command, a command differing from the query's, a required field missing or malformed, too large).
 */
export type VerifyFailureReason = 'sdkappid' | 'sign' | 'request_time' | 'signature' | 'timestamp' | 'body';

/** Thrown by `verifyCallback`, `verifyRequest` and `parseCallback` when a callback is refused. */
export class CallbackVerificationError extends Error {
  /** Which check failed. */
  readonly reason: VerifyFailureReason;

  /** @param message one line saying what was wrong; prefixed with the reason. */
  constructor(reason: VerifyFailureReason, message: string) {
    super(`callback refused (${reason}): ${message}`);
    this.name = 'CallbackVerificationError';
    this.reason = reason;
  }
}
