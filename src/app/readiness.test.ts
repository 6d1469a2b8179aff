import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ClusterBus, Storage } from './ports.js';
import { checkReadiness, STORE_CHECK_TIMEOUT_MS, type ReadinessDeps } from './readiness.js';

const storage = (ping: () => Promise<void>) => ({ ping }) as unknown as Storage;
const bus = (problem: string | undefined) => ({ problem: () => problem }) as unknown as ClusterBus;
const deps = (over: Partial<ReadinessDeps> = {}): ReadinessDeps => ({
  storage: storage(async () => undefined),
  deliveryRunning: () => true,
  timersRunning: () => true,
  migrated: () => true,
  ...over,
});

afterEach(() => {
  vi.useRealTimers();
});

describe('readiness', () => {
  it('is ready when every check is ok; Redis is checked only in a cluster', async () => {
    expect(await checkReadiness(deps())).toEqual({
      ready: true,
      checks: { store: { state: 'ok' }, migrations: { state: 'ok' }, delivery: { state: 'ok' }, timers: { state: 'ok' } },
    });
    expect((await checkReadiness(deps({ bus: bus(undefined) }))).checks.redis).toEqual({ state: 'ok' });
  });

  it('names each failing check and why', async () => {
    const r = await checkReadiness(
      deps({
        storage: storage(async () => {
          throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
        }),
        bus: bus('redis commands connection reconnecting'),
        deliveryRunning: () => false,
        timersRunning: () => false,
        migrated: () => false,
      }),
    );
    expect(r).toEqual({
      ready: false,
      checks: {
        store: { state: 'failing', error: 'the store does not answer: connect ECONNREFUSED 127.0.0.1:5432' },
        migrations: { state: 'failing', error: 'migrations have not run' },
        redis: { state: 'failing', error: 'redis commands connection reconnecting' },
        delivery: { state: 'failing', error: 'the callback delivery worker is not running' },
        timers: { state: 'failing', error: 'the timer worker is not running' },
      },
    });
  });

  it('a store that does not answer in time is failing, without waiting for it', async () => {
    vi.useFakeTimers();
    const pending = checkReadiness(deps({ storage: storage(() => new Promise(() => undefined)) }));
    await vi.advanceTimersByTimeAsync(STORE_CHECK_TIMEOUT_MS);
    expect((await pending).checks.store).toEqual({
      state: 'failing',
      error: `the store does not answer: no answer within ${STORE_CHECK_TIMEOUT_MS} ms`,
    });
  });
});
