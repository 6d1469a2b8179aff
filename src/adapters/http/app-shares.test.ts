/** The sending thread's per-app shares: caps per app and in all, round-robin turns, FIFO per app. */
import { describe, expect, it } from 'vitest';
import { AppShares } from './app-shares.js';

/** A task that records its start and ends when the test says. */
function gate(log: string[], name: string) {
  let open: () => void = () => undefined;
  const done = new Promise<void>((r) => (open = r));
  return {
    task: async () => {
      log.push(name);
      await done;
    },
    open: () => open(),
  };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('AppShares', () => {
  it('runs at most perApp of one app at once, in the order handed over', async () => {
    const shares = new AppShares(2, 10);
    const log: string[] = [];
    const g = ['a1', 'a2', 'a3', 'a4'].map((n) => gate(log, n));
    const runs = g.map((x) => shares.run(1, x.task));
    await settle();
    expect(log).toEqual(['a1', 'a2']);
    g[1]!.open();
    await settle();
    expect(log).toEqual(['a1', 'a2', 'a3']);
    for (const x of g) x.open();
    await Promise.all(runs);
    expect(log).toEqual(['a1', 'a2', 'a3', 'a4']);
    expect(shares.running).toBe(0);
  });

  it('lets another app run while one app’s share is full of requests that hang', async () => {
    const shares = new AppShares(2, 10);
    const log: string[] = [];
    const hung = [gate(log, 'b1'), gate(log, 'b2'), gate(log, 'b3')];
    for (const x of hung) void shares.run(2, x.task);
    const a = gate(log, 'a1');
    const ran = shares.run(1, a.task);
    await settle();
    expect(log).toEqual(['b1', 'b2', 'a1']);
    a.open();
    await ran;
    for (const x of hung) x.open();
  });

  it('shares the total among apps in turns: one that arrives later is not starved by one with many waiting', async () => {
    const shares = new AppShares(10, 2);
    const log: string[] = [];
    const a = ['a1', 'a2', 'a3', 'a4', 'a5'].map((n) => gate(log, n));
    const b = ['b1', 'b2'].map((n) => gate(log, n));
    const runs = a.map((x) => shares.run(1, x.task));
    runs.push(...b.map((x) => shares.run(2, x.task)));
    await settle();
    expect(log).toEqual(['a1', 'a2']);
    // a was in line before b came: its next request goes first, then b's, then they alternate.
    for (const next of [a[0]!, a[1]!, a[2]!, b[0]!]) {
      next.open();
      await settle();
    }
    expect(log).toEqual(['a1', 'a2', 'a3', 'b1', 'a4', 'b2']);
    for (const x of [...a, ...b]) x.open();
    await Promise.all(runs);
    expect(log).toEqual(['a1', 'a2', 'a3', 'b1', 'a4', 'b2', 'a5']);
  });

  it('goes on after a task that fails', async () => {
    const shares = new AppShares(1, 1);
    await shares.run(1, () => Promise.reject(new Error('boom')));
    let ran = false;
    await shares.run(1, async () => {
      ran = true;
    });
    expect(ran).toBe(true);
  });
});
