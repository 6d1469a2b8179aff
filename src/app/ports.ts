/**
 * The ports the use cases need. Adapters (SQLite for the embedded default, PostgreSQL and Redis
 * for cluster mode) implement them; every method is async so that both kinds fit.
 */
import type { TimerKind } from '../domain/effects.js';
import type { NotifyEffect } from '../domain/effects.js';
import type { Call, CallbackCommand, CallRecord, Platform } from '../domain/types.js';
import type { DeliveryPolicy } from '../callbacks/policy.js';

/** An app: its credentials and administrators (SPEC §1). */
export interface App {
  sdkAppId: number;
  /** HMAC key of its UserSigs (UTF-8 bytes). Never logged. */
  secretKey: string;
  /** User ids allowed to call the REST API. */
  admins: string[];
  /** Standard Webhooks secret (`whsec_…`) that signs its callbacks. Never logged. */
  webhookSecret: string;
  /** The secret before the last rotation, still signing until {@link App.previousWebhookSecretUntil}. */
  previousWebhookSecret?: string;
  /** Unix ms until which the previous secret also signs; 0 when none. */
  previousWebhookSecretUntil: number;
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

/** An app's call rules it may change (SPEC §5.2); absent fields take their defaults. */
export interface CallPolicy {
  /** Any user of the app who knows a group call's CallId may join it, not only those it invited. Default false. */
  openGroupJoin: boolean;
}

/** A callback to write to the outbox. */
export interface NewOutboxEntry {
  /** Stable id, sent as `webhook-id` on every attempt. */
  id: string;
  sdkAppId: number;
  callId: string;
  command: CallbackCommand;
  /**
   * Full URL with the reference query parameters, before `RequestTime`/`Sign`, as configured when
   * the callback was written. It is sent to the URL configured when it is sent, with these query
   * values (see `CallbackTarget`).
   */
  url: string;
  /** The exact JSON body. */
  body: string;
  /** Unix ms the entry was written. */
  createdAt: number;
  /** Held back while an earlier callback of the same call is pending (SPEC §3.6). */
  ordered: boolean;
}

/** A callback claimed for delivery. */
export interface OutboxEntry extends Omit<NewOutboxEntry, 'ordered'> {
  /** The store's own position of the entry (commit order); settling addresses it by this. */
  seq: number;
  /** Attempts made so far, all series together. */
  attempts: number;
  /** Attempts made before the last resend: the retry schedule restarts from there. */
  resendBase: number;
}

/** What a claim got, and whether it stopped at its limit (more may be due). */
export interface OutboxClaim {
  entries: OutboxEntry[];
  limited: boolean;
  /** Rows the claim found but could not address, set aside for good (not in `entries`). */
  quarantined: QuarantinedRow[];
}

/** Tables whose rows a claim may quarantine. */
export type QuarantineTable = 'timers' | 'outbox';

/**
 * A due row that its own key does not address: its key reads back different from what is stored
 * (SQLite keeps a lone UTF-16 surrogate as bytes that read back as U+FFFD), so leasing, taking or
 * settling it by that key matches nothing. The claim marks it quarantined, by the store's own row
 * address, so that no claim returns it again and no worker spins on it.
 */
export interface QuarantinedRow {
  table: QuarantineTable;
  /** Its key fields as read back (not what is stored; may hold any character). */
  key: Record<string, string | number>;
  /** Why it was set aside. */
  reason: string;
}

/** Told about quarantined rows once their quarantine is committed (metrics). */
export interface QuarantineObserver {
  quarantined(rows: readonly QuarantinedRow[]): void;
}

/**
 * Delivery state of a callback. `cancelled`: its command was no longer switched on (or the app had
 * no callback configuration) before it was delivered; the reason is its `lastError`.
 */
export type OutboxStatus = 'pending' | 'delivered' | 'failed' | 'cancelled';

/** A claimed callback given up unsent, for {@link OutboxRepo.cancel}. */
export interface Cancellation {
  /** {@link OutboxEntry.seq} of the entry. */
  seq: number;
  /** Why, shown as its last error. */
  reason: string;
}

/** A callback as the delivery log shows it. */
export interface OutboxRecord extends Omit<NewOutboxEntry, 'ordered'> {
  status: OutboxStatus;
  attempts: number;
  /** Unix ms of the next attempt while pending. */
  nextAttemptAt: number;
  /** Unix ms of delivery, if delivered. */
  deliveredAt?: number;
  lastError?: string;
  lastHttpStatus?: number;
}

/** One recorded attempt. */
export interface AttemptRecord {
  attempt: number;
  /** Unix ms. */
  startedAt: number;
  httpStatus?: number;
  latencyMs: number;
  error?: string;
  responseExcerpt?: string;
}

/** Filter of the delivery log; times are unix ms of creation. */
export interface OutboxFilter {
  status?: OutboxStatus | undefined;
  command?: CallbackCommand | undefined;
  callId?: string | undefined;
  from?: number | undefined;
  to?: number | undefined;
}

/** The settled result of one attempt, for {@link OutboxRepo.settle}. */
export interface Settlement {
  id: string;
  /** {@link OutboxEntry.seq} of the entry. */
  seq: number;
  /** The attempt's number, all series together (1 for the first). */
  attempt: number;
  outcome: AttemptOutcome;
  /** Next attempt (unix ms), or undefined when delivered or failed for good. */
  retryAt: number | undefined;
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
  /** `Retry-After` of the answer, ms. */
  retryAfterMs?: number;
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

/** What a timer claim got. */
export interface TimerClaim {
  /** Leased, earliest first. */
  timers: DueTimer[];
  /** Due rows it could not address, set aside for good (not in `timers`). */
  quarantined: QuarantinedRow[];
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
  /**
   * The `limit` most recent records `userId` is in (`CalleeList_Account`, the caller included),
   * newest first: by StartTime, then EndTime, then CallId, all descending. An index walk of
   * `limit` entries, not a scan of the app's records.
   */
  recentRecordsOf(sdkAppId: number, userId: string, limit: number): Promise<CallRecord[]>;
  /** Every live call of every app (used once at start to re-arm heartbeat expiry). */
  listLive(): Promise<Call[]>;
  /** How many calls are live, and how many members they have (ringing included), all apps (metrics). */
  liveCounts(): Promise<{ calls: number; members: number }>;
}

/** Filter of `get_record_by_filter`; times are unix seconds. */
export interface RecordFilter {
  startTime: number;
  endTime: number;
  callResult?: string | undefined;
  callType?: string | undefined;
}

/** Callback configuration inside a transaction. */
export interface CallbackConfigRepo {
  get(sdkAppId: number): Promise<CallbackConfig | undefined>;
  set(sdkAppId: number, config: CallbackConfig): Promise<void>;
  delete(sdkAppId: number): Promise<void>;
  getToken(sdkAppId: number): Promise<CallbackToken | undefined>;
  setToken(sdkAppId: number, token: CallbackToken): Promise<void>;
  deleteToken(sdkAppId: number): Promise<void>;
  /** The app's delivery policy as set (partial; defaults fill the rest). */
  getPolicy(sdkAppId: number): Promise<Partial<DeliveryPolicy> | undefined>;
  setPolicy(sdkAppId: number, policy: Partial<DeliveryPolicy>): Promise<void>;
}

/** Call policy per app inside a transaction. */
export interface CallPolicyRepo {
  /** The app's call policy as set (partial; defaults fill the rest), or undefined when never set. */
  get(sdkAppId: number): Promise<Partial<CallPolicy> | undefined>;
  /** Creates or replaces the app's call policy. */
  set(sdkAppId: number, policy: Partial<CallPolicy>): Promise<void>;
}

/** The callback outbox inside a transaction. */
export interface OutboxRepo {
  add(entry: NewOutboxEntry): Promise<void>;
  /**
   * Leases up to `limit` due entries until `leaseUntil` (unix ms), oldest first, sharing `limit`
   * between the apps that have due entries, skipping the apps in `skipApps` and entries of an
   * ordered call whose earlier entry is in flight or waiting for a retry. A call's claimed
   * entries are in order and must be sent in order.
   * A due entry whose `id` or `call_id` does not address it is quarantined instead (marked
   * failed, see {@link QuarantinedRow}) and counts toward `limit`.
   */
  claimDue(now: number, leaseUntil: number, limit: number, skipApps: readonly number[]): Promise<OutboxClaim>;
  /** Gives claimed entries back unattempted (their lease ends now). */
  release(ids: readonly string[]): Promise<void>;
  /** Moves the lease of still-pending claimed entries (by {@link OutboxEntry.seq}) to `leaseUntil`. */
  extendLeases(seqs: readonly number[], leaseUntil: number): Promise<void>;
  /** Records attempts and settles their entries: delivered, failed, or pending again at `retryAt`. */
  settle(settlements: readonly Settlement[]): Promise<void>;
  /** Cancels claimed entries that are still pending, unattempted, at `at` (unix ms). */
  cancel(cancellations: readonly Cancellation[], at: number): Promise<void>;
  /** Cancels every pending callback of the app for one of `commands`, at `at` (unix ms); returns how many. */
  cancelPending(sdkAppId: number, commands: readonly CallbackCommand[], reason: string, at: number): Promise<number>;
  /**
   * The next time after `now` a pending entry becomes due or a claim runs out (unix ms): the
   * moment something held back may become claimable. Undefined when there is none.
   */
  nextDueAt(now: number): Promise<number | undefined>;
  list(sdkAppId: number, filter: OutboxFilter, offset: number, limit: number): Promise<{ total: number; entries: OutboxRecord[] }>;
  get(sdkAppId: number, id: string): Promise<{ entry: OutboxRecord; attempts: AttemptRecord[] } | undefined>;
  /** Makes a callback pending again, due now, with a fresh retry schedule; false when unknown. */
  resend(sdkAppId: number, id: string, now: number): Promise<boolean>;
  /** Ids of failed callbacks created at or after `since` (unix ms). */
  failedSince(sdkAppId: number, since: number): Promise<string[]>;
  /** Deletes delivered callbacks (and their attempts) settled before `before`; returns how many. */
  pruneDelivered(before: number, limit: number): Promise<number>;
  /** Pending callbacks per app. */
  pendingByApp(): Promise<Map<number, number>>;
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
  /**
   * Leases up to `limit` due timers so that exactly one worker fires each. A due row its key
   * does not address is quarantined instead (see {@link QuarantinedRow}) and counts toward
   * `limit`: claim again while anything comes back.
   */
  claimDue(now: number, leaseUntil: number, limit: number): Promise<TimerClaim>;
  /** How many timers are armed, quarantined rows aside (metrics). */
  pendingCount(): Promise<number>;
  /** The next time (unix ms) a timer becomes due or a claim runs out; quarantined rows aside. */
  nextDueAt(): Promise<number | undefined>;
}

/** Everything a use case may touch in one transaction. */
export interface Tx {
  calls: CallRepo;
  callbackConfig: CallbackConfigRepo;
  callPolicy: CallPolicyRepo;
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
  /**
   * Called once at start: releases claims left by processes that are gone, so their callbacks
   * and timers are taken up at once rather than when the lease runs out.
   */
  recoverClaims(): Promise<void>;
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** Figures about this process's use of the store, for metrics. */
  stats(): StorageStats;
  /** Asks the store one trivial query: resolves when it answers, rejects with why it did not (`/readyz`). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** What a store tells metrics about itself. */
export interface StorageStats {
  /**
   * Round trips to the database by this process so far (one statement or more each: a
   * transaction's BEGIN rides with its first statement, its COMMIT with its last writes);
   * undefined for a store without round trips (SQLite, in process).
   */
  roundTrips?: number;
  /** Statements sent so far, BEGIN and COMMIT included; undefined when `roundTrips` is. */
  statements?: number;
  /**
   * The BEGIN and COMMIT statements among {@link statements}, so that the statements of the use
   * cases themselves can be told apart; undefined when `roundTrips` is.
   */
  beginCommits?: number;
}

/** A device as the cluster knows it: enough to act for its user after its process dies. */
export interface ClusterDevice {
  sdkAppId: number;
  userId: string;
  deviceId: string;
  platform: Platform;
  clientIp: string;
}

/** What a newly connecting device found. */
export interface Admission {
  /** False when the user already has `maxDevices` other devices connected somewhere. */
  admitted: boolean;
  /** Process that held this device id until now (it must kick its socket), if another one. */
  replacedOn?: string;
}

/** A message from another process about a user this process holds a socket of. */
export type ClusterMessage =
  | { kind: 'event'; sdkAppId: number; effect: NotifyEffect }
  | { kind: 'kick'; sdkAppId: number; userId: string; deviceId: string; target: string };

/**
 * Where users' devices are and how processes tell each other about them (SPEC §7). One process
 * alone uses the in-memory `LocalBus`; a cluster uses the Redis one. The choice is made once at
 * start, so nothing else asks which mode it runs in.
 */
export interface ClusterBus {
  /** Registers a device unless its user has `maxDevices` others; names the process it was on before. */
  register(device: ClusterDevice, maxDevices: number): Promise<Admission>;
  /** Unregisters a device this process holds; resolves to how many devices the user still has anywhere. */
  unregister(device: ClusterDevice): Promise<number>;
  /** How many devices a user has connected, all processes together. */
  deviceCount(sdkAppId: number, userId: string): Promise<number>;
  /** Whether a device of a user is connected to any process. */
  isOnline(sdkAppId: number, userId: string, deviceId: string): Promise<boolean>;
  /** Starts receiving a user's messages (counted: as many unwatch calls end it). */
  watch(sdkAppId: number, userId: string): Promise<void>;
  /** Stops receiving a user's messages once every watch is undone. */
  unwatch(sdkAppId: number, userId: string): Promise<void>;
  /** Sends a client event to the other processes holding its user. */
  publishEvent(sdkAppId: number, effect: NotifyEffect): void;
  /** Tells process `target` to kick its socket of this device (a newer login took it). */
  publishKick(sdkAppId: number, userId: string, deviceId: string, target: string): void;
  /** Tells the other processes to reload the apps. */
  publishAppsChanged(): void;
  /** Handles events and kicks for users this process watches. */
  onUserMessage(handler: (m: ClusterMessage) => void): void;
  /** Called when another process changed the apps. */
  onAppsChanged(handler: () => void): void;
  /** Called when the bus is back after being lost: what was published meanwhile is gone. */
  onReconnect(handler: () => void): void;
  /** Why the bus cannot carry messages now (e.g. Redis unreachable), or undefined when it can (`/readyz`). */
  problem(): string | undefined;
  /** Records that this process is alive at `now` (unix ms). */
  beat(now: number): Promise<void>;
  /** The last beat (unix ms) of every other process still listed, by process id. */
  otherBeats(): Promise<ReadonlyMap<string, number>>;
  /**
   * Unlists a process taken for dead and takes its devices off the device lists. Exactly one
   * caller wins: it gets the devices still listed as on that process; every other gets undefined.
   */
  claimDead(processId: string): Promise<ClusterDevice[] | undefined>;
}

/** This process's connected devices (the WebSocket transport's registry). */
export interface LocalDevices {
  /** Every connected device. */
  all(): Iterable<ClusterDevice>;
  /** The user's devices connected to this process. */
  devicesOf(sdkAppId: number, userId: string): readonly ClusterDevice[];
  /** Whether `deviceId` of the user is connected to this process. */
  isOnline(sdkAppId: number, userId: string, deviceId: string): boolean;
}

/** Told of each call that started or ended (metrics); called after the commit. */
export interface CallObserver {
  callStarted(callType: 'SingleCall' | 'MultiCall', mediaType: 'Audio' | 'Video'): void;
  callEnded(record: CallRecord): void;
}

/** Source of time, injectable so timer logic is testable. */
export interface Clock {
  /** Unix ms. */
  now(): number;
}

/** One callback POST, signed and addressed, ready to send (built by the delivery worker). */
export interface CallbackRequest {
  /** The app whose callback it is: a sender that shares out connections does so per app. */
  sdkAppId: number;
  /** `scheme://host[:port]`. */
  origin: string;
  /** Path and query, the authentication parameters included. */
  path: string;
  headers: Record<string, string>;
  body: string;
  /** The whole attempt, from sending to the end of the answer, ms. */
  timeoutMs: number;
}

/** What came of sending a {@link CallbackRequest}: an answer, or why there was none. */
export type CallbackResponse =
  | {
      status: number;
      /** The `Retry-After` header as received. */
      retryAfter: string | string[] | undefined;
      /** The answer's body, cut at the sender's limit (64 KiB). */
      body: string;
      /** From sending to the end of the answer, ms. */
      latencyMs: number;
    }
  | {
      /** Why no answer came: a refused destination, a network error or `timeout after <n> ms`. */
      error: string;
      latencyMs: number;
    };

/** Sends callback requests over HTTP (the undici adapter), so the delivery worker needs no socket. */
export interface CallbackSender {
  /** Never rejects: a failure is a {@link CallbackResponse} with an `error`. */
  send(request: CallbackRequest): Promise<CallbackResponse>;
  /** Closes its connections once the requests in flight have ended. */
  close(): Promise<void>;
}

/** Observes deliveries (metrics). */
export interface DeliveryObserver {
  /** After each attempt. `retryAt` is set when it failed and will be retried. */
  attempted(sdkAppId: number, command: CallbackCommand, outcome: AttemptOutcome, retryAt: number | undefined, createdAt: number): void;
}
