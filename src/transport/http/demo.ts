/**
 * The browser demo (`/demo`) and its dev-only sign-in endpoint. Registered only in dev mode:
 * `/dev/usersig` issues a UserSig for any user id, which no production server may do, and only
 * to requests addressed to a loopback name.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { AppRegistry } from '../../app/app-registry.js';
import { makeUserSig } from '../../auth/usersig.js';
import { ERR } from '../../errors.js';
import { isUserId, USER_ID_RULE } from '../../protocol/identifiers.js';
import { failEnvelope } from './envelope.js';
import { isLoopbackHost } from './loopback-host.js';

const FILES: Record<string, string> = {
  '/demo': 'index.html',
  '/demo/': 'index.html',
  '/demo/app.js': 'app.js',
  '/demo/style.css': 'style.css',
};
const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

/**
 * Outside dev mode `/dev/usersig` exists only to refuse: HTTP 403 with the envelope, so that a
 * misconfigured client learns why rather than seeing a bare 404.
 */
export function refuseDevEndpoints(http: FastifyInstance): void {
  http.get('/dev/usersig', async (req, reply) =>
    reply
      .code(403)
      .send(failEnvelope(req.id, ERR.REST_NOT_ADMIN.code, 'the dev sign-in endpoint exists only in dev mode (dialtone serve --dev)')),
  );
}

/** Registers the demo page and `/dev/usersig` on `http`. */
export function registerDemo(http: FastifyInstance, apps: AppRegistry): void {
  // This module sits at src/transport/http or dist/transport/http: the package root is 3 up.
  const dir = new URL('../../../public/demo/', import.meta.url);
  for (const [path, file] of Object.entries(FILES)) {
    http.get(path, async (_req, reply) => {
      const url = new URL(file, dir);
      if (!existsSync(url)) return reply.code(404).send({ error: `missing ${file}` });
      return reply.type(TYPES[file.split('.').pop()!]!).header('cache-control', 'no-cache').send(readFileSync(url));
    });
  }
  http.get<{ Querystring: { userId?: string; sdkAppId?: string } }>('/dev/usersig', async (req, reply) => {
    // A page of another site may reach this server through a name it makes resolve to 127.0.0.1
    // (DNS rebinding), and its requests then carry that name: only loopback names are answered.
    if (!isLoopbackHost(req.headers.host)) {
      return reply
        .code(403)
        .send(
          failEnvelope(
            req.id,
            ERR.REST_NOT_ADMIN.code,
            'the dev sign-in endpoint answers only requests addressed to localhost, 127.0.0.1 or [::1]: open the demo through one of those',
          ),
        );
    }
    const userId = req.query.userId ?? '';
    if (!isUserId(userId)) return reply.code(400).send({ error: `userId ${USER_ID_RULE}` });
    const app = req.query.sdkAppId ? apps.get(Number(req.query.sdkAppId)) : apps.list()[0];
    if (!app) return reply.code(404).send({ error: 'no such app' });
    return {
      sdkAppId: app.sdkAppId,
      userId,
      userSig: makeUserSig({ sdkAppId: app.sdkAppId, secretKey: app.secretKey, userId, expireSeconds: 24 * 3600 }),
    };
  });
}
