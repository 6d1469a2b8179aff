/**
 * The Tencent-compatible REST API (SPEC §2.1): `POST /v4/{service}/{command}` with the auth
 * query, a JSON body and the envelope answer. Checks run in this order: method, query, command,
 * UserSig, administrator, rate limit, body.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppRegistry } from '../../app/app-registry.js';
import type { Clock } from '../../app/ports.js';
import { verifyUserSig } from '../../auth/usersig.js';
import { ERR, isDialtoneError, type ErrorDef } from '../../errors.js';
import { isUserId, isWellFormed, USER_ID_RULE, WELL_FORMED_RULE } from '../../protocol/identifiers.js';
import type { RestCommand } from './command.js';
import { failEnvelope, okEnvelope, type Envelope } from './envelope.js';
import { RateLimiter } from './rate-limit.js';
import { clientIpOf } from './client-ip.js';

/** Commands that change an app's configuration (logged with who made them): set, delete, rotate, create. */
const CONFIG_CHANGES = /^(call_config|dialtone_admin)\/(set|delete|rotate|create)_/;

/** Told of every REST request (metrics). */
export interface RestObserver {
  /** `command` is `service/command` for a known one, else `unknown`; `code` the envelope's ErrorCode; `seconds` until the answer. */
  requested(command: string, code: number, seconds: number): void;
  /** A sign-in refused: a bad UserSig, or an identifier that is not an administrator. */
  authFailed(surface: 'rest' | 'ws', code: number): void;
}

/** Options of {@link registerRestApi}. */
export interface RestApiOptions {
  apps: AppRegistry;
  clock: Clock;
  commands: RestCommand[];
  /** Requests per second per API per app. Default 200. */
  rateLimitPerSecond?: number;
  observer?: RestObserver | undefined;
}

const UINT32 = /^\d{1,10}$/;

function isUint32(text: string): boolean {
  return UINT32.test(text) && Number(text) <= 0xffffffff;
}

/** Whether `path` (without its query) is under the REST API, `/v4/`. */
export function isRestPath(path: string): boolean {
  return path.startsWith('/v4/');
}

/** The envelope of the HTTP 405 that answers any method but POST on a REST path (SPEC §2.1), with `Allow: POST`. */
export function methodNotAllowedEnvelope(requestId: string): Envelope {
  return failEnvelope(requestId, ERR.REST_METHOD_NOT_ALLOWED.code, ERR.REST_METHOD_NOT_ALLOWED.message);
}

/** Answers a request on a REST path whose method is not POST: HTTP 405, `Allow: POST`, the envelope. */
export function refuseMethod(req: FastifyRequest, reply: FastifyReply): FastifyReply {
  return reply.code(405).header('allow', 'POST').send(methodNotAllowedEnvelope(req.id));
}

/**
 * Registers the `/v4/...` routes on `app`. Methods the route does not list reach the not-found
 * handler, which answers them with {@link refuseMethod} too.
 */
