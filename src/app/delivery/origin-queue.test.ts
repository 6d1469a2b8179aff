import { describe, expect, it } from 'vitest';
import type { OutboxEntry } from '../ports.js';
import { HELD_HIGH, HELD_LOW, OriginQueue, type Turn } from './origin-queue.js';

let seq = 0;
function entry(sdkAppId: number, callId: string, id = `msg_${++seq}`): OutboxEntry {
  return {
    id,
    seq: ++seq,
    sdkAppId,
    callId,
    command: 'Call.CallbackAfterMemberChanged',
    url: 'https://example.com/cb',
    body: '{}',
    createdAt: 0,
    attempts: 0,
    resendBase: 0,
  };
}

const ordered = () => true;

/** Every turn the queue gives now. */
function takeAll(q: OriginQueue): Turn[] {
  const turns: Turn[] = [];
  for (let t = q.take(); t; t = q.take()) turns.push(t);
  return turns;
}

describe('OriginQueue', () => {
  it('sends a call’s entries one after another, in claim order', () => {
    const q = new OriginQueue({ maxInFlight: 10, perAppInFlight: 10 });
    const [a, b, c] = [entry(1, 'call-1'), entry(1, 'call-1'), entry(1, 'call-1')];
    q.hold([a, b, c], ordered);
    const first = takeAll(q);
    expect(first.map((t) => t.entry.id)).toEqual([a.id]);
    expect(q.finished(first[0]!, undefined)).toEqual({ release: [], unblocks: false });
    const second = takeAll(q);
    expect(second.map((t) => t.entry.id)).toEqual([b.id]);
    q.finished(second[0]!, undefined);
    const third = takeAll(q);
    expect(third.map((t) => t.entry.id)).toEqual([c.id]);
    // The last of the chain: its call's held-back entries may be claimable once this is committed.
    expect(q.finished(third[0]!, undefined)).toEqual({ release: [], unblocks: true });
    expect(q.held).toBe(3);
    expect(q.unhold([a.id, b.id, c.id])).toBe(false);
    expect(q.held).toBe(0);
  });

  it('sends the entries of an app whose ordering is off each on its own', () => {
    const q = new OriginQueue({ maxInFlight: 10, perAppInFlight: 10 });
    const rows = [entry(1, 'call-1'), entry(1, 'call-1')];
    q.hold(rows, () => false);
    expect(takeAll(q).map((t) => t.entry.id)).toEqual(rows.map((r) => r.id));
  });

  it('gives back the rest of an ordered call when its head will be retried, and only then', () => {
    const q = new OriginQueue({ maxInFlight: 10, perAppInFlight: 10 });
    const [a, b, c] = [entry(1, 'call-1'), entry(1, 'call-1'), entry(1, 'call-1')];
    q.hold([a, b, c], ordered);
    const [turn] = takeAll(q);
    expect(q.finished(turn!, 5_000)).toEqual({ release: [b.id, c.id], unblocks: false });
    expect(takeAll(q)).toEqual([]);

    const unordered = new OriginQueue({ maxInFlight: 10, perAppInFlight: 10 });
    const [d, e] = [entry(2, 'call-2'), entry(2, 'call-2')];
    unordered.hold([d, e], () => false);
    const turns = takeAll(unordered);
    expect(unordered.finished(turns[0]!, 5_000)).toEqual({ release: [], unblocks: true });
  });

  it('keeps each app within its share and the whole within the server-wide cap', () => {
    const q = new OriginQueue({ maxInFlight: 5, perAppInFlight: 2 });
    q.hold(
      Array.from({ length: 6 }, (_, i) => entry(1, `a-${i}`)),
      ordered,
    );
    expect(takeAll(q)).toHaveLength(2);
    q.hold(
      Array.from({ length: 6 }, (_, i) => entry(2, `b-${i}`)),
      ordered,
    );
    q.hold(
      Array.from({ length: 6 }, (_, i) => entry(3, `c-${i}`)),
      ordered,
    );
    const more = takeAll(q);
    expect(more).toHaveLength(3);
    expect(q.inFlight).toBe(5);
    // A finished attempt frees a slot for the app whose turn comes next.
    q.finished(more[0]!, undefined);
    expect(takeAll(q)).toHaveLength(1);
    expect(q.inFlight).toBe(5);
  });

  it('lets apps take turns, one chain each, round robin', () => {
    const q = new OriginQueue({ maxInFlight: 100, perAppInFlight: 100 });
    q.hold([entry(1, 'a1'), entry(1, 'a2'), entry(1, 'a3'), entry(2, 'b1'), entry(3, 'c1'), entry(3, 'c2')], ordered);
    expect(takeAll(q).map((t) => t.entry.sdkAppId)).toEqual([1, 2, 3, 1, 3, 1]);
  });

  it('skips full apps at claim time, and says when one has room again', () => {
    const q = new OriginQueue({ maxInFlight: 10, perAppInFlight: 10, heldPerApp: 3 });
    expect(q.room()).toEqual({ limit: HELD_HIGH, skip: [] });
    const full = [entry(1, 'a'), entry(1, 'b'), entry(1, 'c')];
    q.hold(full, ordered);
    q.hold([entry(2, 'd')], ordered);
    expect(q.fullApps()).toEqual([1]);
    // The full app's entries do not count against the others' room.
    expect(q.room()).toEqual({ limit: HELD_HIGH - 1, skip: [1] });
    expect(q.unhold([full[0]!.id])).toBe(true);
    expect(q.unhold([full[1]!.id])).toBe(false);
    expect(q.fullApps()).toEqual([]);
  });

  it('asks for no claim while the apps with room hold the low mark', () => {
    const q = new OriginQueue({ maxInFlight: 10, perAppInFlight: 10, heldPerApp: 10 * HELD_LOW });
    q.hold(
      Array.from({ length: HELD_LOW - 1 }, (_, i) => entry(1, `c-${i}`)),
      ordered,
    );
    expect(q.room()).toEqual({ limit: HELD_HIGH - (HELD_LOW - 1), skip: [] });
    q.hold([entry(1, 'last')], ordered);
    expect(q.room()).toBeUndefined();
  });

  it('keeps the seqs of held entries for lease renewal until they are settled', () => {
    const q = new OriginQueue({ maxInFlight: 10, perAppInFlight: 10 });
    const [a, b] = [entry(1, 'x'), entry(2, 'y')];
    q.hold([a, b], ordered);
    expect(q.seqs().sort()).toEqual([a.seq, b.seq].sort());
    q.unhold([a.id, 'unknown']);
    expect(q.seqs()).toEqual([b.seq]);
  });

  it('when closed, gives back what waits, queues nothing more and ends chains in flight', () => {
    const q = new OriginQueue({ maxInFlight: 10, perAppInFlight: 10 });
    const [a, b, c] = [entry(1, 'call-1'), entry(1, 'call-1'), entry(2, 'call-2')];
    q.hold([a, b, c], ordered);
    const [first] = takeAll(q).filter((t) => t.entry.id === a.id);
    expect(q.close()).toEqual([]);
    // a and c are in flight; b waits behind a in its chain and is given back when a finishes.
    expect(q.finished(first!, undefined)).toEqual({ release: [b.id], unblocks: true });
    expect(takeAll(q)).toEqual([]);

    const q2 = new OriginQueue({ maxInFlight: 1, perAppInFlight: 1 });
    const [d, e] = [entry(1, 'd'), entry(1, 'e')];
    q2.hold([d, e], ordered);
    takeAll(q2);
    expect(q2.close()).toEqual([e.id]);
  });
});
