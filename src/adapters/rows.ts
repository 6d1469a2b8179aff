/**
 * Rows as both SQL adapters read them, and their mapping to the domain. The SQLite and the
 * PostgreSQL schemas have the same tables and column names, and both drivers hand back numbers
 * as JS numbers (see the PostgreSQL pool's type parsers), so a row has one shape whichever store
 * it came from. The SQL stays in each adapter: the dialects differ.
 */
import type {
  App,
  AttemptRecord,
  DueTimer,
  NewOutboxEntry,
  OutboxEntry,
  OutboxRecord,
  OutboxStatus,
  QuarantinedRow,
  Settlement,
} from '../app/ports.js';
import type { TimerKind } from '../domain/effects.js';
import type { CallbackCommand } from '../domain/types.js';

/** A row of `apps`. */
export interface AppRow {
  sdkappid: number;
  secret_key: string;
  /** JSON array of user ids. */
  admins: string;
  webhook_secret: string;
  previous_webhook_secret: string | null;
  previous_webhook_secret_until: number;
  created_at: number;
}

/** An {@link App} from its row. */
export function toApp(r: AppRow): App {
  return {
    sdkAppId: r.sdkappid,
    secretKey: r.secret_key,
    admins: JSON.parse(r.admins) as string[],
    webhookSecret: r.webhook_secret,
    ...(r.previous_webhook_secret !== null ? { previousWebhookSecret: r.previous_webhook_secret } : {}),
    previousWebhookSecretUntil: r.previous_webhook_secret_until,
    createdAt: r.created_at,
  };
}

/**
 * The values of an app's row, in the column order both adapters' upserts name them: `sdkappid,
 * secret_key, admins, webhook_secret, previous_webhook_secret, previous_webhook_secret_until,
 * created_at`.
 */
export function appValues(app: App): [number, string, string, string, string | null, number, number] {
  return [
    app.sdkAppId,
    app.secretKey,
    JSON.stringify(app.admins),
    app.webhookSecret,
    app.previousWebhookSecret ?? null,
    app.previousWebhookSecretUntil,
    app.createdAt,
  ];
}

/** The columns of `outbox` every read of it has. */
interface OutboxRow {
  id: string;
  sdkappid: number;
  call_id: string;
  command: string;
  url: string;
  body: string;
  created_at: number;
  attempts: number;
}

/** The callback an outbox row holds, as {@link OutboxEntry} and {@link OutboxRecord} both begin. */
function callbackOf(r: OutboxRow): Omit<NewOutboxEntry, 'ordered' | 'createdAt'> {
  return { id: r.id, sdkAppId: r.sdkappid, callId: r.call_id, command: r.command as CallbackCommand, url: r.url, body: r.body };
}

/** The columns of `outbox` a claim reads. */
export interface ClaimRow extends OutboxRow {
  seq: number;
  resend_base: number;
}

/** An {@link OutboxEntry} from a claimed row. */
export function toOutboxEntry(r: ClaimRow): OutboxEntry {
  return {
    seq: r.seq,
    ...callbackOf(r),
    createdAt: r.created_at,
    attempts: r.attempts,
    resendBase: r.resend_base,
  };
}

/** The columns of `outbox` the delivery log reads. */
export interface LogRow extends OutboxRow {
  status: string;
  next_attempt_at: number;
  delivered_at: number | null;
  last_error: string | null;
  last_http_status: number | null;
}

/** An {@link OutboxRecord} from its row. */
export function toOutboxRecord(r: LogRow): OutboxRecord {
  return {
    ...callbackOf(r),
    status: r.status as OutboxStatus,
    attempts: r.attempts,
    createdAt: r.created_at,
    nextAttemptAt: r.next_attempt_at,
    ...(r.delivered_at !== null ? { deliveredAt: r.delivered_at } : {}),
    ...(r.last_error !== null ? { lastError: r.last_error } : {}),
    ...(r.last_http_status !== null ? { lastHttpStatus: r.last_http_status } : {}),
  };
}

/** A row of `callback_attempts` (its `outbox_id` left out). */
export interface AttemptRow {
  attempt: number;
  started_at: number;
  http_status: number | null;
  latency_ms: number;
  error: string | null;
  response_excerpt: string | null;
}

/** An {@link AttemptRecord} from its row. */
export function toAttemptRecord(a: AttemptRow): AttemptRecord {
  return {
    attempt: a.attempt,
    startedAt: a.started_at,
    latencyMs: a.latency_ms,
    ...(a.http_status !== null ? { httpStatus: a.http_status } : {}),
    ...(a.error !== null ? { error: a.error } : {}),
    ...(a.response_excerpt !== null ? { responseExcerpt: a.response_excerpt } : {}),
  };
}

/** The `outbox.status` an entry has once `s` is settled. */
export function settledStatus(s: Pick<Settlement, 'outcome' | 'retryAt'>): OutboxStatus {
  return s.outcome.ok ? 'delivered' : s.retryAt === undefined ? 'failed' : 'pending';
}

/** Why a claim quarantines a row (see {@link QuarantinedRow}). */
export const UNADDRESSABLE =
  'its key as read back matches no row: the stored text is not valid UTF-8 (e.g. a lone UTF-16 surrogate), so it can never be leased, fired or settled';

/** The key fields of a claimed outbox row, for {@link QuarantinedRow.key}. */
export function outboxKey(r: ClaimRow): QuarantinedRow['key'] {
  return { seq: r.seq, id: r.id, sdkAppId: r.sdkappid, callId: r.call_id };
}

/** The key fields of a claimed timer row, for {@link QuarantinedRow.key}. */
export function timerKey(r: TimerRow): QuarantinedRow['key'] {
  return { sdkAppId: r.sdkappid, callId: r.call_id, kind: r.kind, userId: r.user_id, dueAt: r.due_at };
}

/**
 * True when one of `values` may read back different from what is stored. Both drivers decode
 * stored text as UTF-8 and put U+FFFD where it is not valid; valid UTF-8 decodes and encodes
 * back to the same bytes. So a value without U+FFFD addresses its row, and only the others need
 * to be checked against the store.
 */
export function mayNotReadBack(...values: string[]): boolean {
  return values.some((v) => v.includes('\uFFFD'));
}

/** The columns of `timers` a claim reads. */
export interface TimerRow {
  sdkappid: number;
  call_id: string;
  kind: string;
  user_id: string;
  due_at: number;
}

/** A {@link DueTimer} from its row. */
export function toDueTimer(r: TimerRow): DueTimer {
  return { sdkAppId: r.sdkappid, callId: r.call_id, kind: r.kind as TimerKind, userId: r.user_id, dueAt: r.due_at };
}
