/**
 * Server configuration: defaults, then the environment (SPEC §7), then CLI flags. Every setting
 * and its default is listed in the README's configuration table.
 */
import { resolve } from 'node:path';
import { DEFAULT_TURN_TTL_SECONDS, parseIceServers, parseTurnUrls } from './app/ice-servers.js';
import { CALLBACK_ALLOW_SETTING, parseAllowRule } from './callbacks/destination.js';
import { isUserId, USER_ID_RULE } from './protocol/identifiers.js';
import type { IceServer } from './protocol/wire.js';

/** Everything the server needs to start. */
export interface DialtoneConfig {
  /** Listen address. Default `127.0.0.1`. */
  host: string;
  /** Listen port; 0 picks a free one. Default 8080. */
  port: number;
  /** Directory of the SQLite database. Default `./data`. */
  dataDir: string;
  /** Development mode: friendlier logs, the demo page and the dev-only endpoints. */
  dev: boolean;
  /** App to define or update at start (`DIALTONE_SDKAPPID`). */
  sdkAppId?: number;
  /** Its SecretKey (`DIALTONE_SECRET_KEY`). */
  secretKey?: string;
  /** Its administrators (`DIALTONE_ADMIN`, comma-separated). Default `administrator`. */
  admins?: string[];
  /** REST requests per second per API per app. Default 200. */
  restRateLimit: number;
  /** Timeout of one callback attempt, ms. Default 2000. */
  callbackTimeoutMs: number;
  /** Delivered callbacks are kept this many days, then pruned. Default 7. */
  callbackRetentionDays: number;
  /** When set, `/metrics` requires `Authorization: Bearer <token>`. */
  metricsToken?: string;
  /**
   * Whether the callback series of `/metrics` carry an `sdkappid` label (one series per app:
   * fine for a few apps, costly for many). Default off (`DIALTONE_METRICS_APP_LABELS`).
   */
  metricsAppLabels: boolean;
  /** A member silent or disconnected this long leaves their call as `Offline`, ms. Default 30000. */
  heartbeatExpiryMs: number;
  /**
   * A member whose page closed its socket (a reload or a closed tab, close code 1000/1001) and
   * whose device does not connect again within this many ms leaves as `Hangup`; 0 leaves it to
   * the heartbeat expiry. Default 3000.
   */
  leaveGraceMs: number;
  /** pino level. Default `info`. */
  logLevel: string;
  /** `postgres://…`: store everything in PostgreSQL instead of the SQLite file (`DATABASE_URL`). */
  databaseUrl?: string;
  /** PostgreSQL schema to use (created if missing). Default `public` (`DIALTONE_DATABASE_SCHEMA`). */
  databaseSchema?: string;
  /** `redis://…`: cluster mode, with `databaseUrl` (`REDIS_URL`). */
  redisUrl?: string;
  /** Prefix of Redis keys and channels. Default `dialtone:` (`DIALTONE_REDIS_PREFIX`). */
  redisPrefix?: string;
  /**
   * How long a process's claim on a callback or timer holds, ms; claims are renewed while held,
   * so this is how long a dead process's work waits before another takes it. Default 300000, or
   * 15000 in cluster mode (`DIALTONE_CLAIM_LEASE_MS`).
   */
  claimLeaseMs?: number;
  /**
   * Where callbacks may go besides public addresses (`DIALTONE_CALLBACK_ALLOW`): CIDRs
   * (`10.1.2.0/24`; a bare address is its /32 or /128) and host names (allowed whatever they
   * resolve to). Default none; dev mode also allows loopback.
   */
  callbackAllow: string[];
  /**
   * Send callback HTTP requests from a thread of their own, so that an attempt turns around in
   * the receiver's time rather than in the turns of the event loop that serves signalling, and
   * its sockets and parsing cost that loop nothing. Default true (`DIALTONE_CALLBACK_THREAD=0`
   * sends from the main thread).
   */
  callbackThread: boolean;
  /**
   * Most callback attempts in flight per app (its share of its receiver's connections), 1..512;
   * all apps together never have more than 512 (`DIALTONE_CALLBACK_CONCURRENCY`). Default 32.
   */
  callbackConcurrency: number;
  /**
   * STUN/TURN servers every client gets from `getIceServers` as they are (`DIALTONE_ICE_SERVERS`:
   * comma-separated `stun:` URLs, or a JSON array of `RTCIceServer` objects). Default none.
   */
  iceServers: IceServer[];
  /**
   * `turn:`/`turns:` URLs of a TURN server with time-limited credentials (coturn `use-auth-secret`),
   * given with credentials per user (`DIALTONE_TURN_URLS`, comma-separated). Needs {@link turnSecret}.
   */
  turnUrls?: string[];
  /** That TURN server's `static-auth-secret` (`DIALTONE_TURN_SECRET`). Never logged. */
  turnSecret?: string;
  /** How long TURN credentials given out stay valid, seconds, 60..2592000. Default 21600 (`DIALTONE_TURN_TTL`). */
  turnTtlSeconds: number;
}

