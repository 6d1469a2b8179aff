/**
 * `/readyz` in cluster mode: ready while PostgreSQL and Redis answer; 503 naming the failing
 * check while either is cut off, and ready again once it is back. Both are reached through TCP
 * proxies the test cuts (test/helpers/tcp-proxy.ts): the machine's shared PostgreSQL and Redis are
 * never stopped. They must be reachable (under CI=true a missing one fails this file loudly).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterConfig, dropCluster, startServer, TEST_DATABASE_URL, TEST_REDIS_URL, type TestServer } from '../helpers/server.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { waitForAsync } from '../helpers/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'dialtone-readiness-'));
const cluster = clusterConfig(dir, true)!;
let pg: TcpProxy;
let redis: TcpProxy;
let t: TestServer;

/** `url` with its host and port replaced by the proxy's. */
function through(url: string, proxy: TcpProxy): string {
  const u = new URL(url);
  const p = new URL(proxy.url);
  u.hostname = p.hostname;
  u.port = p.port;
  return u.toString();
}

async function readyz(): Promise<{ status: number; body: { status: string; checks: Record<string, { state: string; error?: string }> } }> {
  const res = await fetch(`${t.url}/readyz`);
  return { status: res.status, body: (await res.json()) as never };
}

/** Waits until `/readyz` answers `status`; resolves with that answer. */
async function readyzBecomes(status: number): Promise<Awaited<ReturnType<typeof readyz>>> {
  let last: Awaited<ReturnType<typeof readyz>> | undefined;
  await waitForAsync(
    async () => {
      last = await readyz();
      return last.status === status;
    },
    15_000,
    `/readyz to answer ${status}`,
  );
  return last!;
}

beforeAll(async () => {
  pg = await startTcpProxy(Number(new URL(TEST_DATABASE_URL).port || 5432));
  redis = await startTcpProxy(Number(new URL(TEST_REDIS_URL).port || 6379));
  t = await startServer({
    dataDir: dir,
    keepDataDir: true,
    config: { ...cluster, databaseUrl: through(TEST_DATABASE_URL, pg), redisUrl: through(TEST_REDIS_URL, redis).replace(/\/$/, '') },
  });
}, 60_000);

afterAll(async () => {
  await t?.close();
  await pg?.close();
  await redis?.close();
  await dropCluster(cluster);
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('/readyz in cluster mode', () => {
  it('is ready with every check ok, /healthz alive', async () => {
    expect(await readyz()).toEqual({
      status: 200,
      body: {
        status: 'ready',
        checks: {
          store: { state: 'ok' },
          migrations: { state: 'ok' },
          redis: { state: 'ok' },
          delivery: { state: 'ok' },
          timers: { state: 'ok' },
        },
      },
    });
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
  });

  it('answers 503 naming the store while PostgreSQL is cut off, and is ready again once it is back', async () => {
    pg.cut();
    const down = await readyzBecomes(503);
    expect(down.body.status).toBe('not ready');
    expect(down.body.checks.store).toMatchObject({ state: 'failing', error: expect.stringMatching(/^the store does not answer: /) });
    expect(down.body.checks.redis).toEqual({ state: 'ok' });
    // Alive all the same: a liveness probe must not restart a process waiting for its database.
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
    pg.restore();
    expect((await readyzBecomes(200)).body.checks.store).toEqual({ state: 'ok' });
  }, 60_000);

  it('answers 503 naming Redis while it is cut off, and is ready again once it is back; dialtone_redis_up follows', async () => {
    const redisUp = async () => /^dialtone_redis_up (\d)$/m.exec(await (await fetch(`${t.url}/metrics`)).text())?.[1];
    expect(await redisUp()).toBe('1');
    redis.cut();
    const down = await readyzBecomes(503);
    expect(down.body.checks.redis).toMatchObject({ state: 'failing', error: expect.stringMatching(/^redis /) });
    expect(down.body.checks.store).toEqual({ state: 'ok' });
    expect(await redisUp()).toBe('0');
    redis.restore();
    expect((await readyzBecomes(200)).body.checks.redis).toEqual({ state: 'ok' });
    expect(await redisUp()).toBe('1');
  }, 60_000);
});
