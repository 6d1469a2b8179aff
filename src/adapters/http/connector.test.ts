import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { DestinationRefusedError, safeConnector, type DnsLookup } from './connector.js';
import { DestinationPolicy } from '../../callbacks/destination.js';

let server: Server | undefined;
let agent: Agent | undefined;
let hits = 0;

afterEach(async () => {
  await agent?.destroy();
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = agent = undefined;
  hits = 0;
});

/** A receiver on 127.0.0.1; resolves to its port. */
async function serve(): Promise<number> {
  server = createServer((_req, res) => {
    hits++;
    res.end('ok');
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

/** A DNS that knows only `names`, and counts how often it was asked. */
function fakeDns(names: Record<string, string[]>): DnsLookup & { asked: string[] } {
  const asked: string[] = [];
  const lookup = async (hostname: string) => {
    asked.push(hostname);
    const found = names[hostname];
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(lookup, { asked });
}

function post(url: string, policy: DestinationPolicy, lookup: DnsLookup): Promise<string> {
  agent = new Agent({ connect: safeConnector({ policy, lookup, timeoutMs: 2000 }) });
  return request(url, { method: 'POST', body: '{}', dispatcher: agent }).then((res) => res.body.text());
}

describe('safeConnector', () => {
  it('refuses a host name that resolves to a private address, saying which', async () => {
    const port = await serve();
    const dns = fakeDns({ 'hooks.example': ['10.0.0.1'] });
    const err = await post(`http://hooks.example:${port}/cb`, new DestinationPolicy(), dns).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DestinationRefusedError);
    expect((err as Error).message).toBe(
      'destination refused: hooks.example resolves to a private address (10.0.0.1); callbacks may only go to public addresses unless the operator allows it with DIALTONE_CALLBACK_ALLOW',
    );
    expect(dns.asked).toEqual(['hooks.example']);
  });

  it('refuses a host name rebound to loopback, though the receiver is there', async () => {
    const port = await serve();
    const dns = fakeDns({ 'rebind.example': ['127.0.0.1'] });
    const err = await post(`http://rebind.example:${port}/`, new DestinationPolicy(), dns).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/rebind\.example resolves to a loopback address \(127\.0\.0\.1\)/);
    expect(hits).toBe(0);
  });

  it('connects only to the allowed addresses of a name that has several', async () => {
    const port = await serve();
    const dns = fakeDns({ 'mixed.example': ['10.0.0.1', '127.0.0.1'] });
    expect(await post(`http://mixed.example:${port}/`, new DestinationPolicy({ allow: ['127.0.0.0/8'] }), dns)).toBe('ok');
    expect(hits).toBe(1);
  });

  it('connects to a listed host name whatever it resolves to', async () => {
    const port = await serve();
    const dns = fakeDns({ 'receiver.internal': ['127.0.0.1'] });
    expect(await post(`http://receiver.internal:${port}/`, new DestinationPolicy({ allow: ['receiver.internal'] }), dns)).toBe('ok');
    expect(hits).toBe(1);
  });

  it('checks literal addresses, which net does not look up, before connecting', async () => {
    const port = await serve();
    const dns = fakeDns({});
    const err = await post(`http://127.0.0.1:${port}/`, new DestinationPolicy(), dns).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DestinationRefusedError);
    expect((err as Error).message).toMatch(/^destination refused: Url points to a loopback address \(127\.0\.0\.1\)/);
    expect(hits).toBe(0);
    expect(await post(`http://127.0.0.1:${port}/`, new DestinationPolicy({ allowLoopback: true }), dns)).toBe('ok');
    expect(dns.asked).toEqual([]);
  });

  it('passes on a name that does not resolve as the DNS error', async () => {
    const err = (await post('http://nowhere.example:9/', new DestinationPolicy(), fakeDns({})).catch((e: unknown) => e)) as {
      code?: string;
    };
    expect(err.code).toBe('ENOTFOUND');
  });
});
