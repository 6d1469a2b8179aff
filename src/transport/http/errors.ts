/**
 * The HTTP server's answers to what no route handles: failures before or inside a handler, and
 * unknown paths. On a REST path every answer is the envelope (SPEC §2.1), and the method is
 * checked before anything else, as on a known command.
 */
import type { FastifyInstance } from 'fastify';
import { ERR } from '../../errors.js';
import { failEnvelope } from './envelope.js';
import { isRestPath, refuseMethod } from './rest-api.js';

/** Sets the error and not-found handlers of `http`; `maxBodyBytes` is its body limit, named in the answer to a larger body. */
export function registerErrorHandlers(http: FastifyInstance, maxBodyBytes: number): void {
  http.setErrorHandler((err: { code?: string; statusCode?: number }, req, reply) => {
    // Fastify reads the body of some methods (QUERY, …) before routing, and fails them there:
    // on a REST path the method is still checked first.
    if (req.method !== 'POST' && isRestPath(req.url.split('?')[0]!)) return refuseMethod(req, reply);
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply
        .code(200)
        .send(failEnvelope(req.id, ERR.REST_BODY_TOO_LARGE.code, `${ERR.REST_BODY_TOO_LARGE.message}: the limit is ${maxBodyBytes} bytes`));
    }
    if (err.statusCode && err.statusCode < 500) {
      return reply.code(200).send(failEnvelope(req.id, ERR.REST_BAD_REQUEST.code, ERR.REST_BAD_REQUEST.message));
    }
    req.log.error({ err }, 'request failed');
    return reply.code(500).send(failEnvelope(req.id, ERR.CONFIG_INTERNAL.code, 'internal error'));
  });
  http.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0]!;
    if (isRestPath(path)) {
      // Methods no route lists (TRACE, PROPFIND, …) land here: as for GET, the method comes first.
      if (req.method !== 'POST') return refuseMethod(req, reply);
      // Every REST answer is HTTP 200 with the envelope (SPEC §2.1), unknown commands included.
      return reply.code(200).send(failEnvelope(req.id, ERR.REST_UNKNOWN_COMMAND.code, `${ERR.REST_UNKNOWN_COMMAND.message} ${path}`));
    }
    return reply.code(404).send(failEnvelope(req.id, ERR.REST_BAD_REQUEST.code, `no such endpoint: ${req.method} ${path}`));
  });
}
