/** The handler for fetch runtimes: Cloudflare Workers, Deno, Bun, Node 20+ (`Request` in, `Response` out). */
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
import { concatBytes } from './webcrypto.js';

function toResponse(answer: ReceiverAnswer): Response {
  return new Response(JSON.stringify(answer.body), { status: answer.status, headers: { 'content-type': ANSWER_CONTENT_TYPE } });
}

/** Reads a body up to `max` bytes; undefined when it is larger (reading stops there). */
async function readLimited(request: Request, max: number): Promise<Uint8Array | undefined> {
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (declared > max) return undefined;
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return concatBytes(...chunks);
    size += value.length;
    if (size > max) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
}

/**
 * A `(request: Request) => Promise<Response>` callback endpoint. Answers 200 with the success
 * envelope after `onCallback` resolves; 401 (400 for a malformed body, 413 over
 * `maxBodyBytes`, 405 for a method other than POST) with a failure envelope when the callback
 * is refused; 500 when `onCallback` throws, so that Dialtone retries.
 *
 * @example
 * export default { fetch: fetchHandler({ sdkAppId: 1400000000, webhookSecret: env.WEBHOOK_SECRET, onCallback }) };
 */
export function fetchHandler(options: ReceiverOptions): (request: Request) => Promise<Response> {
  return async (request) => {
    if (request.method !== 'POST') return toResponse(methodNotAllowed(request.method));
    let rawBody: Uint8Array | undefined;
    try {
      rawBody = await readLimited(request, options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES);
    } catch (error) {
      return toResponse(internalError(options, error));
    }
    if (rawBody === undefined) return toResponse(bodyTooLarge(options));
    return toResponse(await handleCallback({ url: request.url, headers: request.headers, rawBody }, options));
  };
}