/** Defaults of every setting. */
export const DEFAULTS: DialtoneConfig = {
  host: '127.0.0.1',
  port: 8080,
  dataDir: './data',
  dev: false,
  restRateLimit: 200,
  callbackTimeoutMs: 2000,
  heartbeatExpiryMs: 30_000,
  leaveGraceMs: 3_000,
  callbackRetentionDays: 7,
  logLevel: 'info',
  callbackAllow: [],
  callbackThread: true,
  metricsAppLabels: false,
  callbackConcurrency: 32,
  iceServers: [],
  turnTtlSeconds: DEFAULT_TURN_TTL_SECONDS,
};

/** Range of `DIALTONE_TURN_TTL` (`--turn-ttl`), seconds: a minute to 30 days. */
export const TURN_TTL_RANGE = [60, 2_592_000] as const;

/** A configuration error, reported as one line at start. */
export class ConfigError extends Error {}

/** An on/off setting: `1`/`true`/`on` or `0`/`false`/`off`. */
function flagValue(name: string, text: string): boolean {
  const t = text.trim().toLowerCase();
  if (['1', 'true', 'on', 'yes'].includes(t)) return true;
  if (['0', 'false', 'off', 'no'].includes(t)) return false;
  throw new ConfigError(`${name} must be 1 or 0 (on or off), got "${text}"`);
}

function integer(name: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new ConfigError(`${name} must be an integer in ${min}..${max}, got "${text}"`);
  }
  return Number(text);
}

