import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Storage, Tx } from '../ports.js';
import { ClaimLoop, type ClaimLoopOptions, type ClaimRoom } from './claim-loop.js';

const T0 = 1_700_000_000_000;

interface Setup {
  loop: ClaimLoop;
  claims: { room: ClaimRoom; now: number; leaseUntil: number }[];
  renewals: { seqs: readonly number[]; leaseUntil: number }[];
  dueAsks: number[];
  lines: Record<string, unknown>[];
  /** What the next claims answer (true: hit the limit; an Error: thrown). */
  answers: (boolean | Error)[];
  state: { room: ClaimRoom | undefined; held: number[]; nextDue: number | undefined };
}

function setup(overrides: Partial<ClaimLoopOptions> = {}): Setup {
  const claims: Setup['claims'] = [];
  const renewals: Setup['renewals'] = [];
  const dueAsks: number[] = [];
  const lines: Record<string, unknown>[] = [];
  const answers: (boolean | Error)[] = [];
  const state: Setup['state'] = { room: { limit: 100, skip: [] }, held: [], nextDue: undefined };
  const storage = {
    transaction: async <T>(fn: (tx: Tx) => Promise<T>): Promise<T> =>
      fn({
        outbox: {
          nextDueAt: async (now: number) => {
            dueAsks.push(now);
            return state.nextDue;
          },
          extendLeases: async (seqs: readonly number[], leaseUntil: number) => void renewals.push({ seqs, leaseUntil }),
        },
      } as unknown as Tx),
  } as unknown as Storage;
  const loop = new ClaimLoop({
    storage,
    clock: { now: () => Date.now() },
    log: pino({ level: 'error' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) }),
    leaseMs: 30_000,
    recheckMs: 60_000,
    claimGapMs: 2,
    room: () => state.room,
    claim: async (room, now, leaseUntil) => {
      claims.push({ room, now, leaseUntil });
      const answer = answers.shift() ?? false;
      if (answer instanceof Error) throw answer;
      return answer;
    },
    held: () => state.held,
    ...overrides,
  });
  return { loop, claims, renewals, dueAsks, lines, answers, state };
}

const tick = (ms = 0) => vi.advanceTimersByTimeAsync(ms);

describe('ClaimLoop', () => {
  let s: Setup | undefined;
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'], now: T0 });
  });
  afterEach(() => {
    s?.loop.stop();
    s = undefined;
    vi.useRealTimers();
  });

  it('claims at start under a lease, within the room, and asks the store once for its next due time', async () => {
    s = setup();
    s.loop.start();
    await tick();
    expect(s.claims).toEqual([{ room: { limit: 100, skip: [] }, now: T0, leaseUntil: T0 + 30_000 }]);
    expect(s.dueAsks).toEqual([T0]);
    s.loop.wake();
    await tick(5);
    expect(s.claims).toHaveLength(2);
    // Due times after the first are known in memory (retries armed by the worker).
    expect(s.dueAsks).toHaveLength(1);
  });

  it('lets the wake-ups of a claim gap share one claim', async () => {
    s = setup();
    s.loop.start();
    await tick();
    s.loop.wake();
    s.loop.wake();
    s.loop.wake();
    await tick(1);
    expect(s.claims).toHaveLength(1);
    await tick(2);
    expect(s.claims).toHaveLength(2);
    await tick(10);
    expect(s.claims).toHaveLength(2);
  });

  it('goes on at once after a claim that hit its limit', async () => {
    s = setup();
    s.answers.push(true, true, false);
    s.loop.start();
    await tick();
    expect(s.claims).toHaveLength(3);
    expect(s.dueAsks).toHaveLength(1);
  });

  it('does not claim while enough is in hand, and claims once room is made and it is kicked', async () => {
    s = setup();
    s.state.room = undefined;
    s.loop.start();
    await tick(10);
    expect(s.claims).toHaveLength(0);
    s.state.room = { limit: 7, skip: [3] };
    s.loop.kick();
    await tick(10);
    // Still marked dirty from start: the skipped claim is made now.
    expect(s.claims.map((c) => c.room)).toEqual([{ limit: 7, skip: [3] }]);
    // Kicked without anything new: no claim.
    s.loop.kick();
    await tick(10);
    expect(s.claims).toHaveLength(1);
    s.loop.markDirty();
    s.loop.kick();
    await tick(10);
    expect(s.claims).toHaveLength(2);
  });

  it('wakes at the store’s next due time, and at an earlier one armed later, but not a later one', async () => {
    s = setup();
    s.state.nextDue = T0 + 10_000;
    s.loop.start();
    await tick();
    expect(s.claims).toHaveLength(1);
    s.loop.armAt(T0 + 20_000);
    await tick(9_000);
    expect(s.claims).toHaveLength(1);
    s.loop.armAt(T0 + 9_500);
    await tick(502);
    expect(s.claims).toHaveLength(2);
    // Woken by its timer, it asks the store again.
    expect(s.dueAsks).toHaveLength(2);
  });

  it('never sleeps longer than a minute', async () => {
    s = setup({ recheckMs: 3_600_000 });
    s.state.nextDue = T0 + 3_600_000;
    s.loop.start();
    await tick();
    await tick(60_001);
    expect(s.claims).toHaveLength(2);
  });

  it('looks at the store again every recheckMs', async () => {
    s = setup({ recheckMs: 2_000 });
    s.loop.start();
    await tick();
    await tick(2_000);
    expect(s.claims).toHaveLength(2);
    expect(s.dueAsks).toHaveLength(2);
  });

  it('renews the leases of what is held every third of the lease', async () => {
    s = setup();
    s.loop.start();
    await tick(10_000);
    expect(s.renewals).toEqual([]);
    s.state.held = [4, 5];
    await tick(10_000);
    expect(s.renewals).toEqual([{ seqs: [4, 5], leaseUntil: T0 + 20_000 + 30_000 }]);
  });

  it('logs a claim that failed and tries again a second later', async () => {
    s = setup();
    s.answers.push(new Error('database is locked'));
    s.loop.start();
    await tick();
    expect(s.lines).toMatchObject([{ level: 50, msg: 'callback dispatcher could not claim due callbacks' }]);
    expect(s.loop.busy).toBe(false);
    await tick(999);
    expect(s.claims).toHaveLength(1);
    await tick(2);
    expect(s.claims).toHaveLength(2);
  });

  it('claims nothing once stopped, and tells each run’s end', async () => {
    let ended = 0;
    s = setup({ ended: () => void ended++ });
    s.loop.start();
    await tick();
    expect(ended).toBe(1);
    s.loop.stop();
    s.loop.wake();
    s.state.held = [1];
    await tick(120_000);
    expect(s.claims).toHaveLength(1);
    expect(s.renewals).toEqual([]);
  });
});
