/**
 * What a framework hands us (a URL or a parsed query, headers in either the fetch or the Node
 * shape, a string or bytes body), reduced to the few values verification reads.
 */
import { utf8 } from './webcrypto.js';

/** Header values in either shape: the fetch `Headers` class, or Node's `IncomingHttpHeaders`-style record. */
export type HeadersInput = Headers | Record<string, string | string[] | undefined>;

/** Query values in either shape: a record (arrays for repeated keys) or `URLSearchParams`. */
export type QueryInput = Record<string, string | string[] | undefined> | URLSearchParams;

/** One received callback request, framework-neutral. */
export interface CallbackInput {
  /**
   * The request URL: a full URL or just `path?query` (Node's `req.url`). Used for the query
   * parameters when {@link CallbackInput.query} is not given.
   */
  url?: string;
  /** The query parameters, when the framework already parsed them; takes precedence over `url`. */
  query?: QueryInput;
  /** The request headers (names are matched case-insensitively). */
  headers: HeadersInput;
  /**
   * The body exactly as received. Signatures cover the bytes, so pass the raw body, never a
   * re-serialised `JSON.stringify` of a parsed one.
   */
  rawBody: string | Uint8Array;
}

/** The query parameters this library reads, with the spelling it normalises each one to. */
const QUERY_NAMES = ['SdkAppid', 'CallbackCommand', 'contenttype', 'ClientIP', 'OptPlatform', 'RequestTime', 'Sign'] as const;
type QueryName = (typeof QUERY_NAMES)[number];
const CANONICAL = new Map<string, QueryName>(QUERY_NAMES.map((n) => [n.toLowerCase(), n]));

/**
 * Reads the known query parameters case-insensitively (the reference docs write both `SdkAppid`
 * and `SdkAppId`; old-generation callbacks use `sdkappid`). The first value of a repeated key wins.
 */
export function readQuery(input: Pick<CallbackInput, 'url' | 'query'>): Partial<Record<QueryName, string>> {
  const out: Partial<Record<QueryName, string>> = {};
  const take = (key: string, value: string | undefined): void => {
    const name = CANONICAL.get(key.toLowerCase());
    if (name !== undefined && value !== undefined && out[name] === undefined) out[name] = value;
  };
  if (input.query instanceof URLSearchParams) {
    for (const [key, value] of input.query) take(key, value);
  } else if (input.query !== undefined) {
    for (const [key, value] of Object.entries(input.query)) take(key, Array.isArray(value) ? value[0] : value);
  } else if (input.url !== undefined) {
    // A dummy base makes `path?query` parse; only the search part is used.
    for (const [key, value] of new URL(input.url, 'http://receiver.invalid').searchParams) take(key, value);
  }
  return out;
}

/**
 * One header's value, by case-insensitive name. Repeated headers in a record (an array) are
 * joined with a space, which for `webhook-signature` is exactly its list separator.
 */
export function readHeader(headers: HeadersInput, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function' && typeof (headers as Headers).has === 'function') {
    return (headers as Headers).get(name) ?? undefined;
  }
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(headers as Record<string, string | string[] | undefined>)) {
    if (key.toLowerCase() !== lower || value === undefined) continue;
    return Array.isArray(value) ? value.join(' ') : value;
  }
  return undefined;
}

/** The body as bytes (what signatures cover) without copying when it already is bytes. */
export function bodyBytes(rawBody: string | Uint8Array): Uint8Array {
  return typeof rawBody === 'string' ? utf8(rawBody) : rawBody;
}
