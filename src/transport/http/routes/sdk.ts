/**
 * `GET /sdk/<file>` and `GET /sdk/<version>/<file>`: the browser modules of the client SDK
 * package, `@dialtone/client` (`dialtone-client.js`, and the stand-ins for Tencent's call UI
 * `tuicall-engine.js` and `tuicall-chat-stub.js`, SPEC §8), their source maps and the sources
 * the maps name, from the package's build (`packages/client/dist/`, made by `npm run build`).
 *
 * Pages of any origin import them (`Access-Control-Allow-Origin: *`). The ETag is a hash of the
 * content, strong, so every server of a cluster gives the same one for the same build (a
 * modification time would differ from machine to machine). Brotli or gzip as the request
 * accepts, compressed at build time so a request costs no compression. The versioned path is
 * cached for a year as immutable (it names one build); the unversioned one is revalidated on
 * each use, so pages follow the server's upgrades.
 */
import negotiate from '@fastify/accept-negotiator';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fresh from 'fresh';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { ERR } from '../../../errors.js';
import { failEnvelope } from '../envelope.js';

/** The browser modules `npm run build` makes in the package's `dist/`, each served at `/sdk/<file>`. */
export const SDK_BUNDLES = ['dialtone-client.js', 'tuicall-engine.js', 'tuicall-chat-stub.js'] as const;

/** `Cache-Control` of `/sdk/<version>/<file>`: that URL always names the same bytes. */
export const VERSIONED_CACHE = 'public, max-age=31536000, immutable';
/** `Cache-Control` of `/sdk/<file>`: kept, but checked (a cheap 304) before each use. */
export const UNVERSIONED_CACHE = 'public, no-cache';

/** A bundle, its map, or a source under `src/` (lower-case names without dots: no `..` can pass). */
const SERVED = new RegExp(
  `^(?:(?:${SDK_BUNDLES.map((b) => b.replace(/[.-]/g, '\\$&')).join('|')})(?:\\.map)?|src/(?:[a-z0-9-]+/)*[a-z0-9-]+\\.ts)$`,
);
/** A first path segment that is a version (semver), rather than a file. */
const VERSION = /^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]*)?$/;
const TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  map: 'application/json; charset=utf-8',
  ts: 'text/plain; charset=utf-8',
};
/** Content codings in the server's order of preference, with the suffix of their files. */
const ENCODINGS = [
  { name: 'br', suffix: '.br' },
  { name: 'gzip', suffix: '.gz' },
] as const;
type Encoding = (typeof ENCODINGS)[number]['name'];

/** One representation of a file. */
interface Variant {
  body: Buffer;
  etag: string;
}

/** A file to serve: its content type and representations. */
interface SdkFile {
  type: string;
  identity: Variant;
  encoded: Map<Encoding, Variant>;
}

/** A file's bytes as last read, with what they were read at and their hash. */
interface Read {
  mtimeMs: number;
  size: number;
  body: Buffer;
  hash: string;
}

/**
 * The SDK files in one folder, each read when first asked for and again when it changes (a
 * rebuild is served without a restart). A compressed variant (`<file>.br`, `<file>.gz`) is used
 * only when it is not older than the file, so a stale one from an earlier build is never served.
 */
class SdkFiles {
  private readonly cache = new Map<string, Read>();

  constructor(private readonly dir: URL) {}

  /** The file `name` (already checked against {@link SERVED}), or undefined when it does not exist. */
  async get(name: string): Promise<SdkFile | undefined> {
    const file = await this.read(name);
    if (!file) return undefined;
    // Strong: a hash of the bytes. A variant's tag is the file's with its coding, so the tags of
    // a file's representations differ, as they must.
    const encoded = new Map<Encoding, Variant>();
    for (const { name: coding, suffix } of ENCODINGS) {
      const variant = await this.read(name + suffix);
      if (variant && variant.mtimeMs >= file.mtimeMs) encoded.set(coding, { body: variant.body, etag: `"${file.hash}-${coding}"` });
    }
    return { type: TYPES[name.slice(name.lastIndexOf('.') + 1)]!, identity: { body: file.body, etag: `"${file.hash}"` }, encoded };
  }

  private async read(name: string): Promise<Read | undefined> {
    const url = new URL(name, this.dir);
    const info = await stat(url).catch(() => undefined);
    if (!info?.isFile()) return undefined;
    const cached = this.cache.get(name);
    if (cached && cached.mtimeMs === info.mtimeMs && cached.size === info.size) return cached;
    const body = await readFile(url);
    const read = { mtimeMs: info.mtimeMs, size: info.size, body, hash: createHash('sha256').update(body).digest('base64url').slice(0, 32) };
    this.cache.set(name, read);
    return read;
  }
}

/** The version of the client SDK package in `pkg` (its `package.json`). */
function sdkVersion(pkg: URL): string {
  return (JSON.parse(readFileSync(new URL('package.json', pkg), 'utf8')) as { version: string }).version;
}

/**
 * Adds the SDK routes, serving the build of the client SDK package in the folder `pkg`
 * (`packages/client/`, with a trailing slash) under its version (its `package.json`).
 * Unknown files are the server's usual 404; a bundle missing from the build is a 404 saying to
 * build it, and another version than the package's a 404 naming the one there is.
 */
export function registerSdkBundles(http: FastifyInstance, pkg: URL): void {
  const version = sdkVersion(pkg);
  const files = new SdkFiles(new URL('dist/', pkg));
  http.get<{ Params: { '*': string } }>('/sdk/*', async (req, reply) => {
    // On every answer, errors included, so a page of another origin can read why it failed.
    reply.header('access-control-allow-origin', '*');
    let name = req.params['*'];
    const slash = name.indexOf('/');
    const asked = slash > 0 && VERSION.test(name.slice(0, slash)) ? name.slice(0, slash) : undefined;
    if (asked) name = name.slice(slash + 1);
    if (!SERVED.test(name)) return reply.callNotFound();
    if (asked !== undefined && asked !== version) {
      return notFound(req, reply, `this server has version ${version} of the client SDK: /sdk/${version}/${name}`);
    }
    const file = await files.get(name);
    if (!file) {
      if (name.startsWith('src/')) return reply.callNotFound();
      return notFound(req, reply, `the SDK file ${name} is missing: run npm run build`);
    }
    return send(req, reply, file, asked ? VERSIONED_CACHE : UNVERSIONED_CACHE);
  });
}

function notFound(req: FastifyRequest, reply: FastifyReply, info: string): FastifyReply {
  return reply.code(404).send(failEnvelope(req.id, ERR.REST_BAD_REQUEST.code, info));
}

/** Answers with the representation of `file` the request accepts, or 304 when it has it already. */
function send(req: FastifyRequest, reply: FastifyReply, file: SdkFile, cacheControl: string): FastifyReply {
  const accepted = file.encoded.size > 0 ? negotiate(req.headers['accept-encoding'] ?? '', [...file.encoded.keys()]) : null;
  const variant = accepted ? file.encoded.get(accepted)! : file.identity;
  reply
    .type(file.type)
    .header('cache-control', cacheControl)
    .header('etag', variant.etag)
    // A module script of a page that isolates itself (COEP require-corp) may load it too.
    .header('cross-origin-resource-policy', 'cross-origin')
    .header('x-content-type-options', 'nosniff');
  // A cache keeps one copy per coding; without this it could give brotli to a client without it.
  if (file.encoded.size > 0) reply.header('vary', 'accept-encoding');
  if (accepted) reply.header('content-encoding', accepted);
  if (fresh(req.headers, { etag: variant.etag })) return reply.code(304).send();
  return reply.send(variant.body);
}
