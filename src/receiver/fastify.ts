/**
 * A Fastify plugin receiving callbacks. Only Fastify's types are imported: the plugin uses the
 * instance it is given, so it works with the app's own Fastify.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { failureEnvelope } from './envelope.js';
import {
  ANSWER_CONTENT_TYPE,
  DEFAULT_MAX_BODY_BYTES,
  bodyTooLarge,
  handleCallback,
  report,
  type ReceiverAnswer,
  type ReceiverOptions,
} from './handlers.js';

/** Options of {@link fastifyReceiver}. */
export interface FastifyReceiverOptions extends ReceiverOptions {
  /** The route's path (under the registration `prefix`, if any). Default `/callback`. */
  path?: string;
}

function send(reply: FastifyReply, answer: ReceiverAnswer): FastifyReply {
  return reply.code(answer.status).header('content-type', ANSWER_CONTENT_TYPE).send(JSON.stringify(answer.body));
}

/**
 * A Fastify plugin: a `POST {path}` route answering like `nodeHandler` (200 success envelope;
 * 401/400/413 failure envelope when refused; 500 when `onCallback` throws, so that Dialtone
 * retries). It registers, in its own encapsulated context so the rest of the app is unaffected,
 * a content-type parser for `application/json` and `*` that keeps the body as the raw string
 * the signature covers, and an error handler that answers parser errors with a failure envelope.
 *
 * @example
 * await app.register(fastifyReceiver, { path: '/callback', sdkAppId, webhookSecret, onCallback });
 */
export function fastifyReceiver(fastify: FastifyInstance, opts: FastifyReceiverOptions, done?: (err?: Error) => void): void {
  const maxBodyBytes = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  // An inner registration gives encapsulation even when this function is called directly
  // rather than through `fastify.register`.
  fastify.register((child: FastifyInstance, _unused: unknown, ready: (err?: Error) => void) => {
    child.removeAllContentTypeParsers();
    const keepString = (_req: FastifyRequest, body: string, parsed: (err: Error | null, body?: unknown) => void): void =>
      parsed(null, body);
    child.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: maxBodyBytes }, keepString);
    child.addContentTypeParser('*', { parseAs: 'string', bodyLimit: maxBodyBytes }, keepString);
    child.setErrorHandler((error: FastifyError, _request, reply) => {
      if (error.statusCode === 413) return send(reply, bodyTooLarge(opts));
      const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
      report(opts, error);
      return send(reply, {
        status,
        body: failureEnvelope(status, status === 500 ? 'the receiver could not process the callback' : error.message),
      });
    });
    child.post(opts.path ?? '/callback', async (request, reply) => {
      const rawBody = typeof request.body === 'string' ? request.body : '';
      return send(reply, await handleCallback({ url: request.url, headers: request.headers, rawBody }, opts));
    });
    ready();
  });
  done?.();
}
