/**
 * The one registry of coded errors (as Fastify keeps its `FST_ERR_*` list in one file).
 * Codes are wire values from SPEC.md: positive codes are the reference product's server codes,
 * negative codes are its client codes. Domain and app code return or throw these; transports
 * map them onto their wire envelopes.
 */

/** A registered error kind: its wire code and default human-readable message. */
export interface ErrorDef {
  readonly name: string;
  readonly code: number;
  readonly message: string;
}

function def(name: string, code: number, message: string): ErrorDef {
  return Object.freeze({ name, code, message });
}

/** Every coded error Dialtone can answer with. */
export const ERR = {
  // UserSig (SPEC §1)
  USERSIG_EXPIRED: def('ERR_USERSIG_EXPIRED', 70001, 'UserSig expired'),
  USERSIG_EMPTY: def('ERR_USERSIG_EMPTY', 70002, 'UserSig is empty'),
  USERSIG_MALFORMED: def('ERR_USERSIG_MALFORMED', 70003, 'UserSig is malformed'),
  USERSIG_BAD_SIGNATURE: def('ERR_USERSIG_BAD_SIGNATURE', 70009, 'UserSig signature does not verify with the app key'),
  USERSIG_IDENTIFIER_MISMATCH: def('ERR_USERSIG_IDENTIFIER_MISMATCH', 70013, 'UserSig identifier does not match the request'),
  USERSIG_SDKAPPID_MISMATCH: def('ERR_USERSIG_SDKAPPID_MISMATCH', 70014, 'UserSig sdkappid does not match the request'),
  USERSIG_UNKNOWN_APP: def('ERR_USERSIG_UNKNOWN_APP', 70020, 'SDKAppID not found'),

  // REST envelope (SPEC §2.1)
  REST_BAD_REQUEST: def('ERR_REST_BAD_REQUEST', 60002, 'bad URL or missing query parameter'),
  REST_BODY_NOT_JSON: def('ERR_REST_BODY_NOT_JSON', 60003, 'request body is not valid JSON'),
  REST_BODY_TOO_LARGE: def('ERR_REST_BODY_TOO_LARGE', 60003, 'request body is too large'),
  REST_INVALID_SDKAPPID: def('ERR_REST_INVALID_SDKAPPID', 60006, 'invalid SDKAppID'),
  REST_MISSING_SDKAPPID: def('ERR_REST_MISSING_SDKAPPID', 60012, 'SDKAppID is missing'),
  REST_RATE_LIMITED: def('ERR_REST_RATE_LIMITED', 60007, 'request rate limit exceeded'),
  REST_UNKNOWN_COMMAND: def('ERR_REST_UNKNOWN_COMMAND', 60009, 'unknown service or command'),
  REST_NOT_ADMIN: def('ERR_REST_NOT_ADMIN', 60010, 'identifier is not an administrator of this app'),
  REST_METHOD_NOT_ALLOWED: def('ERR_REST_METHOD_NOT_ALLOWED', 60002, 'only POST is allowed'),
  REST_NOT_OPERATOR: def('ERR_REST_NOT_OPERATOR', 60010, 'identifier is not an administrator of the operator app'),

  // dialtone_admin: apps of this server (Dialtone extension)
  APP_EXISTS: def('ERR_APP_EXISTS', 100002, 'an app with this SdkAppId exists'),
  APP_NOT_FOUND: def('ERR_APP_NOT_FOUND', 70020, 'SDKAppID not found'),

  // call_config (SPEC §2.2)
  CONFIG_INTERNAL: def('ERR_CONFIG_INTERNAL', 100001, 'internal error'),
  CONFIG_INVALID_PARAM: def('ERR_CONFIG_INVALID_PARAM', 100002, 'invalid parameter'),
  CONFIG_NOT_FOUND: def('ERR_CONFIG_NOT_FOUND', 100301, 'no callback configuration is set'),

  // call records and live calls (SPEC §2.3, §2.4)
  CALL_INTERNAL: def('ERR_CALL_INTERNAL', 101001, 'internal error'),
  CALL_INVALID_PARAM: def('ERR_CALL_INVALID_PARAM', 101002, 'invalid parameter'),
  CALL_NOT_FOUND: def('ERR_CALL_NOT_FOUND', 101004, 'call does not exist or has ended'),
  RECORD_NOT_FOUND: def('ERR_RECORD_NOT_FOUND', 101050, 'no record for this CallId'),

  // client protocol (SPEC §4)
  CLIENT_INVALID_PARAM: def('ERR_CLIENT_INVALID_PARAM', -1202, 'invalid parameter'),
  CLIENT_NOT_ALLOWED: def('ERR_CLIENT_NOT_ALLOWED', -1203, 'not allowed in the current state'),
  CLIENT_REPEATED_CALL: def('ERR_CLIENT_REPEATED_CALL', -1204, 'already in a call'),
} as const;

