/**
 * The Fastify instance both transports share, before any route: request ids, request logging,
 * raw bodies for the REST layer, the error and 404 answers, and the methods Node answers itself.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { registerErrorHandlers } from './errors.js';
import { answerMethodsNodeKeeps } from './raw-methods.js';

/** Largest REST body, bytes (SPEC §2.1). */
export const MAX_REST_BODY_BYTES = 64 * 1024;

/** Settings of {@link createHttp}. */
export interface HttpOptions {
  log: Logger;
  /** Log every request (dev mode or debug level); otherwise only failures. */
  logRequests: boolean;
}

/** Builds the HTTP server, not yet listening, with no routes. */
export function createHttp(opts: HttpOptions): FastifyInstance {
  const http = Fastify({
    loggerInstance: opts.log as FastifyBaseLogger,
    bodyLimit: MAX_REST_BODY_BYTES,
    genReqId: () => randomUUID(),
    logController: new LogController({ disableRequestLogging: !opts.logRequests }),
  });
  // Bodies are parsed by the REST layer so that a non-JSON body gets the envelope answer (60003).
  http.removeAllContentTypeParsers();
  http.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  registerErrorHandlers(http, MAX_REST_BODY_BYTES);
  answerMethodsNodeKeeps(http.server);
  return http;
}
