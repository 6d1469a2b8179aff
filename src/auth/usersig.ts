/**
 * UserSig (TLSSigAPIv2), the credential every REST call and socket presents (SPEC §1).
 *
 * The signed text and the HMAC must match Tencent's implementation byte for byte; the outer
 * encoding (JSON key order, zlib level) may differ between ports, so verification parses the
 * document and recomputes the HMAC from the document's own fields.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { deflateSync, inflateSync } from 'node:zlib';
import { ERR, dialtoneError, type DialtoneError } from '../errors.js';

/** Default UserSig lifetime in seconds (180 days), as Tencent's libraries use. */
export const DEFAULT_USERSIG_EXPIRE_SECONDS = 180 * 24 * 3600;

/** Inputs to {@link makeUserSig}. */
export interface MakeUserSigInput {
  sdkAppId: number;
  /** The app's SecretKey; its UTF-8 bytes are the HMAC key (it is not hex-decoded). */
  secretKey: string;
  userId: string;
  /** Lifetime in seconds. Default {@link DEFAULT_USERSIG_EXPIRE_SECONDS}. */
  expireSeconds?: number;
  /** Issue time in unix seconds. Default: now. */
  time?: number;
  /** Optional raw userbuf (PrivateMapKey); signed as its standard base64. */
  userbuf?: Buffer;
}

/** The decoded UserSig document. */
export interface UserSigDoc {
  identifier: string;
  sdkAppId: number;
  /** Issue time, unix seconds. */
  time: number;
  /** Lifetime, seconds. */
  expire: number;
  /** Standard base64 of the userbuf, exactly as carried in the document. */
  userbuf?: string;
  /** Standard base64 HMAC-SHA256. */
  sig: string;
}

/** Computes the `TLS.sig` HMAC (standard base64) over the TLSSigAPIv2 text. */
export function computeSig(
  secretKey: string,
  identifier: string,
  sdkAppId: number,
  time: number,
  expire: number,
  userbufBase64?: string,
): string {
  let text = `TLS.identifier:${identifier}\n` + `TLS.sdkappid:${sdkAppId}\n` + `TLS.time:${time}\n` + `TLS.expire:${expire}\n`;
  if (userbufBase64 !== undefined) text += `TLS.userbuf:${userbufBase64}\n`;
  return createHmac('sha256', Buffer.from(secretKey, 'utf8')).update(text, 'utf8').digest('base64');
}

/** Makes a UserSig string (zlib JSON document in Tencent's base64 variant). */
export function makeUserSig(input: MakeUserSigInput): string {
  const time = input.time ?? Math.floor(Date.now() / 1000);
  const expire = input.expireSeconds ?? DEFAULT_USERSIG_EXPIRE_SECONDS;
  const userbuf = input.userbuf?.toString('base64');
  const doc: Record<string, string | number> = {
    'TLS.ver': '2.0',
    'TLS.identifier': input.userId,
    'TLS.sdkappid': input.sdkAppId,
    'TLS.time': time,
    'TLS.expire': expire,
  };
  if (userbuf !== undefined) doc['TLS.userbuf'] = userbuf;
  doc['TLS.sig'] = computeSig(input.secretKey, input.userId, input.sdkAppId, time, expire, userbuf);
  return toTencentBase64(deflateSync(Buffer.from(JSON.stringify(doc), 'utf8')));
}

/** Tencent's base64 variant: standard base64 with `+`→`*`, `/`→`-`, `=`→`_`. */
export function toTencentBase64(bytes: Buffer): string {
  return bytes.toString('base64').replace(/\+/g, '*').replace(/\//g, '-').replace(/=/g, '_');
}

/** Reverses {@link toTencentBase64}; returns undefined when the text is not base64 at all. */
export function fromTencentBase64(text: string): Buffer | undefined {
  const std = text.replace(/\*/g, '+').replace(/-/g, '/').replace(/_/g, '=');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(std)) return undefined;
  return Buffer.from(std, 'base64');
}

