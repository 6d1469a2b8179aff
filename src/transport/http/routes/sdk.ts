/**
 * `GET /sdk/<name>.js`: the browser builds of the client SDK package, `@dialtone/client`
 * (`dialtone-client.js`, and the stand-ins for Tencent's call UI `tuicall-engine.js` and
 * `tuicall-chat-stub.js`, SPEC §8), from its build (`packages/client/dist/`).
 */
import type { FastifyInstance } from 'fastify';
import { existsSync, readFileSync } from 'node:fs';

/** The browser modules `npm run build` makes in the package's `dist/`, each served at `/sdk/<file>`. */
export const SDK_BUNDLES = ['dialtone-client.js', 'tuicall-engine.js', 'tuicall-chat-stub.js'] as const;

/**
 * Adds the SDK routes, serving each of {@link SDK_BUNDLES} from the build of the client SDK
 * package in the folder `pkg` (`packages/client/`, with a trailing slash). Files are read on each
 * request, so a rebuild is served without a restart; a missing file is a 404 saying so.
 */
export function registerSdkBundles(http: FastifyInstance, pkg: URL): void {
  const dir = new URL('dist/', pkg);
  for (const file of SDK_BUNDLES) {
    const bundle = new URL(file, dir);
    http.get(`/sdk/${file}`, async (_req, reply) => {
      const code = existsSync(bundle) ? readFileSync(bundle) : undefined;
      if (!code) return reply.code(404).type('text/plain').send(`the SDK bundle ${file} is missing: run npm run build`);
      return reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(code);
    });
  }
}
