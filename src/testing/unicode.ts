/**
 * fast-check arbitraries over all of Unicode for identifier tests and the fuzzer, and the one
 * seed they run with (`FUZZ_SEED`, else a constant), so a failure can be replayed exactly.
 */
import fc from 'fast-check';

/** The seed of every property test: `FUZZ_SEED` when set, else a fixed one. fast-check prints it with any counterexample. */
export const FUZZ_SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 20251;
if (!Number.isInteger(FUZZ_SEED)) throw new Error(`FUZZ_SEED must be an integer, got ${process.env.FUZZ_SEED}`);

/** How many times the CI's number of runs to make (`FUZZ_SCALE`, default 1): more for a longer hunt on a workstation. */
export const FUZZ_SCALE = Math.max(1, Number(process.env.FUZZ_SCALE) || 1);

/** Options for `fc.assert`: the fixed seed, and `numRuns` runs (times {@link FUZZ_SCALE}). */
export function fuzzParams(numRuns: number): fc.Parameters<unknown> {
  return { seed: FUZZ_SEED, numRuns: Math.round(numRuns * FUZZ_SCALE), verbose: 1 };
}

const fromCodePoint = (cp: number) => String.fromCodePoint(cp);
/** C0 and C1 controls and DEL (general category Cc). */
export const controlChar = fc.oneof(fc.integer({ min: 0, max: 0x1f }), fc.integer({ min: 0x7f, max: 0x9f })).map(fromCodePoint);
/** One UTF-16 surrogate on its own (general category Cs). */
export const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((u) => String.fromCharCode(u));
/** The code points of Unicode's White_Space property. */
export const WHITE_SPACE = [
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009,
  0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
];
export const whiteSpace = fc.constantFrom(...WHITE_SPACE).map(fromCodePoint);

/** Any code point that is not a control or a surrogate, from every plane (astral ones included). */
export const identifierChar = fc
  .oneof(
    { weight: 3, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
    { weight: 3, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
    { weight: 1, arbitrary: fc.integer({ min: 0xa0, max: 0xd7ff }).map(fromCodePoint) },
    { weight: 1, arbitrary: fc.integer({ min: 0xe000, max: 0xffff }).map(fromCodePoint) },
    { weight: 1, arbitrary: whiteSpace.filter((c) => c.codePointAt(0)! > 0x9f || c === ' ') },
    { weight: 1, arbitrary: fc.constantFrom(',', '"', '\\', '\u{10ffff}', '\ufeff', '\u200d', '🏳️‍🌈') },
  )
  .filter((c) => !/[\p{Cc}\p{Cs}]/u.test(c));

/** Any one UTF-16 unit sequence of interest: valid characters, controls, white space, commas and lone surrogates. */
export const anyChar = fc.oneof(
  { weight: 6, arbitrary: identifierChar },
  { weight: 1, arbitrary: controlChar },
  { weight: 1, arbitrary: loneSurrogate },
  { weight: 1, arbitrary: whiteSpace },
);

/** Any JavaScript string a caller could send, lone surrogates and controls included. */
export function anyString(maxLength = 80): fc.Arbitrary<string> {
  return fc.array(anyChar, { maxLength }).map((cs) => cs.join(''));
}

/** An identifier (SPEC §1): 1 to 64 code points, none a control or a surrogate. */
export const identifier = fc.array(identifierChar, { minLength: 1, maxLength: 64 }).map((cs) => [...cs.join('')].slice(0, 64).join(''));

/** A user id (SPEC §1): an identifier with no comma and no white space. */
export const userId = fc
  .array(
    identifierChar.filter((c) => c !== ',' && !/\p{White_Space}/u.test(c)),
    { minLength: 1, maxLength: 64 },
  )
  .map((cs) => [...cs.join('')].slice(0, 64).join(''));
