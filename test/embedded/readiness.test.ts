/**
 * `/healthz` and `/readyz` of one process on SQLite: ready with the store, migrations and both
 * workers; 503 naming the worker once one of them stops. (Cluster mode, with PostgreSQL and Redis
 * cut off: test/cluster/readiness.test.ts.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server.js';

let t: TestServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('/readyz on one process', () => {
  it('is ready with the store, migrations and both workers; no Redis check without a cluster', async () => {
    t = await startServer();
    const res = await fetch(`${t.url}/readyz`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({
      status: 'ready',
      checks: { store: { state: 'ok' }, migrations: { state: 'ok' }, delivery: { state: 'ok' }, timers: { state: 'ok' } },
    });
  });

  it('answers 503 naming the worker that stopped', async () => {
    t = await startServer();
    await t.server.timers.stop();
    const res = await fetch(`${t.url}/readyz`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { status: string; checks: Record<string, unknown> };
    expect(body.status).toBe('not ready');
    expect(body.checks.timers).toEqual({ state: 'failing', error: 'the timer worker is not running' });
    expect(body.checks.delivery).toEqual({ state: 'ok' });
    await t.server.dispatcher.stop();
    const both = (await (await fetch(`${t.url}/readyz`)).json()) as { checks: Record<string, unknown> };
    expect(both.checks.delivery).toEqual({ state: 'failing', error: 'the callback delivery worker is not running' });
  });
});
