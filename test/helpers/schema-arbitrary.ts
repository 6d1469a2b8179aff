/**
 * fast-check values shaped by a TypeBox schema, for the fuzzer: mostly what the schema describes
 * (so requests get past the first check and reach the handlers and storage), with strings from
 * all of Unicode and, now and then, a wrong type, an out-of-range number or an unknown field.
 */
import fc from 'fast-check';
import { Kind, type TSchema } from '@sinclair/typebox';
import { anyString, identifier, userId } from '../../src/testing/unicode.js';

/** Any JSON value, small. */
export const garbage: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  anyString(20),
  fc.constant(null),
  fc.integer(),
  fc.double(),
  fc.array(anyString(5), { maxLength: 3 }),
);

/** Strings that are often what a field wants and sometimes anything at all. */
const sometimes = (valid: fc.Arbitrary<string>) => fc.oneof({ weight: 4, arbitrary: valid }, { weight: 1, arbitrary: anyString(70) });

const url = fc
  .tuple(
    fc.constantFrom('http://127.0.0.1:9/cb', 'https://example.invalid/hook', 'ftp://x/', 'not a url', 'http://[::1]:9/'),
    anyString(10),
  )
  .map(([base, tail]) => `${base}?q=${tail}`);

const webhookSecret = fc.uint8Array({ minLength: 24, maxLength: 32 }).map((b) => `whsec_${Buffer.from(b).toString('base64')}`);

function stringOf(schema: Record<string, unknown>): fc.Arbitrary<string> {
  switch (schema.format) {
    case 'dialtone-user-id':
      return sometimes(userId);
    case 'dialtone-identifier':
      return sometimes(identifier);
    case 'dialtone-identifier-or-empty':
      return sometimes(fc.oneof(identifier, fc.constant('')));
    case 'dialtone-control-free':
      return sometimes(fc.oneof(url, fc.string({ minLength: 1, maxLength: 40 })));
    default:
      if (typeof schema.pattern === 'string' && schema.pattern.startsWith('^whsec_')) return sometimes(webhookSecret);
      return anyString(typeof schema.maxLength === 'number' ? Math.min(schema.maxLength + 5, 120) : 120);
  }
}

function numberOf(schema: Record<string, unknown>, integer: boolean): fc.Arbitrary<number> {
  const min = typeof schema.minimum === 'number' ? schema.minimum : -1e6;
  const max = typeof schema.maximum === 'number' ? Math.min(schema.maximum, Number.MAX_SAFE_INTEGER) : 1e6;
  const inRange = integer ? fc.integer({ min: Math.ceil(min), max: Math.floor(max) }) : fc.double({ min, max, noNaN: true });
  const anywhere = integer ? fc.oneof(fc.integer(), fc.constantFrom(min - 1, max + 1, 9e20)) : fc.double({ noNaN: true });
  return fc.oneof({ weight: 5, arbitrary: inRange }, { weight: 1, arbitrary: anywhere });
}

/** Values of `schema`'s shape; `mischief` (0..1) is how often a part is replaced by something else. */
export function arbitraryOf(schema: TSchema, mischief = 0.1): fc.Arbitrary<unknown> {
  const valid = shapeOf(schema, mischief);
  const weight = Math.max(1, Math.round((1 - mischief) / Math.max(mischief, 0.01)));
  return mischief > 0 ? fc.oneof({ weight, arbitrary: valid }, { weight: 1, arbitrary: garbage }) : valid;
}

function shapeOf(schema: TSchema, mischief: number): fc.Arbitrary<unknown> {
  const s = schema as TSchema & Record<string, unknown>;
  switch (s[Kind]) {
    case 'Object': {
      const properties = (s.properties ?? {}) as Record<string, TSchema>;
      const required = new Set((s.required as string[] | undefined) ?? []);
      const keys = Object.keys(properties);
      const known = fc.record(Object.fromEntries(keys.map((k) => [k, arbitraryOf(properties[k]!, mischief)])), {
        requiredKeys: keys.filter((k) => required.has(k)),
      });
      const extra = fc.dictionary(anyString(8), garbage, { maxKeys: 2 });
      return fc.oneof({ weight: 6, arbitrary: known }, { weight: 1, arbitrary: fc.tuple(known, extra).map(([a, b]) => ({ ...b, ...a })) });
    }
    case 'String':
      return stringOf(s);
    case 'Integer':
      return numberOf(s, true);
    case 'Number':
      return numberOf(s, false);
    case 'Boolean':
      return fc.boolean();
    case 'Literal':
      return fc.constant(s.const);
    case 'Union':
      return fc.oneof(...(s.anyOf as TSchema[]).map((o) => shapeOf(o, mischief)));
    case 'Array': {
      const max = Math.min(typeof s.maxItems === 'number' ? s.maxItems : 4, 4);
      const min = Math.min(typeof s.minItems === 'number' ? s.minItems : 0, max);
      return fc.array(arbitraryOf(s.items as TSchema, mischief), { minLength: min, maxLength: max });
    }
    default:
      return fc.jsonValue({ maxDepth: 3 });
  }
}