/**
 * Decodes a UserSig without checking it. Returns the document, or the `70003`/`70002` error
 * when it cannot be read.
 */
export function decodeUserSig(userSig: string): UserSigDoc | DialtoneError {
  if (userSig.length === 0) return dialtoneError(ERR.USERSIG_EMPTY);
  const compressed = fromTencentBase64(userSig);
  if (!compressed) return dialtoneError(ERR.USERSIG_MALFORMED, 'UserSig is not base64');
  let json: unknown;
  try {
    json = JSON.parse(inflateSync(compressed, { maxOutputLength: 64 * 1024 }).toString('utf8'));
  } catch {
    return dialtoneError(ERR.USERSIG_MALFORMED, 'UserSig is not a zlib-compressed JSON document');
  }
  if (typeof json !== 'object' || json === null) return dialtoneError(ERR.USERSIG_MALFORMED, 'UserSig is not a JSON object');
  const d = json as Record<string, unknown>;
  const identifier = d['TLS.identifier'];
  const sdkAppId = d['TLS.sdkappid'];
  const time = d['TLS.time'];
  const expire = d['TLS.expire'];
  const sig = d['TLS.sig'];
  const userbuf = d['TLS.userbuf'];
  if (
    typeof identifier !== 'string' ||
    !isWholeNumber(sdkAppId) ||
    !isWholeNumber(time) ||
    !isWholeNumber(expire) ||
    typeof sig !== 'string' ||
    (userbuf !== undefined && typeof userbuf !== 'string')
  ) {
    return dialtoneError(ERR.USERSIG_MALFORMED, 'UserSig fields are missing or of the wrong type');
  }
  return { identifier, sdkAppId, time, expire, sig, ...(userbuf !== undefined ? { userbuf } : {}) };
}

/** What the verifier needs to know about the claimed user and the app. */
export interface VerifyUserSigInput {
  userSig: string;
  /** The user id the request claims to be. */
  identifier: string;
  /** The SDKAppID the request claims. */
  sdkAppId: number;
  /** Looks up the app's SecretKey; undefined when the app does not exist (`70020`). */
  secretKeyOf: (sdkAppId: number) => string | undefined;
  /** Current time in unix seconds. */
  now: number;
}

/**
 * Verifies a UserSig, checking in the order SPEC §1 gives: decodable (`70003`), non-empty
 * (`70002`), identifier (`70013`), sdkappid (`70014`), HMAC (`70009`), expiry (`70001`), app
 * known (`70020`). Returns the document on success, the coded error otherwise.
 */
export function verifyUserSig(input: VerifyUserSigInput): UserSigDoc | DialtoneError {
  const doc = decodeUserSig(input.userSig);
  if (!('sig' in doc)) return doc;
  if (doc.identifier !== input.identifier) return dialtoneError(ERR.USERSIG_IDENTIFIER_MISMATCH);
  if (doc.sdkAppId !== input.sdkAppId) return dialtoneError(ERR.USERSIG_SDKAPPID_MISMATCH);
  const secretKey = input.secretKeyOf(doc.sdkAppId);
  // An unknown app can only be reported after the HMAC check would have run: with no key there
  // is nothing to check against, so it is reported here, after the field checks.
  if (secretKey === undefined) return dialtoneError(ERR.USERSIG_UNKNOWN_APP);
  const expected = Buffer.from(computeSig(secretKey, doc.identifier, doc.sdkAppId, doc.time, doc.expire, doc.userbuf), 'utf8');
  const actual = Buffer.from(doc.sig, 'utf8');
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
    return dialtoneError(ERR.USERSIG_BAD_SIGNATURE);
  }
  if (input.now > doc.time + doc.expire) return dialtoneError(ERR.USERSIG_EXPIRED);
  return doc;
}

function isWholeNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}
