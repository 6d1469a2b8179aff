/**
 * `/sdk/*` through real HTTP against a real server, serving the client SDK package's real build
 * (`packages/client/dist/`, from `npm run build`): pages of any origin, strong ETags and 304s,
 * brotli and gzip as accepted, caching by path (versioned: a year, immutable; unversioned:
 * revalidated), source maps whose sources are served too, and the server's usual 404 for
 * anything else, paths that climb out of the folder included. Raw `node:http` requests: a path
 * is sent exactly as written and a body arrives as it was encoded.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SDK_BUNDLES, UNVERSIONED_CACHE, VERSIONED_CACHE } from '../../src/transport/http/routes/sdk.js';
import { startServer, type TestServer } from '../helpers/server.js';

const PACKAGE = new URL('../../packages/client/', import.meta.url);
const VERSION = (JSON.parse(readFileSync(new URL('package.json', PACKAGE), 'utf8')) as { version: string }).version;
/** A file of the build, as it is on disk. */
const built = (name: string): Buffer => readFileSync(fileURLToPath(new URL(`dist/${name}`, PACKAGE)));

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

let t: TestServer;
beforeAll(async () => {
  t = await startServer();
});
afterAll(async () => {
  await t.close();
});

/** `method` `path` (sent as written, nothing normalised) with these request headers. */
function get(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  const { hostname, port } = new URL(t.url);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('/sdk/<file>', () => {
  it.each(SDK_BUNDLES)('serves %s as JavaScript to pages of any origin, revalidated on each use', async (file) => {
    const res = await get(`/sdk/${file}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(res.headers['cache-control']).toBe(UNVERSIONED_CACHE);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.headers.vary).toBe('accept-encoding');
    expect(res.headers.etag).toMatch(/^"[\w-]+"$/);
    expect(res.body.equals(built(file))).toBe(true);
    expect(Number(res.headers['content-length'])).toBe(res.body.length);
  });

  it('is the minified bundle exporting the client and CallMedia, pointing at its source map', async () => {
    const code = (await get('/sdk/dialtone-client.js')).body.toString();
    expect(code).toMatch(/export\s*\{[^}]*\bDialtoneClient\b/);
    expect(code).toMatch(/export\s*\{[^}]*\bCallMedia\b/);
    expect(code.trimEnd().endsWith('//# sourceMappingURL=dialtone-client.js.map')).toBe(true);
    // Minified: a few long lines rather than the source's thousands.
    expect(code.split('\n').length).toBeLessThan(10);
  });

  it('sends brotli or gzip as the request accepts, each with its own strong ETag, and the bytes unchanged once decoded', async () => {
    const plain = await get('/sdk/tuicall-engine.js');
    const br = await get('/sdk/tuicall-engine.js', { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.body.length).toBeLessThan(plain.body.length / 2);
    expect(brotliDecompressSync(br.body).equals(plain.body)).toBe(true);
    const gzip = await get('/sdk/tuicall-engine.js', { 'accept-encoding': 'gzip' });
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gzip.body).equals(plain.body)).toBe(true);
    const preferred = await get('/sdk/tuicall-engine.js', { 'accept-encoding': 'br;q=0.5, gzip;q=1' });
    expect(preferred.headers['content-encoding']).toBe('gzip');
    const refused = await get('/sdk/tuicall-engine.js', { 'accept-encoding': 'br;q=0, gzip;q=0' });
    expect(refused.headers['content-encoding']).toBeUndefined();
    expect(refused.body.equals(plain.body)).toBe(true);
    const tags = [plain, br, gzip].map((r) => r.headers.etag);
    expect(new Set(tags).size).toBe(3);
    for (const tag of tags) expect(tag).not.toMatch(/^W\//);
    for (const r of [plain, br, gzip]) expect(r.headers.vary).toBe('accept-encoding');
  });

  it('answers 304 without a body when the page has the representation (If-None-Match), still readable cross-origin', async () => {
    const first = await get('/sdk/dialtone-client.js', { 'accept-encoding': 'br' });
    const etag = String(first.headers.etag);
    const again = await get('/sdk/dialtone-client.js', { 'accept-encoding': 'br', 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    expect(again.headers.etag).toBe(etag);
    expect(again.headers['access-control-allow-origin']).toBe('*');
    expect(again.headers['cache-control']).toBe(UNVERSIONED_CACHE);
    // A list, and the weak form a cache may send, match too (If-None-Match compares weakly).
    expect((await get('/sdk/dialtone-client.js', { 'accept-encoding': 'br', 'if-none-match': `"other", ${etag}` })).status).toBe(304);
    expect((await get('/sdk/dialtone-client.js', { 'accept-encoding': 'br', 'if-none-match': `W/${etag}` })).status).toBe(304);
    // Another representation's tag, or another build's, is a full answer.
    const plain = await get('/sdk/dialtone-client.js', { 'if-none-match': etag });
    expect(plain.status).toBe(200);
    expect(plain.body.equals(built('dialtone-client.js'))).toBe(true);
    expect((await get('/sdk/dialtone-client.js', { 'accept-encoding': 'br', 'if-none-match': '"stale"' })).status).toBe(200);
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    const res = await get('/sdk/dialtone-client.js', { 'accept-encoding': 'gzip' }, 'HEAD');
    expect(res.status).toBe(200);
    expect(res.body.length).toBe(0);
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers.etag).toBe((await get('/sdk/dialtone-client.js', { 'accept-encoding': 'gzip' })).headers.etag);
  });
});

describe('/sdk/<version>/<file>', () => {
  it("serves the same bytes under the package's version, cached for a year as immutable", async () => {
    for (const file of SDK_BUNDLES) {
      const unversioned = await get(`/sdk/${file}`, { 'accept-encoding': 'br' });
      const versioned = await get(`/sdk/${VERSION}/${file}`, { 'accept-encoding': 'br' });
      expect(versioned.status).toBe(200);
      expect(versioned.headers['cache-control']).toBe(VERSIONED_CACHE);
      expect(versioned.headers['access-control-allow-origin']).toBe('*');
      expect(versioned.headers.etag).toBe(unversioned.headers.etag);
      expect(versioned.body.equals(unversioned.body)).toBe(true);
    }
  });

  it('is a 404 naming the version this server has for another version', async () => {
    const res = await get('/sdk/0.0.1/dialtone-client.js');
    expect(res.status).toBe(404);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(JSON.parse(res.body.toString())).toMatchObject({
      ActionStatus: 'FAIL',
      ErrorInfo: `this server has version ${VERSION} of the client SDK: /sdk/${VERSION}/dialtone-client.js`,
    });
  });
});

describe('source maps', () => {
  it.each(['', `${VERSION}/`])('serves each map at /sdk/%s<file>.map, and every source it names resolves beside it', async (prefix) => {
    for (const file of SDK_BUNDLES) {
      const url = new URL(`/sdk/${prefix}${file}.map`, t.url);
      const res = await get(url.pathname, { 'accept-encoding': 'gzip' });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.headers['access-control-allow-origin']).toBe('*');
      const map = JSON.parse(gunzipSync(res.body).toString()) as {
        version: number;
        sources: string[];
        sourcesContent: string[];
        mappings: string;
      };
      expect(map.version).toBe(3);
      expect(map.mappings.length).toBeGreaterThan(0);
      expect(map.sources.length).toBeGreaterThan(0);
      for (const [i, source] of map.sources.entries()) {
        const path = new URL(source, url).pathname;
        expect(path.startsWith(`/sdk/${prefix}src/`), path).toBe(true);
        const src = await get(path);
        expect(src.status, path).toBe(200);
        expect(src.headers['content-type']).toBe('text/plain; charset=utf-8');
        expect(src.body.toString()).toBe(map.sourcesContent[i]);
      }
    }
  });
});

describe('anything else under /sdk/', () => {
  it.each([
    '/sdk/',
    '/sdk/secret.js',
    '/sdk/dialtone-client.js.gz',
    '/sdk/esm/index.js',
    '/sdk/types/sdk/client/core.d.ts',
    '/sdk/package.json',
    '/sdk/../package.json',
    '/sdk/%2e%2e/package.json',
    '/sdk/..%2fpackage.json',
    '/sdk/src/../../package.json',
    '/sdk/src/%2e%2e/%2e%2e/package.json',
    '/sdk/src/sdk/client/client.ts/../../../../../package.json',
    `/sdk/${VERSION}/../../package.json`,
    `/sdk/${VERSION}/%2e%2e%2f%2e%2e%2fpackage.json`,
    '/sdk/src/sdk/client/nope.ts',
    '/sdk/0.0.1/secret.js',
    '/sdk/src/sdk/client/client.test.ts',
  ])("is the server's usual 404 for %s, and never a file from outside the served ones", async (path) => {
    const res = await get(path);
    expect(res.status).toBe(404);
    const body = JSON.parse(res.body.toString()) as { ActionStatus: string; ErrorInfo: string };
    expect(body.ActionStatus).toBe('FAIL');
    expect(body.ErrorInfo).toMatch(/^no such endpoint: GET \/sdk\//);
  });
});
