/**
 * The server's ICE servers for one call's media (SPEC §4.1): fetched with `getIceServers` when
 * the media starts, and again before their credentials expire (at {@link ICE_REFRESH_FRACTION} of
 * the `ttl`), for as long as the call's media runs. A failed fetch keeps the servers it had
 * (none, the first time: host candidates still connect on one network) and tries again later.
 * The timers are injectable, so the schedule is tested without waiting. Also how a connection
 * that could gather no candidate (no TURN allocation) is reported.
 */
import type { IceServersAnswer } from '../../protocol/wire.js';
import { ClientErrorCode, DialtoneClientError } from './types.js';

/** Part of the `ttl` after which the servers are fetched again: 0.8 (credentials of 6 h are renewed after 4.8 h). */
export const ICE_REFRESH_FRACTION = 0.8;
/** Wait before fetching again after a fetch failed, ms. */
export const ICE_RETRY_MS = 10_000;
/** Longest delay `setTimeout` keeps, ms (about 24.8 days). */
const MAX_TIMEOUT_MS = 2_147_483_647;

/**
 * When to fetch again after an answer with `ttl` seconds, ms; undefined when never (`ttl` 0:
 * the servers do not expire).
 */
export function refreshDelayMs(ttlSeconds: number): number | undefined {
  if (!(ttlSeconds > 0)) return undefined;
  return Math.min(MAX_TIMEOUT_MS, Math.floor(ttlSeconds * 1000 * ICE_REFRESH_FRACTION));
}

/**
 * The state `CallMedia` reports for a member's connection: the browser's, but `failed` once
 * gathering ended without a single local candidate, since then nothing can connect while
 * browsers stay `new` (e.g. `iceTransportPolicy: 'relay'` and the TURN server refused the
 * credentials).
 */
export function connectionStateOf(
  state: RTCPeerConnectionState,
  gathering: RTCIceGatheringState,
  gathered: number,
): RTCPeerConnectionState {
  const noCandidate = gathering === 'complete' && gathered === 0;
  return noCandidate && (state === 'new' || state === 'connecting') ? 'failed' : state;
}

/** The timer functions the feed uses (the global ones by default). */
export interface FeedTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const globalTimers: FeedTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** The server's ICE servers, kept fresh until {@link IceServerFeed.stop}. */
export class IceServerFeed {
  private servers: RTCIceServer[] = [];
  private timer: unknown;
  private stopped = false;

  /**
   * @param fetch Asks the server (`client.getIceServers()`).
   * @param changed Called with the servers each time a later fetch brings them (not after the first).
   */
  constructor(
    private readonly fetch: () => Promise<IceServersAnswer>,
    private readonly changed: (servers: RTCIceServer[]) => void,
    private readonly timers: FeedTimers = globalTimers,
  ) {}

  /** The servers as last fetched; none before the first answer. */
  get current(): RTCIceServer[] {
    return this.servers;
  }

  /** The first fetch: resolves with the servers once answered, or with none when it failed (never rejects). */
  async start(): Promise<RTCIceServer[]> {
    await this.refresh(false);
    return this.servers;
  }

  /** Stops refetching. */
  stop(): void {
    this.stopped = true;
    this.timers.clearTimeout(this.timer);
  }

  private async refresh(announce: boolean): Promise<void> {
    let delay: number | undefined;
    try {
      const answer = await this.fetch();
      if (this.stopped) return;
      this.servers = answer.iceServers;
      delay = refreshDelayMs(answer.ttl);
      if (announce) this.changed(this.servers);
    } catch (err) {
      // A server that does not know the op (before this version) has no ICE servers to give.
      delay = err instanceof DialtoneClientError && err.code === ClientErrorCode.INVALID_PARAM ? undefined : ICE_RETRY_MS;
    }
    if (delay !== undefined && !this.stopped) this.timer = this.timers.setTimeout(() => void this.refresh(true), delay);
  }
}
