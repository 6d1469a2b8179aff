import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anyString, controlChar, fuzzParams, identifier, loneSurrogate, userId, WHITE_SPACE } from '../testing/unicode.js';
import { codePointLength, firstIllFormed, isControlFree, isIdentifier, isUserId, isWellFormed } from './identifiers.js';

// Oracles written from the Unicode tables directly, not with the regular expressions under test.
const isCc = (cp: number) => cp <= 0x1f || (cp >= 0x7f && cp <= 0x9f);
const isCs = (cp: number) => cp >= 0xd800 && cp <= 0xdfff;
function codePoints(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const hi = s.charCodeAt(i);
    const lo = s.charCodeAt(i + 1);
    if (hi >= 0xd800 && hi <= 0xdbff && lo >= 0xdc00 && lo <= 0xdfff) {
      out.push(0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00));
      i++;
    } else out.push(hi);
  }
  return out;
}
const identifierOracle = (s: string) => {
  const cps = codePoints(s);
  return cps.length >= 1 && cps.length <= 64 && cps.every((cp) => !isCc(cp) && !isCs(cp));
};
const userIdOracle = (s: string) => identifierOracle(s) && codePoints(s).every((cp) => cp !== 0x2c && !WHITE_SPACE.includes(cp));
const RUNS = 2000;

describe('identifier rules (SPEC §1)', () => {
  it('agree with the Unicode tables on any string, lone surrogates and controls included', () => {
    fc.assert(
      fc.property(anyString(70), (s) => {
        expect(isIdentifier(s)).toBe(identifierOracle(s));
        expect(isUserId(s)).toBe(userIdOracle(s));
        // Well-formed exactly when UTF-8 (what both stores write) gives the same string back.
        expect(isWellFormed(s)).toBe(Buffer.from(s, 'utf8').toString('utf8') === s);
        expect(codePointLength(s)).toBe(codePoints(s).length);
      }),
      fuzzParams(RUNS),
    );
  });

  it('accept every generated identifier and user id, astral planes included', () => {
    fc.assert(
      fc.property(identifier, userId, (id, user) => {
        expect(isIdentifier(id)).toBe(true);
        expect(isUserId(user)).toBe(true);
        expect(isIdentifier(user)).toBe(true);
      }),
      fuzzParams(RUNS),
    );
  });

  it('refuse every string with a lone surrogate or a control character, wherever it is', () => {
    const withBad = fc.tuple(anyString(30), fc.oneof(loneSurrogate, controlChar), anyString(30));
    fc.assert(
      fc.property(withBad, ([before, bad, after]) => {
        const s = before + bad + after;
        // A high surrogate next to a low one makes a pair, a character: only a real lone one counts.
        const lone = codePoints(s).some(isCs);
        const control = codePoints(s).some(isCc);
        fc.pre(lone || control);
        expect(isIdentifier(s)).toBe(false);
        expect(isUserId(s)).toBe(false);
        expect(isControlFree(s)).toBe(false);
        if (lone) expect(isWellFormed(s)).toBe(false);
      }),
      fuzzParams(RUNS),
    );
  });

  it('count code points, not UTF-16 units', () => {
    expect(isUserId('😀'.repeat(64))).toBe(true);
    expect(isUserId('😀'.repeat(65))).toBe(false);
    expect(isUserId('')).toBe(false);
    expect(isIdentifier('room 1')).toBe(true);
    expect(isUserId('room 1')).toBe(false);
    expect(isUserId('a,b')).toBe(false);
    expect(isUserId('a\u3000b')).toBe(false);
  });
});

describe('firstIllFormed', () => {
  it('finds the path of the first string, or key, that is not well-formed', () => {
    expect(firstIllFormed({ a: 'ok', b: [1, { c: 'x\ud800' }] })).toEqual({ path: ['b', 1, 'c'], inKey: false });
    expect(firstIllFormed({ a: { '\udc00': 1 } })).toEqual({ path: ['a'], inKey: true });
    expect(firstIllFormed('\ud83d')).toEqual({ path: [], inKey: false });
    expect(firstIllFormed({ a: ['😀', null, true, 1] })).toBeUndefined();
  });

  it('walks a deeply nested value without overflowing the stack', () => {
    const deep = JSON.parse(`${'['.repeat(100_000)}"\\ud800"${']'.repeat(100_000)}`) as unknown;
    expect(firstIllFormed(deep)?.path).toHaveLength(100_000);
  });
});
