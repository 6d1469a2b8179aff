/** The callback outbox and its attempt log, in PostgreSQL, claimed by several processes at once. */
import type { CallbackCommand } from '../../domain/types.js';
import type {
  AttemptRecord,
  Cancellation,
  NewOutboxEntry,
  OutboxClaim,
  OutboxFilter,
  OutboxRecord,
  OutboxRepo,
  QuarantinedRow,
  Settlement,
} from '../../app/ports.js';
import {
  UNADDRESSABLE,
  mayNotReadBack,
  outboxKey,
  settledStatus,
  toAttemptRecord,
  toOutboxEntry,
  toOutboxRecord,
  type AttemptRow,
  type ClaimRow,
  type LogRow,
} from '../rows.js';
import type { PgTx } from './tx.js';

const LOG_COLUMNS =
  'id, sdkappid, call_id, command, url, body, status, attempts, created_at, next_attempt_at, delivered_at, last_error, last_http_status';

const SQL = {
  // One statement per claim: migration 6's function claims pair by pair, as claimDue says.
  claim: 'SELECT * FROM dialtone_claim_outbox($1, $2, $3, $4::bigint[])',
  // Which claimed entries their id and call id, as read back, address (as the delivery will).
  addressed: `SELECT k.seq FROM unnest($1::bigint[], $2::text[], $3::text[]) AS k(seq, id, call_id)
    JOIN outbox AS o ON o.seq = k.seq AND o.id = k.id AND o.call_id = k.call_id`,
  quarantine: `UPDATE outbox SET status = 'failed', quarantined = TRUE, lease_until = 0, last_error = $2, updated_at = $3
    WHERE seq = ANY($1::bigint[])`,
  release: 'UPDATE outbox SET lease_until = 0 WHERE id = ANY($1::text[])',
  extend: "UPDATE outbox SET lease_until = $2 WHERE seq = ANY($1::bigint[]) AND status = 'pending' AND lease_until > 0",
  // The attempts and their entries' new state in one statement (different tables: one snapshot is enough).
  settle: `WITH attempts AS (
      INSERT INTO callback_attempts (outbox_id, attempt, started_at, http_status, latency_ms, error, response_excerpt)
      SELECT * FROM unnest($1::text[], $2::int[], $3::bigint[], $4::int[], $5::int[], $6::text[], $7::text[])
      ON CONFLICT (outbox_id, attempt) DO UPDATE SET started_at = excluded.started_at, http_status = excluded.http_status,
        latency_ms = excluded.latency_ms, error = excluded.error, response_excerpt = excluded.response_excerpt)
    UPDATE outbox AS t SET status = s.status, attempts = s.attempts, next_attempt_at = s.next, lease_until = 0, updated_at = s.at,
      last_error = s.error, last_http_status = s.http_status, delivered_at = s.delivered_at
    FROM unnest($8::bigint[], $9::text[], $10::int[], $11::bigint[], $12::bigint[], $13::text[], $14::int[], $15::bigint[])
      AS s(seq, status, attempts, next, at, error, http_status, delivered_at)
    WHERE t.seq = s.seq`,
  cancel: `UPDATE outbox AS t SET status = 'cancelled', lease_until = 0, updated_at = $3, last_error = c.reason
    FROM unnest($1::bigint[], $2::text[]) AS c(seq, reason)
    WHERE t.seq = c.seq AND t.status = 'pending'`,
  cancelPending: `UPDATE outbox SET status = 'cancelled', updated_at = $4, last_error = $3
    WHERE sdkappid = $1 AND status = 'pending' AND command = ANY($2::text[])`,
  nextDue: `SELECT (SELECT MIN(next_attempt_at) FROM outbox WHERE status = 'pending' AND next_attempt_at > $1) AS retry,
      (SELECT MIN(lease_until) FROM outbox WHERE status = 'pending' AND lease_until > $1) AS lease`,
  get: `SELECT ${LOG_COLUMNS} FROM outbox WHERE sdkappid = $1 AND id = $2`,
  attemptsOf: `SELECT attempt, started_at, http_status, latency_ms, error, response_excerpt FROM callback_attempts
    WHERE outbox_id = $1 ORDER BY attempt`,
  resend: `UPDATE outbox SET status = 'pending', next_attempt_at = $3, lease_until = 0, resend_base = attempts, updated_at = $3
    WHERE sdkappid = $1 AND id = $2 AND NOT quarantined`,
  failedSince: "SELECT id FROM outbox WHERE sdkappid = $1 AND status = 'failed' AND NOT quarantined AND created_at >= $2 ORDER BY seq",
  // A callback delivered after its creation is kept until its delivery, too, is past retention.
  // Rows another transaction holds (a resend) are left for the next run.
  prune: `WITH victims AS (
      SELECT id FROM outbox WHERE created_at < $1 AND status = 'delivered' AND updated_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED),
    gone_attempts AS (DELETE FROM callback_attempts WHERE outbox_id IN (SELECT id FROM victims))
    DELETE FROM outbox WHERE id IN (SELECT id FROM victims)`,
  pending: "SELECT sdkappid, COUNT(*) AS n FROM outbox WHERE status = 'pending' GROUP BY sdkappid",
} as const;

