import { describe, expect, it } from 'vitest';
import { FRAME_BURST, FrameBudget } from './frame-budget.js';

describe('FrameBudget', () => {
  it('allows a burst, then 200 frames per second', () => {
    const budget = new FrameBudget(0);
    const burst = Array.from({ length: FRAME_BURST + 1 }, () => budget.take(0));
    expect(burst.filter(Boolean)).toHaveLength(FRAME_BURST);
    expect(budget.take(0)).toBe(false);
    expect(budget.take(5)).toBe(true); // 5 ms refill one frame
    expect(budget.take(5)).toBe(false);
    expect(Array.from({ length: 250 }, () => budget.take(1005)).filter(Boolean)).toHaveLength(200);
  });
});
