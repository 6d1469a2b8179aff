/**
 * Fixed one-second windows per key (SPEC §2.1: each API, 200 requests per second per app).
 * The clock is injected so the window logic is testable without waiting.
 */
import type { Clock } from '../../app/ports.js';

/** Counts requests per key and second. */
export class RateLimiter {
  private readonly windows = new Map<string, { second: number; count: number }>();
  private lastSweep = 0;

  /** @param perSecond - requests allowed per key in each wall-clock second. */
  constructor(
    private readonly perSecond: number,
    private readonly clock: Clock,
  ) {}

  /** Counts one request for `key`; false when the key is over its limit this second. */
  allow(key: string): boolean {
    const second = Math.floor(this.clock.now() / 1000);
    this.sweep(second);
    const w = this.windows.get(key);
    if (!w || w.second !== second) {
      this.windows.set(key, { second, count: 1 });
      return true;
    }
    w.count++;
    return w.count <= this.perSecond;
  }

  /** Drops finished windows now and then, so idle keys do not accumulate. */
  private sweep(second: number): void {
    if (second - this.lastSweep < 10) return;
    this.lastSweep = second;
    for (const [key, w] of this.windows) if (w.second < second) this.windows.delete(key);
  }
}
