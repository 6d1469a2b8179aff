/**
 * The identifier rules of SPEC §1, shared by every entry point (REST bodies and query, WebSocket
 * ops and connect) and by the domain's own checks. Pure, with no imports.
 *
 * Why code points and not `string.length`: an id of 64 emoji is 128 UTF-16 units but 64
 * characters to its user. Why no unpaired surrogate: both stores encode strings as UTF-8, where
 * a lone surrogate cannot exist; it would be stored as U+FFFD and read back different from what
 * was written, so a timer or a member keyed by it could never be found again.
 */

/** Longest identifier, Unicode code points. */
export const MAX_IDENTIFIER_CODE_POINTS = 64;

// With the `u` flag a character class matches whole code points and an unpaired surrogate is a
// code point of category Cs, while a pair is one astral code point.
const IDENTIFIER = new RegExp(`^[^\\p{Cc}\\p{Cs}]{1,${MAX_IDENTIFIER_CODE_POINTS}}$`, 'u');
const USER_ID = new RegExp(`^[^\\p{Cc}\\p{Cs}\\p{White_Space},]{1,${MAX_IDENTIFIER_CODE_POINTS}}$`, 'u');
const LONE_SURROGATE = /\p{Cs}/u;
const CONTROL = /\p{Cc}/u;

/** Plain-language statement of {@link isIdentifier}, completing "<field> …". */
export const IDENTIFIER_RULE = 'must be 1 to 64 characters with no control character';
/** Plain-language statement of {@link isUserId}, completing "<field> …". */
export const USER_ID_RULE = 'must be 1 to 64 characters with no comma, space or control character';
/** Plain-language statement of {@link isWellFormed}, completing "<field> …". */
export const WELL_FORMED_RULE = 'must be well-formed Unicode (it has an unpaired surrogate)';
/** Plain-language statement of {@link isControlFree}, completing "<field> …". */
export const CONTROL_FREE_RULE = 'must have no control character';

/**
 * A string room id, `ChatGroupId`, device id or other identifier: 1 to 64 code points, none of
 * general category Cc (controls, NUL included) or Cs (unpaired surrogates).
 */
export function isIdentifier(value: string): boolean {
  return IDENTIFIER.test(value);
}

/** A user id (also robot accounts and administrators): an {@link isIdentifier} with no comma and no white space. */
export function isUserId(value: string): boolean {
  return USER_ID.test(value);
}

/** True when `value` is well-formed Unicode: no unpaired UTF-16 surrogate (`String.prototype.isWellFormed`). */
export function isWellFormed(value: string): boolean {
  return !LONE_SURROGATE.test(value);
}

/** Well-formed and free of control characters (category Cc): for URLs, tokens and keys. */
export function isControlFree(value: string): boolean {
  return isWellFormed(value) && !CONTROL.test(value);
}

/** Length of `value` in Unicode code points (a surrogate pair counts once). */
export function codePointLength(value: string): number {
  let n = 0;
  for (const _ of value) n++;
  return n;
}

/** Where {@link firstIllFormed} found a string that is not well-formed. */
export interface IllFormed {
  /** Path segments to the string (`['data', 'sdp', 1, 'x']`), or to the object holding the bad key; `[]` for the value itself. */
  path: (string | number)[];
  /** True when it is one of the object's keys, not a value. */
  inKey: boolean;
}

interface Visit {
  value: unknown;
  parent: Visit | undefined;
  key: string | number | undefined;
}

function pathOf(visit: Visit): (string | number)[] {
  const path: (string | number)[] = [];
  for (let v: Visit | undefined = visit; v?.parent; v = v.parent) path.push(v.key!);
  return path.reverse();
}

/**
 * The first string in a JSON value (object keys included) that is not well-formed, or undefined
 * when every string is. Iterative and linear, so a deeply nested body cannot overflow the stack.
 */
export function firstIllFormed(value: unknown): IllFormed | undefined {
  const stack: Visit[] = [{ value, parent: undefined, key: undefined }];
  while (stack.length > 0) {
    const visit = stack.pop()!;
    const v = visit.value;
    if (typeof v === 'string') {
      if (!isWellFormed(v)) return { path: pathOf(visit), inKey: false };
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], parent: visit, key: i });
    } else if (typeof v === 'object' && v !== null) {
      const keys = Object.keys(v);
      if (keys.some((k) => !isWellFormed(k))) return { path: pathOf(visit), inKey: true };
      for (let i = keys.length - 1; i >= 0; i--)
        stack.push({ value: (v as Record<string, unknown>)[keys[i]!], parent: visit, key: keys[i]! });
    }
  }
  return undefined;
}
