/**
 * Schema validation shared by every transport: TypeBox schemas compiled once, returning either
 * the typed value or a one-line reason naming the offending field.
 */
import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

/** A compiled validator for one schema. */
export type Validator<T extends TSchema> = (value: unknown) => { ok: true; value: Static<T> } | { ok: false; reason: string };

/** Compiles `schema` into a {@link Validator}. */
export function validator<T extends TSchema>(schema: T): Validator<T> {
  const check = TypeCompiler.Compile(schema);
  return (value) => {
    if (check.Check(value)) return { ok: true, value };
    const first = check.Errors(value).First();
    const path = first?.path ? first.path.replace(/^\//, '').replace(/\//g, '.') : '';
    return { ok: false, reason: first ? `${path || 'body'}: ${first.message}` : 'invalid value' };
  };
}
