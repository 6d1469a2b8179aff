/** The store's figures in `/metrics`: the query counter only for a store that reports round trips. */
import { describe, expect, it } from 'vitest';
import type { Storage, StorageStats } from './app/ports.js';
import { Metrics } from './metrics.js';

function storageWith(stats: () => StorageStats): Storage {
  // What the scrape-time gauges read: nothing pending, nothing live.
  const tx = {
    outbox: { pendingByApp: async () => new Map() },
    calls: { liveCounts: async () => ({ calls: 0, members: 0 }) },
    timers: { pendingCount: async () => 0 },
  };
  return { stats, transaction: async (fn: (t: typeof tx) => Promise<unknown>) => fn(tx) } as unknown as Storage;
}

describe('Metrics and Storage.stats', () => {
  it('exports the statements and round trips a store reports, read at each scrape', async () => {
    let stats = { roundTrips: 3, statements: 7 };
    const metrics = new Metrics(
      storageWith(() => stats),
      () => new Map(),
    );
    expect(await metrics.registry.metrics()).toMatch(/^dialtone_db_queries_total 7$/m);
    expect(await metrics.registry.metrics()).toMatch(/^dialtone_db_round_trips_total 3$/m);
    stats = { roundTrips: 5, statements: 12 };
    expect(await metrics.registry.metrics()).toMatch(/^dialtone_db_queries_total 12$/m);
    expect(await metrics.registry.metrics()).toMatch(/^dialtone_db_round_trips_total 5$/m);
  });

  it('exports the BEGIN and COMMIT statements among them as their own series', async () => {
    let beginCommits = 4;
    const metrics = new Metrics(
      storageWith(() => ({ roundTrips: 5, statements: 9, beginCommits })),
      () => new Map(),
    );
    expect(await metrics.registry.metrics()).toMatch(/^dialtone_db_begin_commits_total 4$/m);
    beginCommits = 6;
    expect(await metrics.registry.metrics()).toMatch(/^dialtone_db_begin_commits_total 6$/m);
  });

  it('has no query series for a store without round trips', async () => {
    const metrics = new Metrics(
      storageWith(() => ({})),
      () => new Map(),
    );
    const text = await metrics.registry.metrics();
    expect(text).not.toContain('dialtone_db_queries_total');
    expect(text).not.toContain('dialtone_db_begin_commits_total');
    expect(text).not.toContain('dialtone_db_round_trips_total');
  });
});
