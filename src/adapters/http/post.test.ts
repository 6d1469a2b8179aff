import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { Poster, PostTimeoutError } from './post.js';

let server: Server | undefined;
let agent: Agent | undefined;

afterEach(async () => {
  await agent?.destroy();
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = agent = undefined;
});

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function poster(sweepMs = 20): Poster {
  agent = new Agent({ connections: 4 });
  return new Poster(agent, sweepMs);
}

const post = (p: Poster, origin: string, over: { timeoutMs?: number; maxBytes?: number } = {}) =>
  p.post({
    origin,
    path: '/cb?x=1',
    headers: { 'content-type': 'application/json' },
    body: '{"a":1}',
    timeoutMs: 2000,
    maxBytes: 1024,
    ...over,
  });

describe('Poster', () => {
  it('returns the status, headers and body, and sends path, headers and body as given', async () => {
    let seen = '';
    const origin = await serve((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen = `${req.method} ${req.url} ${req.headers['content-type']} ${body}`;
        res.writeHead(503, { 'retry-after': '1' }).end('busy');
      });
    });
    const res = await post(poster(), origin);
    expect(seen).toBe('POST /cb?x=1 application/json {"a":1}');
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.text).toBe('busy');
  });

  it('ends an attempt whose body trickles in past the deadline, though each chunk comes in time', async () => {
    const origin = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const drip = setInterval(() => res.write('x'), 30);
      res.on('close', () => clearInterval(drip));
    });
    const started = performance.now();
    const err = await post(poster(), origin, { timeoutMs: 300 }).catch((e: unknown) => e);
    const took = performance.now() - started;
    expect(err).toBeInstanceOf(PostTimeoutError);
    expect((err as Error).message).toBe('timeout after 300 ms');
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(2000);
  });

  it('times out a receiver that never answers, with the agent’s header timer', async () => {
    const origin = await serve(() => undefined);
    const err = (await post(poster(10_000), origin, { timeoutMs: 200 }).catch((e: unknown) => e)) as { code?: string };
    expect(err.code).toBe('UND_ERR_HEADERS_TIMEOUT');
  });

  it('keeps at most maxBytes of a large response and does not wait for the rest', async () => {
    const origin = await serve((_req, res) => {
      res.writeHead(200);
      res.write('y'.repeat(4096));
      // Never ends: the attempt must finish on the bytes it kept.
    });
    const res = await post(poster(), origin, { maxBytes: 1024 });
    expect(res.statusCode).toBe(200);
    expect(res.text.length).toBeGreaterThanOrEqual(1024);
    expect(res.text.length).toBeLessThanOrEqual(4096);
    expect(res.text).toMatch(/^y+$/);
  });

  it('rejects with the network error when the port is closed', async () => {
    const origin = await serve(() => undefined);
    server!.close();
    await new Promise((r) => server!.once('close', r));
    server = undefined;
    const err = (await post(poster(), origin).catch((e: unknown) => e)) as { code?: string };
    expect(err.code).toBe('ECONNREFUSED');
  });
});
