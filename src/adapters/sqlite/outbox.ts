/** The callback outbox and its attempt log, in SQLite. */
import type Database from 'better-sqlite3';
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
import { originOf } from '../../callbacks/render.js';
import {
  UNADDRESSABLE,
  outboxKey,
  settledStatus,
  toAttemptRecord,
  toOutboxEntry,
  toOutboxRecord,
  type AttemptRow,
  type ClaimRow,
  type LogRow,
} from '../rows.js';

/**
 * Claimable: no earlier pending entry of the call is in flight or waiting for a retry, or was
 * written for another origin (the URL changed mid-call: claimed in another pair's query, it
 * could come after this one). Every earlier pending entry is then claimable too, and comes first
 * in seq order, so a claim holds a call's entries as an in-order run that the dispatcher sends
 * one after another.
 */
const NOT_HELD_BACK = `(outbox.ordered = 0 OR NOT EXISTS (SELECT 1 FROM outbox AS earlier WHERE earlier.sdkappid = outbox.sdkappid
  AND earlier.call_id = outbox.call_id AND earlier.status = 'pending' AND earlier.seq < outbox.seq
  AND (earlier.lease_until > @now OR earlier.next_attempt_at > @now OR earlier.origin <> outbox.origin)))`;

/** A receiver origin (as written) and an app with pending entries for it: the unit claims share out. */
interface Lane {
  origin: string;
  sdkappid: number;
}

/** {@link OutboxRepo} on SQLite. */
export class SqliteOutboxRepo implements OutboxRepo {
  private readonly stmts;

