/** `GET /sdk/dialtone-client.js`: the browser build of the client SDK. */
import type { FastifyInstance } from 'fastify';
import { existsSync, readFileSync } from 'node:fs';

/**
 * Adds the SDK route, serving the file at `bundle` (made by `npm run build`). It is read on each
 * request, so a rebuild is served without a restart; a missing file is a 404 saying so.
 */
export function registerSdkBundle(http: FastifyInstance, bundle: URL): void {
  http.get('/sdk/dialtone-client.js', async (_req, reply) => {
    const code = existsSync(bundle) ? readFileSync(bundle) : undefined;
    if (!code) return reply.code(404).type('text/plain').send('the SDK bundle is missing: run npm run build');
    return reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(code);
  });
}