/** Reads the settings SPEC §7 names from the environment, over the defaults. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): DialtoneConfig {
  const config: DialtoneConfig = { ...DEFAULTS, callbackAllow: [], iceServers: [] };
  if (env.HOST) config.host = env.HOST;
  if (env.PORT) config.port = integer('PORT', env.PORT, 0, 65535);
  if (env.DIALTONE_DATA_DIR) config.dataDir = env.DIALTONE_DATA_DIR;
  if (env.DIALTONE_SDKAPPID) config.sdkAppId = integer('DIALTONE_SDKAPPID', env.DIALTONE_SDKAPPID, 1, 0xffffffff);
  if (env.DIALTONE_SECRET_KEY) config.secretKey = env.DIALTONE_SECRET_KEY;
  if (env.DIALTONE_ADMIN) config.admins = splitList(env.DIALTONE_ADMIN);
  if (env.DIALTONE_REST_RATE_LIMIT) config.restRateLimit = integer('DIALTONE_REST_RATE_LIMIT', env.DIALTONE_REST_RATE_LIMIT, 1, 1_000_000);
  if (env.DIALTONE_CALLBACK_TIMEOUT_MS) {
    config.callbackTimeoutMs = integer('DIALTONE_CALLBACK_TIMEOUT_MS', env.DIALTONE_CALLBACK_TIMEOUT_MS, 100, 30_000);
  }
  if (env.DIALTONE_HEARTBEAT_EXPIRY_MS) {
    config.heartbeatExpiryMs = integer('DIALTONE_HEARTBEAT_EXPIRY_MS', env.DIALTONE_HEARTBEAT_EXPIRY_MS, 1_000, 3_600_000);
  }
  if (env.DIALTONE_LEAVE_GRACE_MS) config.leaveGraceMs = integer('DIALTONE_LEAVE_GRACE_MS', env.DIALTONE_LEAVE_GRACE_MS, 0, 3_600_000);
  if (env.DIALTONE_CALLBACK_RETENTION_DAYS) {
    config.callbackRetentionDays = integer('DIALTONE_CALLBACK_RETENTION_DAYS', env.DIALTONE_CALLBACK_RETENTION_DAYS, 1, 3650);
  }
  if (env.DIALTONE_METRICS_TOKEN) config.metricsToken = env.DIALTONE_METRICS_TOKEN;
  if (env.LOG_LEVEL) config.logLevel = env.LOG_LEVEL;
  if (env.DATABASE_URL) config.databaseUrl = env.DATABASE_URL;
  if (env.DIALTONE_DATABASE_SCHEMA) config.databaseSchema = env.DIALTONE_DATABASE_SCHEMA;
  if (env.REDIS_URL) config.redisUrl = env.REDIS_URL;
  if (env.DIALTONE_REDIS_PREFIX) config.redisPrefix = env.DIALTONE_REDIS_PREFIX;
  if (env.DIALTONE_CALLBACK_ALLOW) config.callbackAllow = callbackAllow(env.DIALTONE_CALLBACK_ALLOW);
  if (env.DIALTONE_CALLBACK_THREAD) config.callbackThread = flagValue('DIALTONE_CALLBACK_THREAD', env.DIALTONE_CALLBACK_THREAD);
  if (env.DIALTONE_METRICS_APP_LABELS) config.metricsAppLabels = flagValue('DIALTONE_METRICS_APP_LABELS', env.DIALTONE_METRICS_APP_LABELS);
  if (env.DIALTONE_CALLBACK_CONCURRENCY) {
    config.callbackConcurrency = integer('DIALTONE_CALLBACK_CONCURRENCY', env.DIALTONE_CALLBACK_CONCURRENCY, 1, 512);
  }
  if (env.DIALTONE_ICE_SERVERS) config.iceServers = iceServers(env.DIALTONE_ICE_SERVERS);
  if (env.DIALTONE_TURN_URLS) config.turnUrls = turnUrls(env.DIALTONE_TURN_URLS);
  if (env.DIALTONE_TURN_SECRET) config.turnSecret = env.DIALTONE_TURN_SECRET;
  if (env.DIALTONE_TURN_TTL) config.turnTtlSeconds = integer('DIALTONE_TURN_TTL', env.DIALTONE_TURN_TTL, ...TURN_TTL_RANGE);
  if (env.DIALTONE_CLAIM_LEASE_MS) config.claimLeaseMs = integer('DIALTONE_CLAIM_LEASE_MS', env.DIALTONE_CLAIM_LEASE_MS, 1_000, 3_600_000);
  return config;
}

/** Checks settings that depend on each other. */
export function checkConfig(config: DialtoneConfig): DialtoneConfig {
  if ((config.sdkAppId === undefined) !== (config.secretKey === undefined)) {
    throw new ConfigError('DIALTONE_SDKAPPID and DIALTONE_SECRET_KEY must be set together');
  }
  if (config.redisUrl && !config.databaseUrl) {
    throw new ConfigError('REDIS_URL (cluster mode) needs DATABASE_URL: the processes of a cluster share one PostgreSQL database');
  }
  if (config.databaseUrl && !/^postgres(ql)?:\/\//.test(config.databaseUrl))
    throw new ConfigError('DATABASE_URL must be a postgres:// URL');
  if (config.redisUrl && !/^rediss?:\/\//.test(config.redisUrl)) throw new ConfigError('REDIS_URL must be a redis:// or rediss:// URL');
  if (config.databaseSchema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(config.databaseSchema)) {
    throw new ConfigError('DIALTONE_DATABASE_SCHEMA must be a lower-case SQL identifier');
  }
  for (const entry of config.callbackAllow) allowRule(entry);
  if ((config.turnUrls === undefined) !== (config.turnSecret === undefined)) {
    throw new ConfigError('DIALTONE_TURN_URLS and DIALTONE_TURN_SECRET must be set together (--turn-urls, --turn-secret)');
  }
  // Administrators are user ids (SPEC §1): one that is not could never sign a REST request.
  const badAdmin = config.admins?.find((id) => !isUserId(id));
  if (badAdmin !== undefined) throw new ConfigError(`DIALTONE_ADMIN: each administrator ${USER_ID_RULE}, got ${JSON.stringify(badAdmin)}`);
  return { ...config, dataDir: resolve(config.dataDir) };
}

/**
 * Reads `DIALTONE_CALLBACK_ALLOW` (or `--callback-allow`): comma-separated CIDRs, addresses and
 * host names. Throws a {@link ConfigError} naming the first bad entry.
 */
export function callbackAllow(text: string): string[] {
  const entries = splitList(text);
  for (const entry of entries) allowRule(entry);
  return entries;
}

/**
 * Reads `DIALTONE_ICE_SERVERS` (or `--ice-servers`): comma-separated `stun:` URLs or a JSON array
 * of `RTCIceServer` objects. Throws a {@link ConfigError} saying what is wrong.
 */
export function iceServers(text: string): IceServer[] {
  try {
    return parseIceServers(text);
  } catch (err) {
    throw new ConfigError(`DIALTONE_ICE_SERVERS (--ice-servers): ${(err as Error).message}`);
  }
}

/** Reads `DIALTONE_TURN_URLS` (or `--turn-urls`): comma-separated `turn:`/`turns:` URLs. Throws a {@link ConfigError} naming the first bad one. */
export function turnUrls(text: string): string[] {
  try {
    return parseTurnUrls(text);
  } catch (err) {
    throw new ConfigError(`DIALTONE_TURN_URLS (--turn-urls): ${(err as Error).message}`);
  }
}

function allowRule(entry: string): void {
  try {
    parseAllowRule(entry);
  } catch (err) {
    throw new ConfigError(`${CALLBACK_ALLOW_SETTING} (--callback-allow): ${(err as Error).message}`);
  }
}

/** Splits a comma-separated list, dropping blanks. */
export function splitList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
