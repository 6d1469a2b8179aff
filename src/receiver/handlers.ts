/**
 * What every framework handler does once it has the request in hand: verify, call the app's
 * `onCallback`, and choose the answer. Framework adapters (fetch, Node http, Express, Fastify)
 * only read the request and write the answer. No `node:` imports.
 */
import { CallbackVerificationError } from './errors.js';
import { failureEnvelope, successEnvelope, type CallbackEnvelope } from './envelope.js';
import type { CallbackInput } from './input.js';
import type { DialtoneCallback } from './types.js';
import { verifyCallback, type VerifyOptions } from './verify.js';

/** Options of the ready-made handlers: what to verify against, and what to do with callbacks. */
export interface ReceiverOptions extends VerifyOptions {
  /**
   * Called once per verified callback. Resolve to answer success; throw (or reject) to answer
   * HTTP 500 so that Dialtone retries. Retries carry the same `webhookId`: use it to dedupe.
   */
  onCallback: (callback: DialtoneCallback) => void | Promise<void>;
  /**
   * Told about every refused or failed request: a {@link CallbackVerificationError} for a
   * refused callback, or what `onCallback` threw. For logging; its own errors are ignored.
   */
  onError?: (error: Error) => void;
  /** Largest accepted body, bytes. Default 1 MiB ({@link DEFAULT_MAX_BODY_BYTES}); larger ones get HTTP 413. */
  maxBodyBytes?: number;
}

/** Default body size limit of the handlers, bytes (1 MiB; Dialtone's callbacks are a few hundred bytes). */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** The HTTP answer a handler sends: a status and a JSON envelope. */
export interface ReceiverAnswer {
  status: number;
  body: CallbackEnvelope;
}

/** Content type of every answer. */
export const ANSWER_CONTENT_TYPE = 'application/json; charset=utf-8';

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

/** Reports to `onError`, never letting a faulty logger change the answer. */
export function report(options: Pick<ReceiverOptions, 'onError'>, error: unknown): void {
  try {
    options.onError?.(asError(error));
  } catch {
    // A throwing onError must not turn a clean refusal into a crash.
  }
}

/** The answer to a request that is not a POST (callbacks are always POSTed). */
export function methodNotAllowed(method: string): ReceiverAnswer {
  return { status: 405, body: failureEnvelope(405, `method ${method} not allowed: callbacks are POSTed`) };
}

/** The answer to a body over the size limit (and its report). */
export function bodyTooLarge(options: Pick<ReceiverOptions, 'onError' | 'maxBodyBytes'>): ReceiverAnswer {
  const error = new CallbackVerificationError('body', `the body is larger than ${options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES} bytes`);
  report(options, error);
  return { status: 413, body: failureEnvelope(413, error.message) };
}

/** The answer to a failure that is neither a refusal nor the app's: a misconfiguration or I/O error. */
export function internalError(options: Pick<ReceiverOptions, 'onError'>, error: unknown): ReceiverAnswer {
  report(options, error);
  return { status: 500, body: failureEnvelope(500, 'the receiver could not process the callback') };
}

/**
 * Verifies one received callback and runs `onCallback`, returning the answer to send: 200 with
 * the success envelope; 401 with a failure envelope when verification refuses it (400 for reason
 * `body`); 500 when `onCallback` throws or the configuration is wrong (Dialtone then retries).
 * Use it to write an adapter for a framework this library does not cover.
 */
export async function handleCallback(input: CallbackInput, options: ReceiverOptions): Promise<ReceiverAnswer> {
  let callback: DialtoneCallback;
  try {
    callback = await verifyCallback(input, options);
  } catch (error) {
    if (!(error instanceof CallbackVerificationError)) return internalError(options, error);
    report(options, error);
    const status = error.reason === 'body' ? 400 : 401;
    return { status, body: failureEnvelope(status, error.message) };
  }
  try {
    await options.onCallback(callback);
  } catch (error) {
    // The app's error text stays in the app's logs (onError), not in the answer.
    return internalError(options, error);
  }
  return { status: 200, body: successEnvelope() };
}
