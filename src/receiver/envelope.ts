/**
 * The JSON a receiver answers with (SPEC §3.1). Dialtone counts an attempt as delivered only on
 * HTTP 200 with the success envelope; anything else is a failed attempt that it retries.
 */

/** The answer body of a callback receiver. */
export interface CallbackEnvelope {
  ActionStatus: 'OK' | 'FAIL';
  /** Human-readable; empty on success. */
  ErrorInfo: string;
  /** 0 on success. */
  ErrorCode: number;
}

/** The success answer `{ ActionStatus: 'OK', ErrorInfo: '', ErrorCode: 0 }` (frozen; send it with HTTP 200). */
export const SUCCESS_ENVELOPE: Readonly<{ ActionStatus: 'OK'; ErrorInfo: ''; ErrorCode: 0 }> = Object.freeze({
  ActionStatus: 'OK',
  ErrorInfo: '',
  ErrorCode: 0,
});

/** A fresh copy of {@link SUCCESS_ENVELOPE}, for frameworks that mutate what they serialise. */
export function successEnvelope(): { ActionStatus: 'OK'; ErrorInfo: ''; ErrorCode: 0 } {
  return { ActionStatus: 'OK', ErrorInfo: '', ErrorCode: 0 };
}

/**
 * A failure answer. Send it with a non-200 status so that Dialtone retries the callback.
 * @param errorCode any non-zero code of your choosing (the built-in handlers use the HTTP status).
 * @param errorInfo one line saying what went wrong.
 */
export function failureEnvelope(errorCode: number, errorInfo: string): { ActionStatus: 'FAIL'; ErrorInfo: string; ErrorCode: number } {
  return { ActionStatus: 'FAIL', ErrorInfo: errorInfo, ErrorCode: errorCode };
}
