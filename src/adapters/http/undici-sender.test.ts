import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { CallbackRequest } from '../../app/ports.js';
import { DestinationPolicy } from '../../callbacks/destination.js';
import { UndiciSender } from './undici-sender.js';

let server: Server | undefined;
let sender: UndiciSender | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await sender?.close();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = sender = undefined;
});

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const loopback = () => new DestinationPolicy({ allow: ['127.0.0.0/8'] });

function request(origin: string, over: Partial<CallbackRequest> = {}): CallbackRequest {
  return {
    sdkAppId: 1400000000,
    origin,
    path: '/cb?x=1',
    headers: { 'content-type': 'application/json', 'webhook-id': 'msg_1' },
    body: '{"a":1}',
    timeoutMs: 2000,
    ...over,
  };
}

describe('UndiciSender', () => {
  it('sends the request as given and returns the status, Retry-After and body', async () => {
    let seen: { url?: string | undefined; id?: string | string[] | undefined; body: string } | undefined;
    const origin = await serve((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen = { url: req.url, id: req.headers['webhook-id'], body };
        res.writeHead(503, { 'retry-after': '3' }).end('busy');
      });
    });
    sender = new UndiciSender({ destinations: loopback() });
    const got = await sender.send(request(origin));
    expect(got).toMatchObject({ status: 503, retryAfter: '3', body: 'busy' });
    expect(got.latencyMs).toBeGreaterThanOrEqual(0);
    expect(seen).toEqual({ url: '/cb?x=1', id: 'msg_1', body: '{"a":1}' });
  });

  it('answers a refused destination with the refusal, without connecting', async () => {
    let connected = false;
    const origin = await serve((_req, res) => {
      connected = true;
      res.end('{}');
    });
    sender = new UndiciSender();
    const got = await sender.send(request(origin));
    expect(got).toMatchObject({ error: expect.stringMatching(/^destination refused: /) });
    expect(connected).toBe(false);
  });

  it('answers a receiver that does not answer in time with the timeout', async () => {
    const origin = await serve(() => undefined);
    sender = new UndiciSender({ destinations: loopback() });
    const got = await sender.send(request(origin, { timeoutMs: 150 }));
    expect(got).toMatchObject({ error: 'timeout after 150 ms' });
  });

  it('answers a closed port with the network error', async () => {
    const origin = await serve(() => undefined);
    server!.close();
    server = undefined;
    sender = new UndiciSender({ destinations: loopback() });
    const got = await sender.send(request(origin));
    expect(got).toMatchObject({ error: expect.stringContaining('ECONNREFUSED') });
  });
});
