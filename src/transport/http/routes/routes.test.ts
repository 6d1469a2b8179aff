/**
 * The HTTP server's own routes and fallbacks, on an injected request (no socket): health,
 * metrics behind a token, the SDK bundle, and the envelope answers of the error and 404 handlers.
 */
import type { ReadinessReport } from '../../../app/readiness.js';
import type { FastifyInstance } from 'fastify';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ERR } from '../../../errors.js';
import { MAX_REST_BODY_BYTES, createHttp } from '../fastify.js';
import { registerHealth } from './health.js';
import { registerMetrics } from './metrics.js';
import { UNVERSIONED_CACHE, VERSIONED_CACHE, registerSdkBundles } from './sdk.js';

let http: FastifyInstance | undefined;
let dir: string | undefined;
afterEach(async () => {
  await http?.close();
  http = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function server(): FastifyInstance {
  http = createHttp({ log: pino({ level: 'silent' }), logRequests: false });
  return http;
}

describe('HTTP routes', () => {
  it('GET /healthz answers ok; GET /readyz answers 200 or 503 with each check, never cached', async () => {
    const h = server();
    let report: ReadinessReport = { ready: true, checks: { store: { state: 'ok' } } };
    registerHealth(h, async () => report);
    const res = await h.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
    const ready = await h.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.headers['cache-control']).toBe('no-store');
    expect(ready.json()).toEqual({ status: 'ready', checks: { store: { state: 'ok' } } });
    report = { ready: false, checks: { store: { state: 'failing', error: 'the store does not answer: boom' }, timers: { state: 'ok' } } };
    const down = await h.inject({ method: 'GET', url: '/readyz' });
    expect(down.statusCode).toBe(503);
    expect(down.json()).toEqual({ status: 'not ready', checks: report.checks });
  });

  it('GET /metrics needs the bearer token when one is set', async () => {
    const h = server();
    registerMetrics(h, { contentType: 'text/plain; version=0.0.4', metrics: async () => 'up 1\n' }, 's3cret');
    expect((await h.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    expect((await h.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer nope' } })).statusCode).toBe(401);
    const res = await h.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer s3cret' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4');
    expect(res.body).toBe('up 1\n');
  });

  it('GET /metrics is open without a token', async () => {
    const h = server();
    registerMetrics(h, { contentType: 'text/plain', metrics: async () => 'up 1\n' }, undefined);
    expect((await h.inject({ method: 'GET', url: '/metrics' })).body).toBe('up 1\n');
  });

  /** A package folder like packages/client/ in a temporary directory: its package.json and an empty dist/. */
  function sdkPackage(): string {
    dir = mkdtempSync(join(tmpdir(), 'dialtone-sdk-'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: '@dialtone/client', version: '1.2.3' }));
    mkdirSync(join(dir, 'dist'));
    return dir;
  }

  it('serves an SDK bundle of the package build, again after a rebuild, and a 404 saying how to build it when missing', async () => {
    const pkg = sdkPackage();
    const h = server();
    registerSdkBundles(h, pathToFileURL(`${pkg}/`));
    const missing = await h.inject({ method: 'GET', url: '/sdk/dialtone-client.js' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ ErrorCode: ERR.REST_BAD_REQUEST.code, ErrorInfo: expect.stringContaining('npm run build') });
    writeFileSync(join(pkg, 'dist', 'dialtone-client.js'), 'export {};');
    const res = await h.inject({ method: 'GET', url: '/sdk/dialtone-client.js' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(res.headers['cache-control']).toBe(UNVERSIONED_CACHE);
    expect(res.body).toBe('export {};');
    writeFileSync(join(pkg, 'dist', 'dialtone-client.js'), 'export const rebuilt = true;');
    const again = await h.inject({ method: 'GET', url: '/sdk/1.2.3/dialtone-client.js' });
    expect(again.body).toBe('export const rebuilt = true;');
    expect(again.headers['cache-control']).toBe(VERSIONED_CACHE);
    expect(again.headers.etag).not.toBe(res.headers.etag);
  });

  it('serves the TUICallEngine stand-in and the chat stub beside it, each its own file, and nothing else from the folder', async () => {
    const pkg = sdkPackage();
    const h = server();
    registerSdkBundles(h, pathToFileURL(`${pkg}/`));
    for (const file of ['tuicall-engine.js', 'tuicall-chat-stub.js']) {
      const missing = await h.inject({ method: 'GET', url: `/sdk/${file}` });
      expect(missing.statusCode).toBe(404);
      expect(missing.body).toContain(file);
      writeFileSync(join(pkg, 'dist', file), `export const name = '${file}';`);
    }
    writeFileSync(join(pkg, 'dist', 'secret.js'), 'nope');
    mkdirSync(join(pkg, 'dist', 'esm'));
    writeFileSync(join(pkg, 'dist', 'esm', 'index.js'), 'nope');
    const engine = await h.inject({ method: 'GET', url: '/sdk/tuicall-engine.js' });
    expect(engine.statusCode).toBe(200);
    expect(engine.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(engine.body).toBe("export const name = 'tuicall-engine.js';");
    const stub = await h.inject({ method: 'GET', url: '/sdk/tuicall-chat-stub.js' });
    expect(stub.statusCode).toBe(200);
    expect(stub.body).toBe("export const name = 'tuicall-chat-stub.js';");
    for (const url of ['/sdk/secret.js', '/sdk/esm/index.js', '/sdk/1.2.3/secret.js', '/sdk/package.json']) {
      const res = await h.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(res.json().ErrorInfo, url).toBe(`no such endpoint: GET ${url}`);
    }
  });

  it('serves a compressed variant only when it is not older than the file: a stale one of an earlier build is left alone', async () => {
    const pkg = sdkPackage();
    const h = server();
    registerSdkBundles(h, pathToFileURL(`${pkg}/`));
    const file = join(pkg, 'dist', 'dialtone-client.js');
    writeFileSync(file, 'export const fresh = true;');
    writeFileSync(`${file}.gz`, gzipSync('export const stale = true;'));
    utimesSync(`${file}.gz`, new Date(2000, 0, 1), new Date(2000, 0, 1));
    const stale = await h.inject({ method: 'GET', url: '/sdk/dialtone-client.js', headers: { 'accept-encoding': 'gzip' } });
    expect(stale.headers['content-encoding']).toBeUndefined();
    expect(stale.body).toBe('export const fresh = true;');
    writeFileSync(`${file}.gz`, gzipSync('export const fresh = true;'));
    const current = await h.inject({ method: 'GET', url: '/sdk/dialtone-client.js', headers: { 'accept-encoding': 'gzip' } });
    expect(current.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(current.rawPayload).toString()).toBe('export const fresh = true;');
  });
});

describe('HTTP fallbacks', () => {
  it('an unknown REST command is HTTP 200 with 60009; another method on a REST path is 405', async () => {
    const h = server();
    const unknown = await h.inject({ method: 'POST', url: '/v4/nope/nothing?x=1', payload: '{}' });
    expect(unknown.statusCode).toBe(200);
    expect(unknown.json()).toMatchObject({ ActionStatus: 'FAIL', ErrorCode: ERR.REST_UNKNOWN_COMMAND.code });
    const get = await h.inject({ method: 'GET', url: '/v4/nope/nothing' });
    expect(get.statusCode).toBe(405);
    expect(get.headers.allow).toBe('POST');
  });

  it('any other unknown path is a 404 naming it', async () => {
    const res = await server().inject({ method: 'GET', url: '/nowhere?q=1' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ ErrorCode: ERR.REST_BAD_REQUEST.code, ErrorInfo: 'no such endpoint: GET /nowhere' });
  });

  it('a body over the limit is HTTP 200 with 60003 naming the limit', async () => {
    const h = server();
    h.post('/v4/a/b', async () => ({}));
    const res = await h.inject({ method: 'POST', url: '/v4/a/b', payload: 'x'.repeat(MAX_REST_BODY_BYTES + 1) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ ErrorCode: ERR.REST_BODY_TOO_LARGE.code });
    expect(res.json().ErrorInfo).toContain(`${MAX_REST_BODY_BYTES} bytes`);
  });

  it('a handler that throws is a 500 envelope without the error', async () => {
    const h = server();
    h.get('/boom', async () => {
      throw new Error('secret detail');
    });
    const res = await h.inject({ method: 'GET', url: '/boom' });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toMatchObject({ ErrorCode: ERR.CONFIG_INTERNAL.code, ErrorInfo: 'internal error' });
    expect(res.body).not.toContain('secret detail');
  });
});