/**
 * A request field named inside an error text, e.g. `userIdList[2]`. Each transport spells it as
 * its callers do (the REST API says `CalleeList_Account[2]` for the same rule), so rules checked
 * once, in the domain, still name the field the caller actually sent.
 */
export interface FieldRef {
  readonly field: string;
  /** Position in a list field. */
  readonly index?: number;
}

/** An error text: a plain sentence, or one with {@link FieldRef}s made by {@link detail}. */
export type Detail = string | { readonly parts: readonly (string | FieldRef)[] };

/** Spellings of fields by their default (client protocol) names; a name not listed is kept. */
export type FieldNames = Readonly<Record<string, string>>;

/** Refers to the field `name` (item `index` of it) in a {@link detail} text. */
export function field(name: string, index?: number): FieldRef {
  return index === undefined ? { field: name } : { field: name, index };
}

/** Builds an error text with field references: ``detail`${field('userIdList', 2)} repeats ${field('userIdList', 0)}` ``. */
export function detail(strings: TemplateStringsArray, ...values: (string | number | FieldRef)[]): Detail {
  const parts: (string | FieldRef)[] = [];
  strings.forEach((text, i) => {
    if (text) parts.push(text);
    const value = values[i];
    if (value !== undefined) parts.push(typeof value === 'object' ? value : String(value));
  });
  return { parts };
}

function render(text: Detail, names: FieldNames = {}): string {
  if (typeof text === 'string') return text;
  return text.parts
    .map((p) => (typeof p === 'string' ? p : `${names[p.field] ?? p.field}${p.index === undefined ? '' : `[${p.index}]`}`))
    .join('');
}

/**
 * An error carrying a registered wire code. Its message is the detail when one is given (a whole
 * sentence, never prefixed with the default message), else the registered default message.
 */
export class DialtoneError extends Error {
  readonly code: number;
  readonly kind: string;
  /** What was given beyond the registered kind, with its field references. */
  readonly detail: Detail | undefined;

  constructor(errorDef: ErrorDef, text?: Detail) {
    super(text === undefined || text === '' ? errorDef.message : render(text));
    this.name = 'DialtoneError';
    this.code = errorDef.code;
    this.kind = errorDef.name;
    this.detail = text === '' ? undefined : text;
  }

  /** The same error as `errorDef` (another API's code for it), with fields spelled by `names`. */
  as(errorDef: ErrorDef, names: FieldNames): DialtoneError {
    return new DialtoneError(errorDef, this.detail === undefined ? undefined : render(this.detail, names));
  }
}

/** Creates a {@link DialtoneError} of the given kind; `text`, when given, is its whole message. */
export function dialtoneError(errorDef: ErrorDef, text?: Detail): DialtoneError {
  return new DialtoneError(errorDef, text);
}

/** True when `err` is a coded Dialtone error. */
export function isDialtoneError(err: unknown): err is DialtoneError {
  return err instanceof DialtoneError;
}
