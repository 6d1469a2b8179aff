/**
 * What `getIceServers` answers (SPEC §4.1): the operator's STUN/TURN servers as configured, and,
 * when a TURN server shares a secret with Dialtone (coturn `use-auth-secret`), one more entry
 * with credentials made for the asking user that expire after the configured lifetime. Also the
 * rules a configured server must pass, checked at start: a URL or entry a browser would refuse
 * makes `new RTCPeerConnection` throw, which would break every call rather than one setting.
 */
import { turnCredentials } from '../auth/turn.js';
import type { IceServer, IceServersAnswer } from '../protocol/wire.js';
import type { Clock } from './ports.js';

/** Default lifetime of TURN credentials, seconds (6 hours; `DIALTONE_TURN_TTL`). */
export const DEFAULT_TURN_TTL_SECONDS = 21_600;

/** A TURN server with time-limited credentials (`DIALTONE_TURN_URLS`, `DIALTONE_TURN_SECRET`, `DIALTONE_TURN_TTL`). */
export interface TurnSettings {
  /** `turn:`/`turns:` URLs of the server. */
  urls: string[];
  /** Its `static-auth-secret`. Never logged. */
  secret: string;
  /** How long credentials given out stay valid, seconds. */
  ttlSeconds: number;
}

const HOST = String.raw`(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)`;
const PORT = String.raw`(?::(\d{1,5}))?`;
/** RFC 7064: `stun:host[:port]`, `stuns:host[:port]`. */
const STUN_URL = new RegExp(`^stuns?:${HOST}${PORT}$`);
/** RFC 7065: `turn:host[:port][?transport=udp|tcp]`, `turns:…`. */
const TURN_URL = new RegExp(`^turns?:${HOST}${PORT}(?:\\?transport=(?:udp|tcp))?$`);

function validPort(url: string, pattern: RegExp): boolean {
  const m = pattern.exec(url);
  return m !== null && (m[1] === undefined || (Number(m[1]) >= 1 && Number(m[1]) <= 65535));
}

/** Whether `url` is a `stun:`/`stuns:` URL. */
export function isStunUrl(url: string): boolean {
  return validPort(url, STUN_URL);
}

/** Whether `url` is a `turn:`/`turns:` URL. */
export function isTurnUrl(url: string): boolean {
  return validPort(url, TURN_URL);
}

/**
 * Reads `DIALTONE_ICE_SERVERS`: comma-separated `stun:` URLs (one entry), or a JSON array of
 * `RTCIceServer` objects (`urls` a string or an array; `username` and `credential`, required for
 * `turn:` URLs), kept as they are but for `urls`, always an array. Throws an `Error` saying what
 * is wrong with the first bad part.
 */
export function parseIceServers(text: string): IceServer[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) return parseIceServerArray(trimmed);
  const urls = trimmed
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const bad = urls.find((url) => !isStunUrl(url));
  if (bad !== undefined) {
    throw new Error(
      `${JSON.stringify(bad)} is not a stun: URL (stun:host[:port]); a TURN server needs credentials: give a JSON array of RTCIceServer objects, or DIALTONE_TURN_URLS with DIALTONE_TURN_SECRET`,
    );
  }
  return urls.length > 0 ? [{ urls }] : [];
}

function parseIceServerArray(text: string): IceServer[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`not a JSON array: ${(err as Error).message}`, { cause: err });
  }
  if (!Array.isArray(value)) throw new Error('not a JSON array');
  return value.map((entry, i) => iceServerEntry(entry, `[${i}]`));
}

const ENTRY_KEYS = ['urls', 'username', 'credential'];

function iceServerEntry(entry: unknown, at: string): IceServer {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new Error(`${at} is not an object`);
  const e = entry as Record<string, unknown>;
  const unknownKey = Object.keys(e).find((k) => !ENTRY_KEYS.includes(k));
  if (unknownKey !== undefined)
    throw new Error(`${at} has ${JSON.stringify(unknownKey)}; an ICE server has only urls, username and credential`);
  const urls = typeof e.urls === 'string' ? [e.urls] : e.urls;
  if (!Array.isArray(urls) || urls.length === 0 || urls.some((u) => typeof u !== 'string')) {
    throw new Error(`${at}.urls must be a URL or a non-empty array of URLs`);
  }
  const bad = (urls as string[]).find((u) => !isStunUrl(u) && !isTurnUrl(u));
  if (bad !== undefined) throw new Error(`${at}.urls: ${JSON.stringify(bad)} is not a stun:, stuns:, turn: or turns: URL`);
  for (const key of ['username', 'credential'] as const) {
    if (e[key] !== undefined && typeof e[key] !== 'string') throw new Error(`${at}.${key} must be a string`);
  }
  // Browsers refuse a TURN server without both (`new RTCPeerConnection` throws InvalidAccessError).
  if ((urls as string[]).some(isTurnUrl) && (e.username === undefined || e.credential === undefined)) {
    throw new Error(`${at} has turn: URLs: it needs a username and a credential`);
  }
  return {
    urls: urls as string[],
    ...(e.username !== undefined ? { username: e.username as string } : {}),
    ...(e.credential !== undefined ? { credential: e.credential as string } : {}),
  };
}

/** Reads `DIALTONE_TURN_URLS`: comma-separated `turn:`/`turns:` URLs. Throws an `Error` naming the first bad one. */
export function parseTurnUrls(text: string): string[] {
  const urls = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const bad = urls.find((url) => !isTurnUrl(url));
  if (bad !== undefined) throw new Error(`${JSON.stringify(bad)} is not a turn: or turns: URL (turn:host[:port][?transport=udp|tcp])`);
  if (urls.length === 0) throw new Error('no URL given');
  return urls;
}

/** Answers `getIceServers`. */
export class IceServerService {
  constructor(
    private readonly deps: {
      /** Given to every user as they are. */
      iceServers: readonly IceServer[];
      turn?: TurnSettings | undefined;
      clock: Clock;
    },
  ) {}

  /** The ICE servers for `userId`: the configured ones, then the TURN server with credentials of that user. */
  forUser(userId: string): IceServersAnswer {
    const iceServers = this.deps.iceServers.map((s) => ({ ...s, urls: [...s.urls] }));
    const turn = this.deps.turn;
    if (!turn) return { iceServers, ttl: 0 };
    const expiresAt = Math.floor(this.deps.clock.now() / 1000) + turn.ttlSeconds;
    iceServers.push({ urls: [...turn.urls], ...turnCredentials(turn.secret, userId, expiresAt) });
    return { iceServers, ttl: turn.ttlSeconds };
  }
}
