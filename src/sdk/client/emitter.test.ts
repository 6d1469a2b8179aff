/** CallMedia's event emitter: typed listeners, and a hook when an event gains or loses listeners. */
import { describe, expect, it } from 'vitest';
import { Emitter } from './emitter.js';

describe('emitter', () => {
  it('delivers to each listener once, says how many listen, and stops after off', () => {
    const counts: [string, number][] = [];
    const e = new Emitter<{ volume: { v: number }; other: string }>((event, n) => counts.push([String(event), n]));
    const got: number[] = [];
    const a = (d: { v: number }) => got.push(d.v);
    const b = (d: { v: number }) => got.push(d.v * 10);
    e.on('volume', a);
    e.on('volume', a);
    e.on('volume', b);
    expect(e.count('volume')).toBe(2);
    e.emit('volume', { v: 1 });
    expect(got).toEqual([1, 10]);
    e.off('volume', a);
    e.off('volume', a); // not a listener any more: no count change reported
    e.emit('volume', { v: 2 });
    expect(got).toEqual([1, 10, 20]);
    e.off('volume', b);
    expect(e.count('volume')).toBe(0);
    expect(counts).toEqual([
      ['volume', 1],
      ['volume', 1],
      ['volume', 2],
      ['volume', 1],
      ['volume', 0],
    ]);
  });

  it('a throwing listener does not stop the others', () => {
    const e = new Emitter<{ x: number }>();
    const got: number[] = [];
    e.on('x', () => {
      throw new Error('page bug');
    });
    e.on('x', (n) => got.push(n));
    e.emit('x', 7);
    expect(got).toEqual([7]);
  });
});
