/** Server timers (ring timeouts, heartbeat expiry), in SQLite so they survive a restart. */
import type Database from 'better-sqlite3';
import type { DueTimer, TimerRepo } from '../../app/ports.js';
import type { TimerKind } from '../../domain/effects.js';
import { toDueTimer, type TimerRow } from '../rows.js';

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
      due: db.prepare<[number, number, number], TimerRow>(
        'SELECT sdkappid, call_id, kind, user_id, due_at FROM timers WHERE due_at <= ? AND lease_until <= ? ORDER BY due_at LIMIT ?',
      ),
      lease: db.prepare('UPDATE timers SET lease_until = ? WHERE sdkappid = ? AND call_id = ? AND kind = ? AND user_id = ?'),
      take: db.prepare('DELETE FROM timers WHERE sdkappid = ? AND call_id = ? AND kind = ? AND user_id = ? AND due_at = ?'),
      nextDue: db.prepare<[], { at: number | null }>('SELECT MIN(MAX(due_at, lease_until)) AS at FROM timers'),
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

  async claimDue(now: number, leaseUntil: number, limit: number): Promise<DueTimer[]> {
    const rows = this.stmts.due.all(now, now, limit);
    for (const r of rows) this.stmts.lease.run(leaseUntil, r.sdkappid, r.call_id, r.kind, r.user_id);
    return rows.map(toDueTimer);
  }

  async nextDueAt(): Promise<number | undefined> {
    return this.stmts.nextDue.get()?.at ?? undefined;
  }
}
