import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Cancellation, Settlement, Storage, Tx } from '../ports.js';
import { SettlementBatch, type FlushedBatch } from './settlement.js';

/** A store that records each transaction's outbox calls; `fail` makes the next one throw. */
function fakeStore() {
  const txs: { settled: Settlement[]; cancelled: Cancellation[]; released: string[] }[] = [];
  let gate: Promise<void> = Promise.resolve();
  const state = { fail: false };
  const storage = {
    async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
      await gate;
      const rec = { settled: [] as Settlement[], cancelled: [] as Cancellation[], released: [] as string[] };
      const tx = {
        outbox: {
          settle: async (s: readonly Settlement[]) => void rec.settled.push(...s),
          cancel: async (c: readonly Cancellation[]) => void rec.cancelled.push(...c),
          release: async (ids: readonly string[]) => void rec.released.push(...ids),
        },
      } as unknown as Tx;
      const out = await fn(tx);
      if (state.fail) {
        state.fail = false;
        throw new Error('disk full');
      }
      txs.push(rec);
      return out;
    },
  } as unknown as Storage;
  /** Holds transactions until the returned function is called. */
  const hold = () => {
    let open!: () => void;
    gate = new Promise((r) => (open = r));
    return () => {
      gate = Promise.resolve();
      open();
    };
  };
  return { storage, txs, state, hold };
}

function settlement(id: string, retryAt?: number): Settlement {
  return { id, seq: 1, attempt: 1, outcome: { startedAt: 0, latencyMs: 1, ok: retryAt === undefined }, retryAt };
}

/** A batch whose deferred flushes run when `run()` is called. */
function setup() {
  const store = fakeStore();
  const deferred: (() => void)[] = [];
  const flushed: FlushedBatch[] = [];
  let ended = 0;
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'error' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  const batch = new SettlementBatch({
    storage: store.storage,
    clock: { now: () => 1000 },
    log,
    flushed: (b) => void flushed.push(b),
    ended: () => void ended++,
    defer: (fn) => void deferred.push(fn),
  });
  const run = async () => {
    for (const fn of deferred.splice(0)) fn();
    // Let the flush's transaction and follow-ups settle.
    for (let i = 0; i < 10; i++) await Promise.resolve();
  };
  return { ...store, batch, deferred, flushed, lines, run, ended: () => ended };
}

describe('SettlementBatch', () => {
  it('records what finished within one turn in one transaction', async () => {
    const s = setup();
    s.batch.settle(settlement('a'));
    s.batch.cancel({ id: 'b', seq: 2, reason: 'cancelled: gone' });
    s.batch.release(['c', 'd']);
    expect(s.deferred).toHaveLength(1);
    expect(s.batch.busy).toBe(true);
    await s.run();
    expect(s.txs).toEqual([
      { settled: [settlement('a')], cancelled: [{ id: 'b', seq: 2, reason: 'cancelled: gone' }], released: ['c', 'd'] },
    ]);
    expect(s.flushed).toHaveLength(1);
    expect(s.flushed[0]).toMatchObject({ released: ['c', 'd'], unblocks: false });
    expect(s.batch.busy).toBe(false);
    expect(s.ended()).toBe(1);
  });

  it('flushes one batch at a time: what finishes meanwhile goes into the next', async () => {
    const s = setup();
    const open = s.hold();
    s.batch.settle(settlement('a'));
    await s.run();
    s.batch.settle(settlement('b'));
    s.batch.settle(settlement('c'));
    // Not scheduled while a flush is under way.
    expect(s.deferred).toHaveLength(0);
    open();
    await s.run();
    expect(s.deferred).toHaveLength(1);
    await s.run();
    expect(s.txs.map((t) => t.settled.map((x) => x.id))).toEqual([['a'], ['b', 'c']]);
  });

  it('says which batch ends a chain', async () => {
    const s = setup();
    s.batch.settle(settlement('a'));
    s.batch.unblock();
    await s.run();
    s.batch.release(['b']);
    await s.run();
    expect(s.flushed.map((b) => b.unblocks)).toEqual([true, false]);
  });

  it('logs a batch it could not record and still hands it on', async () => {
    const s = setup();
    s.state.fail = true;
    s.batch.settle(settlement('a', 5000));
    await s.run();
    expect(s.txs).toEqual([]);
    expect(s.flushed.map((b) => b.settled.map((x) => x.id))).toEqual([['a']]);
    expect(s.lines).toMatchObject([{ level: 50, count: 1, msg: 'could not record callback attempts' }]);
    expect(s.batch.busy).toBe(false);
  });

  it('does not open a transaction for an empty flush', async () => {
    const s = setup();
    s.batch.release([]);
    await s.run();
    expect(s.txs).toEqual([]);
    expect(s.flushed).toEqual([]);
    expect(s.ended()).toBe(1);
  });
});
