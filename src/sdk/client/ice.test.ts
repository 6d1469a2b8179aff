import { describe, expect, it } from 'vitest';
import type { IceServersAnswer } from '../../protocol/wire.js';
import { connectionStateOf, ICE_RETRY_MS, IceServerFeed, refreshDelayMs, type FeedTimers } from './ice.js';
import { DialtoneClientError } from './types.js';

/** Timers the test fires by hand: what is armed, and for how long. */
class ManualTimers implements FeedTimers {
  armed: { fn: () => void; ms: number; cleared: boolean }[] = [];
  setTimeout(fn: () => void, ms: number): unknown {
    const t = { fn, ms, cleared: false };
    this.armed.push(t);
    return t;
  }
  clearTimeout(handle: unknown): void {
    if (handle) (handle as { cleared: boolean }).cleared = true;
  }
  /** The armed timers not cleared, by delay. */
  pending(): number[] {
    return this.armed.filter((t) => !t.cleared).map((t) => t.ms);
  }
  /** Fires the last armed timer and lets the fetch it starts settle. */
  async fire(): Promise<void> {
    const t = this.armed.at(-1)!;
    t.cleared = true;
    t.fn();
    await new Promise((r) => setTimeout(r, 0));
  }
}

const turn = (n: number) => ({ urls: ['turn:127.0.0.1:3478'], username: `${n}:alice`, credential: `c${n}` });

/** A fetch answering from `answers` in turn (an Error is thrown). */
function fetcher(answers: (IceServersAnswer | Error)[]) {
  const calls = { count: 0 };
  const fetch = async (): Promise<IceServersAnswer> => {
    const a = answers[calls.count++];
    if (!a) throw new Error('no more answers');
    if (a instanceof Error) throw a;
    return a;
  };
  return { fetch, calls };
}

describe('refreshDelayMs', () => {
  it('is 80% of the ttl, in ms; never for a ttl of 0', () => {
    expect(refreshDelayMs(21_600)).toBe(17_280_000);
    expect(refreshDelayMs(60)).toBe(48_000);
    expect(refreshDelayMs(0)).toBeUndefined();
  });

  it('stays within what setTimeout keeps', () => {
    expect(refreshDelayMs(30 * 86_400)).toBe(2_073_600_000);
    expect(refreshDelayMs(60 * 86_400)).toBe(2_147_483_647);
  });
});

describe('IceServerFeed', () => {
  it('fetches at start, then again at 80% of the ttl, telling the media each time', async () => {
    const timers = new ManualTimers();
    const changes: RTCIceServer[][] = [];
    const { fetch, calls } = fetcher([
      { iceServers: [turn(1)], ttl: 600 },
      { iceServers: [turn(2)], ttl: 600 },
      { iceServers: [turn(3)], ttl: 300 },
    ]);
    const feed = new IceServerFeed(fetch, (s) => changes.push(s), timers);
    expect(await feed.start()).toEqual([turn(1)]);
    expect(feed.current).toEqual([turn(1)]);
    expect(changes).toEqual([]);
    expect(timers.pending()).toEqual([480_000]);
    await timers.fire();
    expect(calls.count).toBe(2);
    expect(feed.current).toEqual([turn(2)]);
    expect(changes).toEqual([[turn(2)]]);
    expect(timers.pending()).toEqual([480_000]);
    await timers.fire();
    expect(changes).toEqual([[turn(2)], [turn(3)]]);
    expect(timers.pending()).toEqual([240_000]);
  });

  it('does not fetch again when the servers do not expire (ttl 0)', async () => {
    const timers = new ManualTimers();
    const feed = new IceServerFeed(fetcher([{ iceServers: [], ttl: 0 }]).fetch, () => undefined, timers);
    expect(await feed.start()).toEqual([]);
    expect(timers.pending()).toEqual([]);
  });

  it('starts with none when the first fetch fails, and tries again until one answers', async () => {
    const timers = new ManualTimers();
    const changes: RTCIceServer[][] = [];
    const lost = new DialtoneClientError(-1406, 'connection lost');
    const { fetch } = fetcher([lost, lost, { iceServers: [turn(1)], ttl: 600 }]);
    const feed = new IceServerFeed(fetch, (s) => changes.push(s), timers);
    expect(await feed.start()).toEqual([]);
    expect(timers.pending()).toEqual([ICE_RETRY_MS]);
    await timers.fire();
    expect(timers.pending()).toEqual([ICE_RETRY_MS]);
    await timers.fire();
    expect(changes).toEqual([[turn(1)]]);
    expect(timers.pending()).toEqual([480_000]);
  });

  it('keeps the servers it has when a refresh fails', async () => {
    const timers = new ManualTimers();
    const feed = new IceServerFeed(fetcher([{ iceServers: [turn(1)], ttl: 600 }, new Error('timeout')]).fetch, () => undefined, timers);
    await feed.start();
    await timers.fire();
    expect(feed.current).toEqual([turn(1)]);
    expect(timers.pending()).toEqual([ICE_RETRY_MS]);
  });

  it('gives up on a server that does not know the op (-1202)', async () => {
    const timers = new ManualTimers();
    const feed = new IceServerFeed(fetcher([new DialtoneClientError(-1202, 'unknown op "getIceServers"')]).fetch, () => undefined, timers);
    expect(await feed.start()).toEqual([]);
    expect(timers.pending()).toEqual([]);
  });

  it('stop() clears the timer, and an answer arriving after it changes nothing', async () => {
    const timers = new ManualTimers();
    let answer: (a: IceServersAnswer) => void = () => undefined;
    const changes: RTCIceServer[][] = [];
    let first = true;
    const feed = new IceServerFeed(
      () => {
        if (first) {
          first = false;
          return Promise.resolve({ iceServers: [turn(1)], ttl: 600 });
        }
        return new Promise((resolve) => (answer = resolve));
      },
      (s) => changes.push(s),
      timers,
    );
    await feed.start();
    await timers.fire();
    feed.stop();
    answer({ iceServers: [turn(2)], ttl: 600 });
    await new Promise((r) => setTimeout(r, 0));
    expect(changes).toEqual([]);
    expect(feed.current).toEqual([turn(1)]);
    expect(timers.pending()).toEqual([]);

    const other = new IceServerFeed(fetcher([{ iceServers: [turn(1)], ttl: 600 }]).fetch, () => undefined, timers);
    await other.start();
    expect(timers.pending()).toEqual([480_000]);
    other.stop();
    expect(timers.pending()).toEqual([]);
  });
});

describe('connectionStateOf', () => {
  it("is the browser's state while candidates exist or are still being gathered", () => {
    expect(connectionStateOf('new', 'new', 0)).toBe('new');
    expect(connectionStateOf('new', 'gathering', 0)).toBe('new');
    expect(connectionStateOf('connecting', 'complete', 2)).toBe('connecting');
    expect(connectionStateOf('connected', 'complete', 1)).toBe('connected');
    expect(connectionStateOf('failed', 'complete', 3)).toBe('failed');
  });

  it('is failed once gathering ended without a candidate (no TURN allocation under relay), where browsers stay new', () => {
    expect(connectionStateOf('new', 'complete', 0)).toBe('failed');
    expect(connectionStateOf('connecting', 'complete', 0)).toBe('failed');
    expect(connectionStateOf('closed', 'complete', 0)).toBe('closed');
  });
});
