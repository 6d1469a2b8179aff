/** Server timers (ring timeouts, heartbeat expiry), in SQLite so they survive a restart. */
import type Database from 'better-sqlite3';
import type { DueTimer, QuarantinedRow, TimerClaim, TimerRepo } from '../../app/ports.js';
import type { TimerKind } from '../../domain/effects.js';
import { UNADDRESSABLE, timerKey, toDueTimer, type TimerRow } from '../rows.js';

/** {@link TimerRepo} on SQLite. */
export class SqliteTimerRepo implements TimerRepo {
  private readonly stmts;

  constructor(db: Database.Database) {
    this.stmts = {
      set: db.prepare(
        `INSERT INTO timers (sdkappid, call_id, kind, user_id, due_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (sdkappid, call_id, kind, user_id) DO UPDATE SET due_at = excluded.due_at, lease_until = 0`,
      ),
      cancel: db.prepare('DELETE FROM timers WHERE sdkappid = ? AND call_id = ? AND kind = ? AND user_id = ?'),
      due: db.prepare<[number, number, number], TimerRow & { rid: number }>(
        `SELECT rowid AS rid, sdkappid, call_id, kind, user_id, due_at FROM timers
         WHERE due_at <= ? AND lease_until <= ? AND quarantined = 0 ORDER BY due_at LIMIT ?`,
      ),
      // By the key as read back, the same way take() will address the row; the rowid pins it to
      // the row just read, so no changes means exactly that its key does not address it.
      lease: db.prepare('UPDATE timers SET lease_until = ? WHERE rowid = ? AND sdkappid = ? AND call_id = ? AND kind = ? AND user_id = ?'),
      quarantine: db.prepare('UPDATE timers SET quarantined = 1, lease_until = 0 WHERE rowid = ?'),
      take: db.prepare('DELETE FROM timers WHERE sdkappid = ? AND call_id = ? AND kind = ? AND user_id = ? AND due_at = ?'),
      nextDue: db.prepare<[], { at: number | null }>('SELECT MIN(MAX(due_at, lease_until)) AS at FROM timers WHERE quarantined = 0'),
      pending: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM timers WHERE quarantined = 0'),
    };
  }

  async set(sdkAppId: number, callId: string, kind: TimerKind, userId: string, dueAt: number): Promise<void> {
    this.stmts.set.run(sdkAppId, callId, kind, userId, dueAt);
  }

  async cancel(sdkAppId: number, callId: string, kind: TimerKind, userId: string): Promise<void> {
    this.stmts.cancel.run(sdkAppId, callId, kind, userId);
  }

  async take(timer: DueTimer): Promise<boolean> {
    return this.stmts.take.run(timer.sdkAppId, timer.callId, timer.kind, timer.userId, timer.dueAt).changes === 1;
  }

  async claimDue(now: number, leaseUntil: number, limit: number): Promise<TimerClaim> {
    const timers: DueTimer[] = [];
    const quarantined: QuarantinedRow[] = [];
    for (const r of this.stmts.due.all(now, now, limit)) {
      if (this.stmts.lease.run(leaseUntil, r.rid, r.sdkappid, r.call_id, r.kind, r.user_id).changes === 1) {
        timers.push(toDueTimer(r));
        continue;
      }
      // A rowid within one transaction cannot miss; if it did, failing the claim is the only
      // way not to hand the same row back forever.
      if (this.stmts.quarantine.run(r.rid).changes !== 1) throw new Error(`timer row ${r.rid} could not be quarantined`);
      quarantined.push({ table: 'timers', key: timerKey(r), reason: UNADDRESSABLE });
    }
    return { timers, quarantined };
  }

  async nextDueAt(): Promise<number | undefined> {
    return this.stmts.nextDue.get()?.at ?? undefined;
  }

  async pendingCount(): Promise<number> {
    return this.stmts.pending.get()!.n;
  }
}