  constructor(private readonly db: Database.Database) {
    this.stmts = {
      add: db.prepare(
        `INSERT INTO outbox (id, sdkappid, call_id, command, url, origin, ordered, body, next_attempt_at, created_at, updated_at)
         VALUES (@id, @sdkAppId, @callId, @command, @url, @origin, @ordered, @body, @createdAt, @createdAt, @createdAt)`,
      ),
      // A skip-scan: one index seek per distinct origin, however many rows each has pending, then
      // one per app within it. (A row-value comparison would step through the last pair's rows.)
      origins: db.prepare<[], { origin: string }>(
        `WITH RECURSIVE o(origin) AS (
           SELECT (SELECT MIN(origin) FROM outbox INDEXED BY outbox_pending_lane WHERE status = 'pending')
           UNION ALL
           SELECT (SELECT MIN(origin) FROM outbox INDEXED BY outbox_pending_lane WHERE status = 'pending' AND origin > o.origin)
           FROM o WHERE o.origin IS NOT NULL)
         SELECT origin FROM o WHERE origin IS NOT NULL`,
      ),
      nextApp: db.prepare<[{ origin: string; after: number }], { sdkappid: number | null }>(
        `SELECT MIN(sdkappid) AS sdkappid FROM outbox INDEXED BY outbox_pending_lane
         WHERE status = 'pending' AND origin = @origin AND sdkappid > @after`,
      ),
      due: db.prepare<[{ now: number; origin: string; app: number; limit: number }], ClaimRow>(
        `SELECT seq, id, sdkappid, call_id, command, url, body, created_at, attempts, resend_base FROM outbox INDEXED BY outbox_pending_lane
         WHERE status = 'pending' AND origin = @origin AND sdkappid = @app AND next_attempt_at <= @now AND lease_until <= @now
           AND ${NOT_HELD_BACK}
         ORDER BY seq LIMIT @limit`,
      ),
      // By rowid, the cheapest way to a row, and by the id and call id as read back, the way the
      // rest of the delivery addresses and groups it: no change means they do not address it.
      lease: db.prepare('UPDATE outbox SET lease_until = ? WHERE seq = ? AND id = ? AND call_id = ?'),
      quarantine: db.prepare(
        `UPDATE outbox SET status = 'failed', quarantined = 1, lease_until = 0, last_error = ?, updated_at = ? WHERE seq = ?`,
      ),
      release: db.prepare('UPDATE outbox SET lease_until = 0 WHERE id = ?'),
      extend: db.prepare("UPDATE outbox SET lease_until = ? WHERE seq = ? AND status = 'pending' AND lease_until > 0"),
      insertAttempt: db.prepare(
        `INSERT OR REPLACE INTO callback_attempts (outbox_id, attempt, started_at, http_status, latency_ms, error, response_excerpt)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      settle: db.prepare(
        `UPDATE outbox SET status = @status, attempts = @attempts, next_attempt_at = @next, lease_until = 0, updated_at = @at,
           last_error = @error, last_http_status = @httpStatus, delivered_at = @deliveredAt
         WHERE seq = @seq`,
      ),
      cancel: db.prepare(
        `UPDATE outbox SET status = 'cancelled', lease_until = 0, updated_at = @at, last_error = @reason
         WHERE seq = @seq AND status = 'pending'`,
      ),
      cancelPending: db.prepare(
        `UPDATE outbox INDEXED BY outbox_pending_lane SET status = 'cancelled', updated_at = @at, last_error = @reason
         WHERE origin = @origin AND sdkappid = @app AND status = 'pending' AND command = @command`,
      ),
      nextRetry: db.prepare<[number], { at: number | null }>(
        // Rare (at start and once a minute), over the pending rows only.
        `SELECT MIN(next_attempt_at) AS at FROM outbox INDEXED BY outbox_pending_lane WHERE status = 'pending' AND next_attempt_at > ?`,
      ),
      nextLeaseEnd: db.prepare<[number], { at: number | null }>(
        // Rare (at start and once a minute): a scan is cheaper than an index every claim updates.
        `SELECT MIN(lease_until) AS at FROM outbox WHERE status = 'pending' AND lease_until > ?`,
      ),
      get: db.prepare<[number, string], LogRow>('SELECT * FROM outbox WHERE sdkappid = ? AND id = ?'),
      attemptsOf: db.prepare<[string], AttemptRow>('SELECT * FROM callback_attempts WHERE outbox_id = ? ORDER BY attempt'),
      resend: db.prepare(
        `UPDATE outbox SET status = 'pending', next_attempt_at = ?, lease_until = 0, resend_base = attempts, updated_at = ?
         WHERE sdkappid = ? AND id = ? AND quarantined = 0`,
      ),
      failedSince: db.prepare<[number, number], { id: string }>(
        `SELECT id FROM outbox WHERE sdkappid = ? AND status = 'failed' AND quarantined = 0 AND created_at >= ? ORDER BY seq`,
      ),
      // Through the creation-time index (it never changes, so settling does not update it): a
      // callback delivered after its creation is kept until its delivery, too, is past retention.
      // The apps with callbacks, by a skip-scan of the per-app index (one seek per app).
      apps: db.prepare<[], { sdkappid: number }>(
        `WITH RECURSIVE a(sdkappid) AS (
           SELECT (SELECT MIN(sdkappid) FROM outbox INDEXED BY outbox_by_app)
           UNION ALL
           SELECT (SELECT MIN(sdkappid) FROM outbox INDEXED BY outbox_by_app WHERE sdkappid > a.sdkappid) FROM a WHERE a.sdkappid IS NOT NULL)
         SELECT sdkappid FROM a WHERE sdkappid IS NOT NULL`,
      ),
      // Per app, through the (sdkappid, created_at) index: a callback delivered after its creation
      // is kept until its delivery, too, is past retention.
      prunable: db.prepare<[number, number, number, number], { id: string }>(
        `SELECT id FROM outbox INDEXED BY outbox_by_app WHERE sdkappid = ? AND created_at < ? AND status = 'delivered' AND updated_at < ? LIMIT ?`,
      ),
      deleteEntry: db.prepare('DELETE FROM outbox WHERE id = ?'),
      deleteAttempts: db.prepare('DELETE FROM callback_attempts WHERE outbox_id = ?'),
      pending: db.prepare<[], { sdkappid: number; n: number }>(
        `SELECT sdkappid, COUNT(*) AS n FROM outbox WHERE status = 'pending' GROUP BY sdkappid`,
      ),
    };
  }

  async add(entry: NewOutboxEntry): Promise<void> {
    this.stmts.add.run({ ...entry, origin: originOf(entry.url), ordered: entry.ordered ? 1 : 0 });
  }

  /**
   * Claims per (receiver origin, app) pair (through the `(origin, sdkappid, seq)` index), sharing
   * `limit` between the pairs that have pending entries, so one app's backlog is never scanned to
   * serve another app, whether or not they share a receiver.
   */
  async claimDue(now: number, leaseUntil: number, limit: number, skipApps: readonly number[]): Promise<OutboxClaim> {
    const skip = new Set(skipApps);
    const lanes = this.lanes().filter((l) => !skip.has(l.sdkappid));
    const rows: ClaimRow[] = [];
    const quarantined: QuarantinedRow[] = [];
    let left = limit;
    let limited = false;
    for (let i = 0; i < lanes.length && left > 0; i++) {
      const share = Math.ceil(left / (lanes.length - i));
      const got = this.stmts.due.all({ now, origin: lanes[i]!.origin, app: lanes[i]!.sdkappid, limit: share });
      // Leased at once, so a later entry of the same call bound for another origin (the URL
      // changed mid-call) is held back by this one in the next lane's query.
      for (const r of got) {
        if (this.stmts.lease.run(leaseUntil, r.seq, r.id, r.call_id).changes === 1) {
          rows.push(r);
          continue;
        }
        // By seq (the rowid), which cannot miss within this transaction; if it did, failing
        // the claim is the only way not to hand the same row back forever.
        if (this.stmts.quarantine.run(`quarantined: ${UNADDRESSABLE}`, now, r.seq).changes !== 1)
          throw new Error(`outbox row ${r.seq} could not be quarantined`);
        quarantined.push({ table: 'outbox', key: outboxKey(r), reason: UNADDRESSABLE });
      }
      left -= got.length;
      if (got.length === share) limited = true;
    }
    return { entries: rows.map(toOutboxEntry), limited, quarantined };
  }

  /** The (origin, app) pairs with pending entries. */
  private lanes(): Lane[] {
    const lanes: Lane[] = [];
    for (const { origin } of this.stmts.origins.all()) {
      for (let after = -1; ;) {
        const next = this.stmts.nextApp.get({ origin, after })?.sdkappid;
        if (next === null || next === undefined) break;
        lanes.push({ origin, sdkappid: next });
        after = next;
      }
    }
    return lanes;
  }

  async release(ids: readonly string[]): Promise<void> {
    for (const id of ids) this.stmts.release.run(id);
  }

  async extendLeases(seqs: readonly number[], leaseUntil: number): Promise<void> {
    for (const seq of seqs) this.stmts.extend.run(leaseUntil, seq);
  }

  async settle(settlements: readonly Settlement[]): Promise<void> {
    for (const s of settlements) {
      const { id, seq, attempt, outcome, retryAt } = s;
      const at = outcome.startedAt + outcome.latencyMs;
      this.stmts.insertAttempt.run(
        id,
        attempt,
        outcome.startedAt,
        outcome.httpStatus ?? null,
        Math.round(outcome.latencyMs),
        outcome.error ?? null,
        outcome.responseExcerpt ?? null,
      );
      this.stmts.settle.run({
        seq,
        status: settledStatus(s),
        attempts: attempt,
        next: retryAt ?? outcome.startedAt,
        at: Math.round(at),
        error: outcome.error ?? null,
        httpStatus: outcome.httpStatus ?? null,
        deliveredAt: outcome.ok ? Math.round(at) : null,
      });
    }
  }

  async cancel(cancellations: readonly Cancellation[], at: number): Promise<void> {
    for (const c of cancellations) this.stmts.cancel.run({ seq: c.seq, reason: c.reason, at });
  }

  async cancelPending(sdkAppId: number, commands: readonly CallbackCommand[], reason: string, at: number): Promise<number> {
    let n = 0;
    for (const { origin } of this.lanes().filter((l) => l.sdkappid === sdkAppId)) {
      for (const command of commands) n += this.stmts.cancelPending.run({ origin, app: sdkAppId, command, reason, at }).changes;
    }
    return n;
  }

  async nextDueAt(now: number): Promise<number | undefined> {
    const times = [this.stmts.nextRetry.get(now)?.at, this.stmts.nextLeaseEnd.get(now)?.at].filter(
      (t): t is number => typeof t === 'number',
    );
    return times.length > 0 ? Math.min(...times) : undefined;
  }

  async list(sdkAppId: number, filter: OutboxFilter, offset: number, limit: number): Promise<{ total: number; entries: OutboxRecord[] }> {
    let where = 'sdkappid = ?';
    const params: (string | number)[] = [sdkAppId];
    const add = (clause: string, value: string | number | undefined) => {
      if (value === undefined) return;
      where += ` AND ${clause}`;
      params.push(value);
    };
    add('status = ?', filter.status);
    add('command = ?', filter.command);
    add('call_id = ?', filter.callId);
    add('created_at >= ?', filter.from);
    add('created_at <= ?', filter.to);
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM outbox WHERE ${where}`).get(...params) as { n: number }).n;
    const rows = this.db
      .prepare(`SELECT * FROM outbox WHERE ${where} ORDER BY seq DESC LIMIT ? OFFSET ?`)
      .all(...params, limit, offset) as LogRow[];
    return { total, entries: rows.map(toOutboxRecord) };
  }

