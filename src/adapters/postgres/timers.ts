/** Server timers (ring timeouts, heartbeat expiry), in PostgreSQL, shared by every process. */
import type { DueTimer, QuarantinedRow, TimerClaim, TimerRepo } from '../../app/ports.js';
import type { TimerKind } from '../../domain/effects.js';
import { UNADDRESSABLE, mayNotReadBack, timerKey, toDueTimer, type TimerRow } from '../rows.js';
import type { PgTx } from './tx.js';

const SQL = {
  take: 'DELETE FROM timers WHERE sdkappid = $1 AND call_id = $2 AND kind = $3 AND user_id = $4 AND due_at = $5',
  // Rows another transaction is claiming (or changing) are skipped, not waited for: each due
  // timer goes to exactly one claimer, and claimers never block one another. The key is matched
  // inside the server, stored bytes to stored bytes, so the lease always lands.
  claim: `UPDATE timers AS t SET lease_until = $3
    FROM (SELECT sdkappid, call_id, kind, user_id FROM timers WHERE due_at <= $1 AND lease_until <= $1 AND NOT quarantined
          ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED) AS due
    WHERE t.sdkappid = due.sdkappid AND t.call_id = due.call_id AND t.kind = due.kind AND t.user_id = due.user_id
    RETURNING t.ctid::text AS rid, t.sdkappid, t.call_id, t.kind, t.user_id, t.due_at`,
  // Which of the claimed rows (by the ctid the claim left them at) their key, as read back,
  // addresses as take() will.
  addressed: `SELECT k.rid::text AS rid FROM unnest($1::tid[], $2::bigint[], $3::text[], $4::text[], $5::text[])
      AS k(rid, sdkappid, call_id, kind, user_id)
    JOIN timers AS t ON t.ctid = k.rid AND t.sdkappid = k.sdkappid AND t.call_id = k.call_id AND t.kind = k.kind
      AND t.user_id = k.user_id`,
  // A ctid holds within the transaction that locked the row.
  quarantine: 'UPDATE timers SET quarantined = TRUE, lease_until = 0 WHERE ctid = ANY($1::tid[])',
  nextDue: 'SELECT MIN(GREATEST(due_at, lease_until)) AS at FROM timers WHERE NOT quarantined',
  pending: 'SELECT COUNT(*)::int AS n FROM timers WHERE NOT quarantined',
} as const;

/** {@link TimerRepo} on PostgreSQL. */
export class PgTimerRepo implements TimerRepo {
  constructor(private readonly db: PgTx) {}

  /** Held with the step's other writes (see writes.ts); re-arming ends a lease. */
  async set(sdkAppId: number, callId: string, kind: TimerKind, userId: string, dueAt: number): Promise<void> {
    this.db.writes.timer(sdkAppId, callId, kind, userId, dueAt);
  }

  /** Held with the step's other writes (see writes.ts). */
  async cancel(sdkAppId: number, callId: string, kind: TimerKind, userId: string): Promise<void> {
    this.db.writes.timer(sdkAppId, callId, kind, userId, undefined);
  }

  async take(timer: DueTimer): Promise<boolean> {
    const res = await this.db.query({
      name: 'dt_timers_take',
      text: SQL.take,
      values: [timer.sdkAppId, timer.callId, timer.kind, timer.userId, timer.dueAt],
    });
    return res.rowCount === 1;
  }

  /**
   * One statement claims and leases. Rows whose key may not read back as stored (see
   * {@link mayNotReadBack}; none in practice, as PostgreSQL validates text both ways) are then
   * checked by key, and those it does not address are quarantined by ctid in the same
   * transaction.
   */
  async claimDue(now: number, leaseUntil: number, limit: number): Promise<TimerClaim> {
    const { rows } = await this.db.query<TimerRow & { rid: string }>({
      name: 'dt_timers_claim',
      text: SQL.claim,
      values: [now, limit, leaseUntil],
    });
    const suspects = rows.filter((r) => mayNotReadBack(r.call_id, r.kind, r.user_id));
    const lost = new Set<string>();
    if (suspects.length > 0) {
      const { rows: found } = await this.db.query<{ rid: string }>({
        name: 'dt_timers_addressed',
        text: SQL.addressed,
        values: [
          suspects.map((r) => r.rid),
          suspects.map((r) => r.sdkappid),
          suspects.map((r) => r.call_id),
          suspects.map((r) => r.kind),
          suspects.map((r) => r.user_id),
        ],
      });
      const addressed = new Set(found.map((f) => f.rid));
      for (const r of suspects) if (!addressed.has(r.rid)) lost.add(r.rid);
    }
    const quarantined: QuarantinedRow[] = [];
    if (lost.size > 0) {
      const res = await this.db.query({ name: 'dt_timers_quarantine', text: SQL.quarantine, values: [[...lost]] });
      if (res.rowCount !== lost.size) throw new Error(`${lost.size - (res.rowCount ?? 0)} timer rows could not be quarantined`);
      for (const r of rows) if (lost.has(r.rid)) quarantined.push({ table: 'timers', key: timerKey(r), reason: UNADDRESSABLE });
    }
    // RETURNING has no order of its own.
    const timers = rows.filter((r) => !lost.has(r.rid)).sort((a, b) => a.due_at - b.due_at);
    return { timers: timers.map(toDueTimer), quarantined };
  }

  async nextDueAt(): Promise<number | undefined> {
    const { rows } = await this.db.query<{ at: number | null }>({ name: 'dt_timers_next_due', text: SQL.nextDue });
    return rows[0]?.at ?? undefined;
  }

  async pendingCount(): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>({ name: 'dt_timers_pending', text: SQL.pending });
    return rows[0]!.n;
  }
}
