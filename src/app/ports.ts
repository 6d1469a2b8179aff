/**
 * The ports the use cases need. Adapters (SQLite for the embedded default, PostgreSQL and Redis
 * for cluster mode) implement them; every method is async so that both kinds fit.
 */
import type { TimerKind } from '../domain/effects.js';
import type { Call, CallbackCommand, CallRecord } from '../domain/types.js';

/** An app: its credentials and administrators (SPEC §1). */
export interface App {
  sdkAppId: number;
  /** HMAC key of its UserSigs (UTF-8 bytes). Never logged. */
  secretKey: string;
  /** User ids allowed to call the REST API. */
  admins: string[];
  /** Standard Webhooks secret (`whsec_…`) that signs its callbacks. Never logged. */
  webhookSecret: string;
  /** Unix ms. */
  createdAt: number;
}

/** An app's callback configuration (SPEC §2.2). */
export interface CallbackConfig {
  url: string;
  commands: CallbackCommand[];
}

/** An app's callback token (SPEC §3.2). */
export interface CallbackToken {
  token: string;
  enabled: boolean;
}

/** A callback waiting in, or delivered from, the outbox. */
export interface OutboxEntry {
  /** Stable id, sent as `webhook-id` on every attempt. */
  id: string;
  sdkAppId: number;
  callId: string;
  command: CallbackCommand;
  /** Full URL with the reference query parameters, before `RequestTime`/`Sign`. */
  url: string;
  /** The exact JSON body. */
  body: string;
  /** Unix ms the entry was written. */
  createdAt: number;
  /** Attempts made so far. */
  attempts: number;
}

/** What became of one delivery attempt. */
export interface AttemptOutcome {
  /** Unix ms the attempt started. */
  startedAt: number;
  /** HTTP status, when a response arrived. */
  httpStatus?: number;
  latencyMs: number;
  /** Why it failed; absent on success. */
  error?: string;
  /** First 1 KiB of the response body. */
  responseExcerpt?: string;
  ok: boolean;
}

/** A due server timer. */
export interface DueTimer {
  sdkAppId: number;
  callId: string;
  kind: TimerKind;
  userId: string;
  /** Unix ms. */
  dueAt: number;
}

/** Call state, members and records inside a transaction. */
export interface CallRepo {
  get(sdkAppId: number, callId: string): Promise<Call | undefined>;
  insert(call: Call): Promise<void>;
  update(call: Call): Promise<void>;
  delete(sdkAppId: number, callId: string): Promise<void>;
  /** Those of `userIds` who are a current member of some live call (they are busy). */
  busyUsers(sdkAppId: number, userIds: string[]): Promise<Set<string>>;
  /** Ids of live calls where `userId` is a current member. */
  liveCallIdsOf(sdkAppId: number, userId: string): Promise<string[]>;
  insertRecord(sdkAppId: number, record: CallRecord): Promise<void>;
  getRecord(sdkAppId: number, callId: string): Promise<CallRecord | undefined>;
  /** Records whose StartTime is in [startTime, endTime] (unix seconds), newest first. */
  findRecords(sdkAppId: number, filter: RecordFilter, offset: number, limit: number): Promise<{ total: number; records: CallRecord[] }>;
  /** Every live call of every app (used once at start to re-arm heartbeat expiry). */
  listLive(): Promise<Call[]>;
}

/** Filter of `get_record_by_filter`; times are unix seconds. */
export interface RecordFilter {
  startTime: number;
  endTime: number;
  callResult?: string;
  callType?: string;
}

/** Callback configuration inside a transaction. */
export interface CallbackConfigRepo {
  get(sdkAppId: number): Promise<CallbackConfig | undefined>;
  set(sdkAppId: number, config: CallbackConfig): Promise<void>;
  delete(sdkAppId: number): Promise<void>;
  getToken(sdkAppId: number): Promise<CallbackToken | undefined>;
  setToken(sdkAppId: number, token: CallbackToken): Promise<void>;
  deleteToken(sdkAppId: number): Promise<void>;
}

/** The callback outbox inside a transaction. */
export interface OutboxRepo {
  add(entry: Omit<OutboxEntry, 'attempts'>): Promise<void>;
  /** Leases up to `limit` due entries until `leaseUntil` (unix ms), oldest first. */
  claimDue(now: number, leaseUntil: number, limit: number): Promise<OutboxEntry[]>;
  /** Records an attempt and settles the entry: delivered, failed, or pending again at `retryAt`. */
  recordAttempt(id: string, outcome: AttemptOutcome, retryAt: number | undefined): Promise<void>;
  /** Earliest `next_attempt_at` of a pending entry, if any (unix ms). */
  nextDueAt(): Promise<number | undefined>;
}

/** Server timers inside a transaction. */
export interface TimerRepo {
  set(sdkAppId: number, callId: string, kind: TimerKind, userId: string, dueAt: number): Promise<void>;
  cancel(sdkAppId: number, callId: string, kind: TimerKind, userId: string): Promise<void>;
  /**
   * Removes a claimed timer if it is still the one that was claimed (same `dueAt`); true when it
   * was. A timer re-armed meanwhile is left alone, so each arming fires at most once.
   */
  take(timer: DueTimer): Promise<boolean>;
  /** Leases due timers so that exactly one worker fires each. */
  claimDue(now: number, leaseUntil: number, limit: number): Promise<DueTimer[]>;
  nextDueAt(): Promise<number | undefined>;
}

/** Everything a use case may touch in one transaction. */
export interface Tx {
  calls: CallRepo;
  callbackConfig: CallbackConfigRepo;
  outbox: OutboxRepo;
  timers: TimerRepo;
}

/** Apps, read at start and on change (rare), so lookups on the hot path are in memory. */
export interface AppRepo {
  list(): Promise<App[]>;
  upsert(app: App): Promise<void>;
}

/** The storage behind the use cases. */
export interface Storage {
  apps: AppRepo;
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Source of time, injectable so timer logic is testable. */
export interface Clock {
  /** Unix ms. */
  now(): number;
}