/** {@link OutboxRepo} on PostgreSQL. */
export class PgOutboxRepo implements OutboxRepo {
  constructor(private readonly db: PgTx) {}

  /** Held with the step's other writes (see writes.ts), inserted in the order added. */
  async add(entry: NewOutboxEntry): Promise<void> {
    this.db.writes.add(entry);
  }

  /**
   * Claims per (receiver origin, app) pair (through the partial `(origin, sdkappid, seq)`
   * index), sharing `limit` between the pairs that have pending entries as the SQLite adapter
   * does. Each app is claimed under a transaction-scoped advisory lock, tried without waiting: an
   * app another process is claiming right now is skipped this time (and does not make the claim
   * `limited`). Rows are locked `FOR UPDATE SKIP LOCKED` and leased in the same statement. An
   * entry is claimable when no earlier pending entry of its call is in flight or waiting for a
   * retry, or was written for another origin (the URL changed mid-call: claimed in another pair's
   * query, it could come after this one); every earlier pending entry is then claimable too and
   * comes first in seq order, so a claim holds a call's entries as an in-order run that the
   * dispatcher sends one after another (the SQLite adapter's rule). All of it is one statement:
   * migration 6's `dialtone_claim_outbox`.
   * Entries whose id or call id may not read back as stored (see {@link mayNotReadBack}; none in
   * practice, as PostgreSQL validates text both ways) are then checked by key, and those it does
   * not address are quarantined by seq. Entries come back in seq order.
   */
  async claimDue(now: number, leaseUntil: number, limit: number, skipApps: readonly number[]): Promise<OutboxClaim> {
    const { rows: got } = await this.db.query<ClaimRow & { limited: boolean }>({
      name: 'dt_outbox_claim',
      text: SQL.claim,
      values: [now, leaseUntil, limit, [...skipApps]],
    });
    // The last row, all NULLs but `limited`, closes the claim.
    const limited = got.some((r) => r.seq === null && r.limited);
    const rows: ClaimRow[] = got.filter((r) => r.seq !== null);
    const lost = await this.unaddressed(rows.filter((r) => mayNotReadBack(r.id, r.call_id)));
    const quarantined: QuarantinedRow[] = [];
    if (lost.size > 0) {
      const res = await this.db.query({
        name: 'dt_outbox_quarantine',
        text: SQL.quarantine,
        values: [[...lost], `quarantined: ${UNADDRESSABLE}`, now],
      });
      if (res.rowCount !== lost.size) throw new Error(`${lost.size - (res.rowCount ?? 0)} outbox rows could not be quarantined`);
      for (const r of rows) if (lost.has(r.seq)) quarantined.push({ table: 'outbox', key: outboxKey(r), reason: UNADDRESSABLE });
    }
    // RETURNING has no order of its own.
    const entries = rows.filter((r) => !lost.has(r.seq)).sort((a, b) => a.seq - b.seq);
    return { entries: entries.map(toOutboxEntry), limited, quarantined };
  }

  /** The seqs of `suspects` that their id and call id, as read back, do not address. */
  private async unaddressed(suspects: ClaimRow[]): Promise<Set<number>> {
    if (suspects.length === 0) return new Set();
    const { rows } = await this.db.query<{ seq: number }>({
      name: 'dt_outbox_addressed',
      text: SQL.addressed,
      values: [suspects.map((r) => r.seq), suspects.map((r) => r.id), suspects.map((r) => r.call_id)],
    });
    const addressed = new Set(rows.map((r) => r.seq));
    return new Set(suspects.map((r) => r.seq).filter((seq) => !addressed.has(seq)));
  }

  /** Held, as settle, cancel and extendLeases are: nothing reads their result (see PgTx.hold). */
  async release(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    this.db.hold({ name: 'dt_outbox_release', text: SQL.release, values: [[...ids]] });
  }

  async extendLeases(seqs: readonly number[], leaseUntil: number): Promise<void> {
    if (seqs.length === 0) return;
    this.db.hold({ name: 'dt_outbox_extend', text: SQL.extend, values: [[...seqs], leaseUntil] });
  }

  /**
   * One statement for the whole batch, held until the commit (see PgTx.hold). When one entry (or one attempt) is settled twice in a
   * batch the last settlement wins, as when they are applied one after another.
   */
  async settle(settlements: readonly Settlement[]): Promise<void> {
    if (settlements.length === 0) return;
    const attempts = new Map<string, Settlement>();
    const bySeq = new Map<number, Settlement>();
    for (const s of settlements) {
      attempts.delete(`${s.attempt}\u0000${s.id}`);
      attempts.set(`${s.attempt}\u0000${s.id}`, s);
      bySeq.set(s.seq, s);
    }
    const a = [...attempts.values()];
    // In seq order: concurrent settlers lock shared rows in one order.
    const u = [...bySeq.values()].sort((x, y) => x.seq - y.seq);
    const at = (s: Settlement) => Math.round(s.outcome.startedAt + s.outcome.latencyMs);
    this.db.hold({
      name: 'dt_outbox_settle',
      text: SQL.settle,
      values: [
        a.map((s) => s.id),
        a.map((s) => s.attempt),
        a.map((s) => s.outcome.startedAt),
        a.map((s) => s.outcome.httpStatus ?? null),
        a.map((s) => Math.round(s.outcome.latencyMs)),
        a.map((s) => pgText(s.outcome.error)),
        a.map((s) => pgText(s.outcome.responseExcerpt)),
        u.map((s) => s.seq),
        u.map(settledStatus),
        u.map((s) => s.attempt),
        u.map((s) => s.retryAt ?? s.outcome.startedAt),
        u.map(at),
        u.map((s) => pgText(s.outcome.error)),
        u.map((s) => s.outcome.httpStatus ?? null),
        u.map((s) => (s.outcome.ok ? at(s) : null)),
      ],
    });
  }

