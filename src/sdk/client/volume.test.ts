/** Voice volume math: a frame's RMS, its 0–100 volume on the dB scale, and the analyser window. */
import { describe, expect, it } from 'vitest';
import { rms, VOLUME_FLOOR_DB, volumeFromRms, windowSize } from './volume.js';

/** `n` samples of a sine of amplitude `a`, whole periods. */
function sine(a: number, n = 4800, period = 48): number[] {
  return Array.from({ length: n }, (_, i) => a * Math.sin((2 * Math.PI * i) / period));
}

describe('voice volume', () => {
  it('RMS: silence 0, a full-scale square wave 1, a sine its amplitude over √2, nothing 0', () => {
    expect(rms(new Float32Array(1024))).toBe(0);
    expect(rms(Array.from({ length: 1000 }, (_, i) => (i % 2 ? 1 : -1)))).toBe(1);
    expect(rms(sine(0.5))).toBeCloseTo(0.5 / Math.SQRT2, 6);
    expect(rms([])).toBe(0);
    // A short loud burst in a quiet frame counts by its share of the energy.
    const burst = [...new Array<number>(900).fill(0), ...new Array<number>(100).fill(1)];
    expect(rms(burst)).toBeCloseTo(Math.sqrt(0.1), 6);
  });

  it('volume is linear in dB from the floor (0) to full scale (100), clamped and rounded', () => {
    expect(VOLUME_FLOOR_DB).toBe(-60);
    expect(volumeFromRms(0)).toBe(0);
    expect(volumeFromRms(1e-4)).toBe(0); // -80 dBFS, under the floor
    expect(volumeFromRms(1e-3)).toBe(0); // -60 dBFS, the floor
    expect(volumeFromRms(1e-2)).toBe(33); // -40 dBFS
    expect(volumeFromRms(10 ** (-30 / 20))).toBe(50); // -30 dBFS, ordinary speech
    expect(volumeFromRms(0.1)).toBe(67); // -20 dBFS
    expect(volumeFromRms(1)).toBe(100);
    expect(volumeFromRms(2)).toBe(100); // clipping stays at the top
    expect(volumeFromRms(Number.NaN)).toBe(0);
    expect(volumeFromRms(-1)).toBe(0);
  });

  it('louder is never quieter', () => {
    let last = 0;
    for (let db = -90; db <= 6; db += 0.5) {
      const v = volumeFromRms(10 ** (db / 20));
      expect(v).toBeGreaterThanOrEqual(last);
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(100);
      last = v;
    }
  });

  it('the window covers the interval between two readings, in powers of two from 2048 to 32768 samples', () => {
    expect(windowSize(500, 48_000)).toBe(32_768); // 24000 samples wanted
    expect(windowSize(250, 44_100)).toBe(16_384); // 11025 wanted
    expect(windowSize(100, 48_000)).toBe(8_192); // 4800 wanted
    expect(windowSize(10, 48_000)).toBe(2_048); // never under the minimum
    expect(windowSize(5_000, 48_000)).toBe(32_768); // the analyser's maximum
    for (const ms of [20, 50, 170, 340, 600]) {
      const size = windowSize(ms, 48_000);
      expect(Math.log2(size) % 1).toBe(0);
      expect(size >= (ms / 1000) * 48_000 || size === 32_768).toBe(true);
    }
  });
});
