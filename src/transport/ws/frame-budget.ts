/**
 * A token bucket per socket: one client flooding its socket is refused (`60007`) and slows only
 * itself. Time comes from the injected clock.
 */

/** Frames a socket may send per second, sustained. */
export const FRAMES_PER_SECOND = 200;
/** Frames a socket may send in a burst. */
export const FRAME_BURST = 400;

/** One socket's budget of frames. */
export class FrameBudget {
  private tokens = FRAME_BURST;

  /** @param at - unix ms of creation. */
  constructor(private at: number) {}

  /** Spends one frame at `now` (unix ms); false when the budget is empty. */
  take(now: number): boolean {
    this.tokens = Math.min(FRAME_BURST, this.tokens + ((now - this.at) / 1000) * FRAMES_PER_SECOND);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
