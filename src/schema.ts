/**
 * Schema validation shared by every transport: TypeBox schemas compiled once, returning either
 * the typed value or one plain sentence naming the offending field as the caller spelled it
 * (`CalleeList_Account[2] must be …`).
 *
 * The identifier rules of SPEC §1 are TypeBox string formats (see {@link UserId},
 * {@link Identifier}), so every schema that declares an id enforces them. Well-formedness applies
 * to every string a caller sends, in any field, including fields no schema describes
 * (`signal.data`, unknown keys): the validator checks the whole value after the schema.
 */
import { FormatRegistry, Type, type Static, type StringOptions, type TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import {
  CONTROL_FREE_RULE,
  firstIllFormed,
  IDENTIFIER_RULE,
  isControlFree,
  isIdentifier,
  isUserId,
  isWellFormed,
  USER_ID_RULE,
  WELL_FORMED_RULE,
} from './protocol/identifiers.js';

/** String formats of the identifier rules, and the sentence each one's failure reads as. */
const FORMATS: Record<string, { check: (value: string) => boolean; rule: string | ((value: string) => string) }> = {
  'dialtone-user-id': { check: isUserId, rule: USER_ID_RULE },
  'dialtone-identifier': { check: isIdentifier, rule: IDENTIFIER_RULE },
  'dialtone-identifier-or-empty': { check: (v) => v === '' || isIdentifier(v), rule: IDENTIFIER_RULE },
  'dialtone-text': { check: isWellFormed, rule: WELL_FORMED_RULE },
  'dialtone-control-free': { check: isControlFree, rule: (v) => (isWellFormed(v) ? CONTROL_FREE_RULE : WELL_FORMED_RULE) },
};
for (const [name, format] of Object.entries(FORMATS)) FormatRegistry.Set(name, format.check);

/** A user id, robot account or administrator: 1 to 64 code points, no comma, white space or control character. */
export const UserId = (options: StringOptions = {}) => Type.String({ ...options, format: 'dialtone-user-id' });
/** An identifier (string room id, `ChatGroupId`, device, CallId): 1 to 64 code points, no control character. */
export const Identifier = (options: StringOptions = {}) => Type.String({ ...options, format: 'dialtone-identifier' });
/** An {@link Identifier}, or `''` for "none" (a client may send an empty `chatGroupId`). */
export const IdentifierOrEmpty = (options: StringOptions = {}) => Type.String({ ...options, format: 'dialtone-identifier-or-empty' });
/** A string with no control character (URLs, tokens, keys: stored and sent on as they are). */
export const ControlFreeString = (options: StringOptions = {}) => Type.String({ ...options, format: 'dialtone-control-free' });
/** A well-formed string, for schemas that do not walk the whole value (see {@link validator}'s `deep`). */
export const WellFormedString = (options: StringOptions = {}) => Type.String({ ...options, format: 'dialtone-text' });

/** A compiled validator for one schema. */
export type Validator<T extends TSchema> = (value: unknown) => { ok: true; value: Static<T> } | { ok: false; reason: string };

/** Options of {@link validator}. */
export interface ValidatorOptions {
  /** What the value as a whole is called in messages. Default `the body`. */
  root?: string;
  /** Check that every string in the value is well-formed, beyond what the schema names. Default true. */
  deep?: boolean;
}

/** Compiles `schema` into a {@link Validator}. */
export function validator<T extends TSchema>(schema: T, options: ValidatorOptions = {}): Validator<T> {
  const check = TypeCompiler.Compile(schema);
  const root = options.root ?? 'the body';
  const deep = options.deep ?? true;
  return (value) => {
    if (!check.Check(value)) {
      const first = check.Errors(value).First();
      return { ok: false, reason: first ? `${fieldName(pointer(first.path), root)} ${sentence(first)}` : `${root} is not valid` };
    }
    const bad = deep ? firstIllFormed(value) : undefined;
    if (bad) {
      const where = fieldName(bad.path, root);
      return { ok: false, reason: bad.inKey ? `${where} has a key that is not well-formed Unicode` : `${where} ${WELL_FORMED_RULE}` };
    }
    return { ok: true, value };
  };
}

/** JSON pointer `/CalleeList_Account/2` to path segments. */
function pointer(path: string): (string | number)[] {
  if (path === '') return [];
  return path
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^(0|[1-9]\d*)$/.test(s) ? Number(s) : s));
}

/** Path segments as the caller writes them: `CallInfo.RoomId`, `CalleeList_Account[2]`. */
export function fieldName(path: readonly (string | number)[], root = 'the body'): string {
  let name = '';
  for (const segment of path) name += typeof segment === 'number' ? `[${segment}]` : name === '' ? segment : `.${segment}`;
  return name === '' ? root : name.startsWith('[') ? `${root}${name}` : name;
}

/** What is wrong, as the end of a sentence that starts with the field's name. */
function sentence(error: ValueError): string {
  const s = error.schema as Record<string, unknown>;
  if (typeof s.errorMessage === 'string') return s.errorMessage;
  const range = (what: string) => {
    const min = s.minimum as number | undefined;
    const max = s.maximum as number | undefined;
    if (min !== undefined && max !== undefined) return `must be ${what} from ${min} to ${max}`;
    if (min !== undefined) return `must be ${what} of at least ${min}`;
    if (max !== undefined) return `must be ${what} of at most ${max}`;
    return `must be ${what}`;
  };
  switch (error.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return 'is required';
    case ValueErrorType.ObjectAdditionalProperties:
      return 'is not a known field';
    case ValueErrorType.Object:
      return 'must be an object';
    case ValueErrorType.Array:
      return 'must be a list';
    case ValueErrorType.ArrayMinItems:
      return s.minItems === 1 ? 'must not be empty' : `must have at least ${String(s.minItems)} items`;
    case ValueErrorType.ArrayMaxItems:
      return `must have at most ${String(s.maxItems)} items`;
    case ValueErrorType.String:
      return 'must be a string';
    case ValueErrorType.StringMinLength:
    case ValueErrorType.StringMaxLength:
      if (s.minLength !== undefined && s.maxLength !== undefined)
        return `must be ${String(s.minLength)} to ${String(s.maxLength)} characters`;
      return s.maxLength !== undefined ? `must be at most ${String(s.maxLength)} characters` : 'must not be empty';
    case ValueErrorType.StringFormat: {
      const rule = FORMATS[s.format as string]?.rule;
      return typeof rule === 'function' ? rule(String(error.value)) : (rule ?? 'has the wrong format');
    }
    case ValueErrorType.StringPattern:
      return 'has the wrong format';
    case ValueErrorType.Boolean:
      return 'must be true or false';
    case ValueErrorType.Integer:
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.IntegerMaximum:
      return range('an integer');
    case ValueErrorType.Number:
    case ValueErrorType.NumberMinimum:
    case ValueErrorType.NumberMaximum:
      return range('a number');
    case ValueErrorType.Literal:
      return `must be ${JSON.stringify(s.const)}`;
    case ValueErrorType.Union: {
      const options = (s.anyOf as Record<string, unknown>[] | undefined) ?? [];
      if (options.length > 0 && options.every((o) => 'const' in o))
        return `must be one of ${options.map((o) => String(o.const)).join(', ')}`;
      return 'has the wrong type or value';
    }
    default:
      return 'is not valid';
  }
}
