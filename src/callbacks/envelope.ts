/**
 * The answer a receiver gives to accept a callback (SPEC §3.1): the delivery worker and the
 * CLI's `trigger` both judge answers by it.
 */

/** True for `{ "ActionStatus": "OK", "ErrorCode": 0, ... }`. */
export function isSuccessEnvelope(text: string): boolean {
  try {
    const body = JSON.parse(text) as { ActionStatus?: unknown; ErrorCode?: unknown };
    return body.ActionStatus === 'OK' && body.ErrorCode === 0;
  } catch {
    return false;
  }
}
