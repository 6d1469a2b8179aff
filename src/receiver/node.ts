/**
 * Handlers for Node's `http` server and for Express. Node types are imported as types only;
 * Express is not a dependency: its `Request`/`Response` extend Node's, which is all we use.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  ANSWER_CONTENT_TYPE,
  DEFAULT_MAX_BODY_BYTES,
  bodyTooLarge,
  handleCallback,
  internalError,
  methodNotAllowed,
  type ReceiverAnswer,
  type ReceiverOptions,
} from './handlers.js';
import { concatBytes, utf8 } from './webcrypto.js';

/** An Express request, structurally: a Node request plus what body parsers and routers add. */
export type ExpressRequestLike = IncomingMessage & {
  /** Set by body parsers: a Buffer with `express.raw()`, a string with `express.text()`. */
  body?: unknown;
  /** The URL before routers stripped their mount path. */
  originalUrl?: string | undefined;
};

/** An Express response, structurally: a Node response. */
export type ExpressResponseLike = ServerResponse;

function send(res: ServerResponse, answer: ReceiverAnswer, closeConnection = false): void {
  if (res.headersSent) return;
  res.statusCode = answer.status;
  res.setHeader('content-type', ANSWER_CONTENT_TYPE);
  // After refusing an oversized body the rest of it is not worth reading: close instead of keeping alive.
  if (closeConnection) res.setHeader('connection', 'close');
  res.end(JSON.stringify(answer.body));
}

/** Reads a request body up to `max` bytes; undefined when it is larger (the rest is discarded). */
/** Reads a request body up to `max` bytes; undefined when it is larger (the rest is discarded). */
export function readBody(req: IncomingMessage, max: number): Promise<Uint8Array | undefined> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? NaN) > max) {
      req.resume();
      resolve(undefined);
      return;
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    const onData = (chunk: Uint8Array | string): void => {
      const bytes = typeof chunk === 'string' ? utf8(chunk) : chunk;
      size += bytes.length;
      if (size > max) {
        req.off('data', onData);
        req.resume();
        resolve(undefined);
        return;
      }
      chunks.push(bytes);
    };
    req.on('data', onData);
    req.once('end', () => resolve(concatBytes(...chunks)));
    req.once('error', reject);
  });
}

async function receive(
  req: IncomingMessage,
  res: ServerResponse,
  options: ReceiverOptions,
  body: Uint8Array | string | undefined,
): Promise<void> {
  if (req.method !== 'POST') {
    req.resume();
    send(res, methodNotAllowed(req.method ?? ''));
    return;
  }
  const max = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  let rawBody = body;
  if (rawBody !== undefined && (typeof rawBody === 'string' ? utf8(rawBody) : rawBody).length > max) {
    // A body parser already read it (within its own limit, 100 KiB by default for express.raw):
    // apply ours as well so every handler refuses the same sizes.
    send(res, bodyTooLarge(options));
    return;
  }
  if (rawBody === undefined) {
    try {
      rawBody = await readBody(req, max);
    } catch (error) {
      send(res, internalError(options, error));
      return;
    }
    if (rawBody === undefined) {
      send(res, bodyTooLarge(options), true);
      return;
    }
  }
  const url = (req as ExpressRequestLike).originalUrl ?? req.url ?? '/';
  send(res, await handleCallback({ url, headers: req.headers, rawBody }, options));
}

/**
 * A Node `http` request listener for callbacks: reads the raw body itself (up to `maxBodyBytes`,
 * default 1 MiB), verifies it and answers 200 with the success envelope after `onCallback`
 * resolves; 401 (400 for a malformed body, 413 when too large, 405 for a method other than POST)
 * with a failure envelope when refused; 500 when `onCallback` throws, so that Dialtone retries.
 *
 * @example
 * http.createServer(nodeHandler({ sdkAppId, token, webhookSecret, onCallback: (cb) => save(cb) })).listen(9000);
 */
export function nodeHandler(options: ReceiverOptions): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void receive(req, res, options, undefined).catch((error: unknown) => send(res, internalError(options, error)));
  };
}

/**
 * An Express handler for callbacks, with the same answers as {@link nodeHandler}. Uses `req.body`
 * when it is a Buffer or string (mount `express.raw({ type: '*\/*' })` or `express.text()` before it),
 * else reads the request stream itself (when no body parser ran). A body already parsed into an
 * object (by `express.json()`) has lost the exact bytes the signature covers: that is a
 * configuration error, passed to `next` (or answered 500 without one).
 *
 * @example
 * app.post('/callback', express.raw({ type: '*\/*' }), expressHandler({ sdkAppId, webhookSecret, onCallback }));
 */
export function expressHandler(
  options: ReceiverOptions,
): (req: ExpressRequestLike, res: ExpressResponseLike, next?: (error?: unknown) => void) => void {
  return (req, res, next) => {
    const body = req.body;
    let rawBody: Uint8Array | string | undefined;
    if (typeof body === 'string' || body instanceof Uint8Array) rawBody = body;
    else if (req.method === 'POST' && req.readableEnded) {
      const error = new TypeError('expressHandler needs the raw body: mount express.raw({ type: "*/*" }) before it, not express.json()');
      if (next) {
        next(error);
        return;
      }
      send(res, internalError(options, error));
      return;
    }
    void receive(req, res, options, rawBody).catch((error: unknown) => send(res, internalError(options, error)));
  };
}
