/**
 * The timer worker and due rows it cannot settle (issue 12, finding 1): it never spins on them,
 * they never starve the good timers, each is logged once and counted, and stopping is prompt.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStorage, openDatabase } from '../adapters/sqlite/storage.js';
import { Metrics } from '../metrics.js';
import type { DueTimer, QuarantinedRow } from './ports.js';
import { escapeForLog } from './quarantine.js';
import { TimerWorker } from './timer-worker.js';
import { within } from '../testing/within.js';

const NOW = 1_700_000_000_000;
const APP = 1400000001;

/** The error lines a logger wrote, parsed. */
function capturingLog(): { log: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  return { log: pino({ level: 'error' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) }), lines };
}

async function quarantinedCount(metrics: Metrics, table: string): Promise<number> {
  const metric = await metrics.registry.getSingleMetric('dialtone_quarantined_rows_total')!.get();
  return metric.values.find((v) => v.labels.table === table)?.value ?? NaN;
}

describe('TimerWorker and unaddressable timers', () => {
  let storage: SqliteStorage;
  afterEach(() => storage.close());

  /** 150 due timers of user U+D800 (unaddressable in SQLite), then one good one due last. */
  async function plant(badCount: number): Promise<DueTimer> {
    const good: DueTimer = { sdkAppId: APP, callId: 'good', kind: 'ring', userId: 'bob', dueAt: NOW - 1 };
    await storage.transaction(async (tx) => {
      for (let i = 0; i < badCount; i++) await tx.timers.set(APP, `call-${i}`, 'ring', '\ud800', NOW - 10_000 + i);
      await tx.timers.set(good.sdkAppId, good.callId, good.kind, good.userId, good.dueAt);
    });
    return good;
  }

  function worker(opts: { onQuarantine?: (rows: readonly QuarantinedRow[]) => void } = {}) {
    const { log, lines } = capturingLog();
    const metrics = new Metrics(storage, () => new Map());
    const fired: DueTimer[] = [];
    const w = new TimerWorker({
      storage,
      clock: { now: () => NOW },
      log,
      fire: async (t) => {
        fired.push(t);
        await storage.transaction((tx) => tx.timers.take(t));
      },
      quarantine: {
        quarantined: (rows) => {
          metrics.quarantined(rows);
          opts.onQuarantine?.(rows);
        },
      },
    });
    return { w, lines, metrics, fired };
  }

  it('fires the good timer behind 150 unaddressable ones in one runDue, which ends; each bad one is logged once and counted', async () => {
    storage = new SqliteStorage(openDatabase(':memory:'));
    const good = await plant(150);
    const { w, lines, metrics, fired } = worker();

    expect(await within(w.runDue(), 5000, 'runDue')).toBe(1);
    expect(fired).toEqual([good]);
    expect(await quarantinedCount(metrics, 'timers')).toBe(150);
    expect(lines).toHaveLength(150);
    expect(lines[0]).toMatchObject({
      level: 50,
      table: 'timers',
      key: { sdkAppId: APP, callId: 'call-0', kind: 'ring', userId: '\\ufffd\\ufffd\\ufffd', dueAt: NOW - 10_000 },
      reason: expect.stringContaining('matches no row') as unknown,
    });
    // Once: the next wake finds nothing to do and says nothing.
    expect(await within(w.runDue(), 5000, 'a second runDue')).toBe(0);
    expect(lines).toHaveLength(150);
    expect(await quarantinedCount(metrics, 'outbox')).toBe(0);
    w.start();
    await within(w.stop(), 1000, 'stop');
  });

  it('stop() ends the claim loop at its next turn, however many bad rows are left', async () => {
    storage = new SqliteStorage(openDatabase(':memory:'));
    await plant(1000);
    let stopping: Promise<void> | undefined;
    // Stop as soon as the first claim (100 rows, all bad) is reported: the loop must not go on.
    const { w, metrics } = worker({ onQuarantine: () => void (stopping ??= w.stop()) });
    w.start();
    await within(
      (async () => {
        while (!stopping) await new Promise((r) => setTimeout(r, 5));
        await stopping;
      })(),
      2000,
      'stop',
    );
    expect(await quarantinedCount(metrics, 'timers')).toBe(100);
  });
});

describe('escapeForLog', () => {
  it('keeps printable ASCII and writes everything else as \\uXXXX, cut after 128 characters', () => {
    expect(escapeForLog('bob')).toBe('bob');
    expect(escapeForLog('a\ud800\ufffd\n\u001b[31m\\é')).toBe('a\\ud800\\ufffd\\u000a\\u001b[31m\\u005c\\u00e9');
    expect(escapeForLog('x'.repeat(130))).toBe(`${'x'.repeat(128)}…(+2 chars)`);
  });
});
