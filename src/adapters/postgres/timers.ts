/** Server timers (ring timeouts, heartbeat expiry), in PostgreSQL, shared by every process. */
import type { DueTimer, TimerRepo } from '../../app/ports.js';
import type { TimerKind } from '../../domain/effects.js';
import { toDueTimer, type TimerRow } from '../rows.js';
import type { Queryable } from './db.js';

const SQL = {
  set: `INSERT INTO timers (sdkappid, call_id, kind, user_id, due_at) VALUES ($1, $2, $3, $4, $5)
    ON CONFLICT (sdkappid, call_id, kind, user_id) DO UPDATE SET due_at = excluded.due_at, lease_until = 0`,
  cancel: 'DELETE FROM timers WHERE sdkappid = $1 AND call_id = $2 AND kind = $3 AND user_id = $4',
  take: 'DELETE FROM timers WHERE sdkappid = $1 AND call_id = $2 AND kind = $3 AND user_id = $4 AND due_at = $5',
  // Rows another transaction is claiming (or changing) are skipped, not waited for: each due
  // timer goes to exactly one claimer, and claimers never block one another.
  claim: `UPDATE timers AS t SET lease_until = $3
    FROM (SELECT sdkappid, call_id, kind, user_id FROM timers WHERE due_at <= $1 AND lease_until <= $1
          ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED) AS due
    WHERE t.sdkappid = due.sdkappid AND t.call_id = due.call_id AND t.kind = due.kind AND t.user_id = due.user_id
    RETURNING t.sdkappid, t.call_id, t.kind, t.user_id, t.due_at`,
  nextDue: 'SELECT MIN(GREATEST(due_at, lease_until)) AS at FROM timers',
} as const;

/** {@link TimerRepo} on PostgreSQL. */
export class PgTimerRepo implements TimerRepo {
  constructor(private readonly db: Queryable) {}

  async set(sdkAppId: number, callId: string, kind: TimerKind, userId: string, dueAt: number): Promise<void> {
    await this.db.query({ name: 'dt_timers_set', text: SQL.set, values: [sdkAppId, callId, kind, userId, dueAt] });
  }

  async cancel(sdkAppId: number, callId: string, kind: TimerKind, userId: string): Promise<void> {
    await this.db.query({ name: 'dt_timers_cancel', text: SQL.cancel, values: [sdkAppId, callId, kind, userId] });
  }

  async take(timer: DueTimer): Promise<boolean> {
    const res = await this.db.query({
      name: 'dt_timers_take',
      text: SQL.take,
      values: [timer.sdkAppId, timer.callId, timer.kind, timer.userId, timer.dueAt],
    });
    return res.rowCount === 1;
  }

  async claimDue(now: number, leaseUntil: number, limit: number): Promise<DueTimer[]> {
    const { rows } = await this.db.query<TimerRow>({ name: 'dt_timers_claim', text: SQL.claim, values: [now, limit, leaseUntil] });
    // RETURNING has no order of its own.
    rows.sort((a, b) => a.due_at - b.due_at);
    return rows.map(toDueTimer);
  }

  async nextDueAt(): Promise<number | undefined> {
    const { rows } = await this.db.query<{ at: number | null }>({ name: 'dt_timers_next_due', text: SQL.nextDue });
    return rows[0]?.at ?? undefined;
  }
}