  async cancel(cancellations: readonly Cancellation[], at: number): Promise<void> {
    if (cancellations.length === 0) return;
    // In seq order: concurrent settlers lock shared rows in one order.
    const c = [...cancellations].sort((x, y) => x.seq - y.seq);
    this.db.hold({
      name: 'dt_outbox_cancel',
      text: SQL.cancel,
      values: [c.map((x) => x.seq), c.map((x) => pgText(x.reason)), at],
    });
  }

  async cancelPending(sdkAppId: number, commands: readonly CallbackCommand[], reason: string, at: number): Promise<number> {
    if (commands.length === 0) return 0;
    const res = await this.db.query({
      name: 'dt_outbox_cancel_pending',
      text: SQL.cancelPending,
      values: [sdkAppId, [...commands], reason, at],
    });
    return res.rowCount ?? 0;
  }

  async nextDueAt(now: number): Promise<number | undefined> {
    const { rows } = await this.db.query<{ retry: number | null; lease: number | null }>({
      name: 'dt_outbox_next_due',
      text: SQL.nextDue,
      values: [now],
    });
    const times = [rows[0]?.retry, rows[0]?.lease].filter((t): t is number => typeof t === 'number');
    return times.length > 0 ? Math.min(...times) : undefined;
  }

  async list(sdkAppId: number, filter: OutboxFilter, offset: number, limit: number): Promise<{ total: number; entries: OutboxRecord[] }> {
    const params: (string | number)[] = [sdkAppId];
    let where = 'sdkappid = $1';
    const add = (clause: string, value: string | number | undefined) => {
      if (value === undefined) return;
      params.push(value);
      where += ` AND ${clause} $${params.length}`;
    };
    add('status =', filter.status);
    add('command =', filter.command);
    add('call_id =', filter.callId);
    add('created_at >=', filter.from);
    add('created_at <=', filter.to);
    const count = await this.db.query<{ n: number }>({ text: `SELECT COUNT(*) AS n FROM outbox WHERE ${where}`, values: params });
    const { rows } = await this.db.query<LogRow>({
      text: `SELECT ${LOG_COLUMNS} FROM outbox WHERE ${where} ORDER BY seq DESC LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      values: [...params, limit, offset],
    });
    return { total: count.rows[0]!.n, entries: rows.map(toOutboxRecord) };
  }

  async get(sdkAppId: number, id: string): Promise<{ entry: OutboxRecord; attempts: AttemptRecord[] } | undefined> {
    const { rows } = await this.db.query<LogRow>({ name: 'dt_outbox_get', text: SQL.get, values: [sdkAppId, id] });
    const row = rows[0];
    if (!row) return undefined;
    const found = await this.db.query<AttemptRow>({ name: 'dt_outbox_attempts_of', text: SQL.attemptsOf, values: [id] });
    return { entry: toOutboxRecord(row), attempts: found.rows.map(toAttemptRecord) };
  }

  async resend(sdkAppId: number, id: string, now: number): Promise<boolean> {
    const res = await this.db.query({ name: 'dt_outbox_resend', text: SQL.resend, values: [sdkAppId, id, now] });
    return res.rowCount === 1;
  }

  async failedSince(sdkAppId: number, since: number): Promise<string[]> {
    const { rows } = await this.db.query<{ id: string }>({
      name: 'dt_outbox_failed_since',
      text: SQL.failedSince,
      values: [sdkAppId, since],
    });
    return rows.map((r) => r.id);
  }

  async pruneDelivered(before: number, limit: number): Promise<number> {
    const res = await this.db.query({ name: 'dt_outbox_prune', text: SQL.prune, values: [before, limit] });
    return res.rowCount ?? 0;
  }

  async pendingByApp(): Promise<Map<number, number>> {
    const { rows } = await this.db.query<{ sdkappid: number; n: number }>({ name: 'dt_outbox_pending', text: SQL.pending });
    return new Map(rows.map((r) => [r.sdkappid, r.n]));
  }
}

/** PostgreSQL text cannot hold NUL (a receiver may answer with one): it becomes U+FFFD. */
function pgText(text: string | undefined): string | null {
  return text === undefined ? null : text.includes('\u0000') ? text.replaceAll('\u0000', '\uFFFD') : text;
}
