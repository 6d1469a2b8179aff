import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_SCHEDULE_MS, defaultPolicy, nextAttemptAt, parseRetryAfter } from './policy.js';

const NOW = 1_800_000_000_000;
const policy = defaultPolicy(2000);

describe('retry schedule', () => {
  it('is the SPEC schedule: 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 6 h, 12 h after the first attempt', () => {
    expect(DEFAULT_RETRY_SCHEDULE_MS.map((ms) => ms / 1000)).toEqual([5, 30, 120, 600, 1800, 3600, 7200, 21600, 43200]);
    const total = DEFAULT_RETRY_SCHEDULE_MS.reduce((a, b) => a + b, 0);
    expect(total / 3600_000).toBeGreaterThan(21);
    expect(total / 3600_000).toBeLessThan(24);
  });

  it('waits the scheduled delay, moved by at most 10% jitter', () => {
    expect(nextAttemptAt(policy, { attempts: 1 }, NOW, () => 0.5)).toBe(NOW + 5000);
    expect(nextAttemptAt(policy, { attempts: 1 }, NOW, () => 0)).toBe(NOW + 4500);
    expect(nextAttemptAt(policy, { attempts: 1 }, NOW, () => 0.999999)).toBe(NOW + 5500);
    expect(nextAttemptAt(policy, { attempts: 2 }, NOW, () => 0.5)).toBe(NOW + 30_000);
    expect(nextAttemptAt(policy, { attempts: 9 }, NOW, () => 0.5)).toBe(NOW + 12 * 3600_000);
  });

  it('gives up after the tenth attempt', () => {
    expect(nextAttemptAt(policy, { attempts: 10 }, NOW, () => 0.5)).toBeUndefined();
  });

  it('honours Retry-After on 429 and 503 only', () => {
    expect(nextAttemptAt(policy, { attempts: 1, httpStatus: 503, retryAfterMs: 1000 }, NOW, () => 0.5)).toBe(NOW + 1000);
    expect(nextAttemptAt(policy, { attempts: 1, httpStatus: 429, retryAfterMs: 120_000 }, NOW, () => 0.5)).toBe(NOW + 120_000);
    expect(nextAttemptAt(policy, { attempts: 1, httpStatus: 500, retryAfterMs: 1000 }, NOW, () => 0.5)).toBe(NOW + 5000);
    expect(nextAttemptAt(policy, { attempts: 1, httpStatus: 503, retryAfterMs: 10 * 24 * 3600_000 }, NOW, () => 0.5)).toBe(
      NOW + 24 * 3600_000,
    );
  });

  it('never retries in reference mode', () => {
    expect(nextAttemptAt({ ...policy, mode: 'reference' }, { attempts: 1 }, NOW, () => 0.5)).toBeUndefined();
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('1', NOW)).toBe(1000);
    expect(parseRetryAfter(new Date(NOW + 30_000).toUTCString(), NOW)).toBe(30_000);
    expect(parseRetryAfter(undefined, NOW)).toBeUndefined();
    expect(parseRetryAfter('soon', NOW)).toBeUndefined();
  });
});