  async get(sdkAppId: number, id: string): Promise<{ entry: OutboxRecord; attempts: AttemptRecord[] } | undefined> {
    const row = this.stmts.get.get(sdkAppId, id);
    if (!row) return undefined;
    return { entry: toOutboxRecord(row), attempts: this.stmts.attemptsOf.all(id).map(toAttemptRecord) };
  }

  async resend(sdkAppId: number, id: string, now: number): Promise<boolean> {
    return this.stmts.resend.run(now, now, sdkAppId, id).changes === 1;
  }

  async failedSince(sdkAppId: number, since: number): Promise<string[]> {
    return this.stmts.failedSince.all(sdkAppId, since).map((r) => r.id);
  }

  async pruneDelivered(before: number, limit: number): Promise<number> {
    const ids: { id: string }[] = [];
    for (const { sdkappid } of this.stmts.apps.all()) {
      if (ids.length >= limit) break;
      ids.push(...this.stmts.prunable.all(sdkappid, before, before, limit - ids.length));
    }
    for (const { id } of ids) {
      this.stmts.deleteAttempts.run(id);
      this.stmts.deleteEntry.run(id);
    }
    return ids.length;
  }

  async pendingByApp(): Promise<Map<number, number>> {
    return new Map(this.stmts.pending.all().map((r) => [r.sdkappid, r.n]));
  }
}