export function registerRestApi(app: FastifyInstance, opts: RestApiOptions): void {
  const commands = new Map(opts.commands.map((c) => [c.path, c]));
  const limiter = new RateLimiter(opts.rateLimitPerSecond ?? 200, opts.clock);

  // A detail is the whole sentence: the default message is not repeated in front of it.
  const fail = (req: FastifyRequest, reply: FastifyReply, def: ErrorDef, detail?: string) =>
    reply.code(200).send(failEnvelope(req.id, def.code, detail ?? def.message));

  app.route<{ Params: { service: string; command: string }; Querystring: Record<string, string | string[]> }>({
    method: ['GET', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'POST'],
    url: '/v4/:service/:command',
    onSend: async (req, reply, payload) => {
      if (opts.observer) {
        const path = `${req.params.service}/${req.params.command}`;
        // The envelope's code, read without parsing the whole body again.
        const code = typeof payload === 'string' ? Number(/"ErrorCode":(-?\d+)/.exec(payload)?.[1] ?? NaN) : NaN;
        opts.observer.requested(commands.has(path) ? path : 'unknown', code, reply.elapsedTime / 1000);
      }
      return payload;
    },
    handler: async (req, reply) => {
      if (req.method !== 'POST') return refuseMethod(req, reply);
      const q = req.query;
      const param = (name: string): string | undefined => {
        const v = q[name];
        return Array.isArray(v) ? v[0] : v;
      };
      const sdkappid = param('sdkappid');
      if (sdkappid === undefined || sdkappid === '') return fail(req, reply, ERR.REST_MISSING_SDKAPPID);
      if (!isUint32(sdkappid)) return fail(req, reply, ERR.REST_INVALID_SDKAPPID, 'sdkappid must be an unsigned 32-bit integer');
      for (const name of ['identifier', 'usersig', 'random', 'contenttype']) {
        if (param(name) === undefined) return fail(req, reply, ERR.REST_BAD_REQUEST, `the query parameter ${name} is missing`);
      }
      for (const [name, value] of Object.entries(q)) {
        if (![value].flat().every(isWellFormed)) return fail(req, reply, ERR.REST_BAD_REQUEST, `${name} ${WELL_FORMED_RULE}`);
      }
      if (!isUserId(param('identifier')!)) return fail(req, reply, ERR.REST_BAD_REQUEST, `identifier ${USER_ID_RULE}`);
      if (!isUint32(param('random')!)) return fail(req, reply, ERR.REST_BAD_REQUEST, 'random must be an unsigned 32-bit integer');
      if (param('contenttype') !== 'json') return fail(req, reply, ERR.REST_BAD_REQUEST, 'contenttype must be json');

      const path = `${req.params.service}/${req.params.command}`;
      const command = commands.get(path);
      if (!command) return fail(req, reply, ERR.REST_UNKNOWN_COMMAND, `unknown service or command ${path}`);

      const sdkAppId = Number(sdkappid);
      const identifier = param('identifier')!;
      const verified = verifyUserSig({
        userSig: param('usersig')!,
        identifier,
        sdkAppId,
        secretKeyOf: opts.apps.secretKeyOf,
        now: Math.floor(opts.clock.now() / 1000),
      });
      if (isDialtoneError(verified)) {
        req.log.warn(
          { surface: 'rest', sdkAppId, identifier, command: path, code: verified.code, reason: verified.message },
          'sign-in refused',
        );
        opts.observer?.authFailed('rest', verified.code);
        return reply.code(200).send(failEnvelope(req.id, verified.code, verified.message));
      }
      if (!opts.apps.isAdmin(sdkAppId, identifier)) {
        req.log.warn({ surface: 'rest', sdkAppId, identifier, command: path, code: ERR.REST_NOT_ADMIN.code }, 'sign-in refused');
        opts.observer?.authFailed('rest', ERR.REST_NOT_ADMIN.code);
        return fail(req, reply, ERR.REST_NOT_ADMIN);
      }
      if (!limiter.allow(`${sdkAppId}/${path}`))
        return fail(
          req,
          reply,
          ERR.REST_RATE_LIMITED,
          `rate limit exceeded: ${path} allows ${opts.rateLimitPerSecond ?? 200} requests per second`,
        );

      const raw = typeof req.body === 'string' ? req.body : '';
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch {
        return fail(
          req,
          reply,
          ERR.REST_BODY_NOT_JSON,
          raw.trim() === '' ? 'the body is empty; send {} when there are no fields' : undefined,
        );
      }
      const checked = command.validate(body);
      if (!checked.ok) return fail(req, reply, command.invalidParam, checked.reason);

      try {
        const response = await command.handle(checked.value, {
          sdkAppId,
          userId: identifier,
          clientIp: clientIpOf(req.ip),
          platform: 'RESTAPI',
        });
        if (CONFIG_CHANGES.test(path)) {
          // What changed is named by the fields given, never their values (tokens, keys).
          const fields = body !== null && typeof body === 'object' ? Object.keys(body) : [];
          req.log.info({ sdkAppId, who: identifier, command: path, fields }, 'configuration changed');
        }
        return reply.code(200).send(okEnvelope(req.id, response));
      } catch (err) {
        if (isDialtoneError(err)) return reply.code(200).send(failEnvelope(req.id, err.code, err.message));
        req.log.error({ err, command: path }, 'REST command failed');
        return fail(req, reply, command.internal);
      }
    },
  });
}
