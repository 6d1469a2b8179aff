/** The callback outbox and its attempt log, in SQLite. */
import type Database from 'better-sqlite3';
import type { AttemptOutcome, OutboxEntry, OutboxRepo } from '../../app/ports.js';
import type { CallbackCommand } from '../../domain/types.js';

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

/** {@link OutboxRepo} on SQLite. */
export class SqliteOutboxRepo implements OutboxRepo {
  private readonly stmts;

  constructor(db: Database.Database) {
    this.stmts = {
      add: db.prepare(
        `INSERT INTO outbox (id, sdkappid, call_id, command, url, body, next_attempt_at, created_at, updated_at)
         VALUES (@id, @sdkAppId, @callId, @command, @url, @body, @createdAt, @createdAt, @createdAt)`,
      ),
      due: db.prepare<[number, number, number], OutboxRow>(
        `SELECT id, sdkappid, call_id, command, url, body, created_at, attempts FROM outbox
         WHERE status = 'pending' AND next_attempt_at <= ? AND lease_until <= ?
           AND NOT EXISTS (SELECT 1 FROM outbox AS earlier WHERE earlier.sdkappid = outbox.sdkappid
             AND earlier.call_id = outbox.call_id AND earlier.status = 'pending' AND earlier.seq < outbox.seq)
         ORDER BY seq LIMIT ?`,
      ),
      lease: db.prepare('UPDATE outbox SET lease_until = ? WHERE id = ?'),
      attempts: db.prepare<[string], { attempts: number }>('SELECT attempts FROM outbox WHERE id = ?'),
      insertAttempt: db.prepare(
        `INSERT INTO callback_attempts (outbox_id, attempt, started_at, http_status, latency_ms, error, response_excerpt)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      settle: db.prepare(`UPDATE outbox SET status = ?, attempts = ?, next_attempt_at = ?, lease_until = 0, updated_at = ? WHERE id = ?`),
      // When the next claim can succeed: the head of each call's queue, once due and unleased.
      nextDue: db.prepare<[], { at: number | null }>(
        `SELECT MIN(MAX(next_attempt_at, lease_until)) AS at FROM outbox
         WHERE status = 'pending' AND NOT EXISTS (SELECT 1 FROM outbox AS earlier WHERE earlier.sdkappid = outbox.sdkappid
           AND earlier.call_id = outbox.call_id AND earlier.status = 'pending' AND earlier.seq < outbox.seq)`,
      ),
    };
  }

  async add(entry: Omit<OutboxEntry, 'attempts'>): Promise<void> {
    this.stmts.add.run(entry);
  }

  /** Only the oldest pending entry of each call is claimable, which keeps a call's callbacks in order (SPEC §3.6). */
  async claimDue(now: number, leaseUntil: number, limit: number): Promise<OutboxEntry[]> {
    const rows = this.stmts.due.all(now, now, limit);
    for (const r of rows) this.stmts.lease.run(leaseUntil, r.id);
    return rows.map((r) => ({
      id: r.id,
      sdkAppId: r.sdkappid,
      callId: r.call_id,
      command: r.command as CallbackCommand,
      url: r.url,
      body: r.body,
      createdAt: r.created_at,
      attempts: r.attempts,
    }));
  }

  async recordAttempt(id: string, outcome: AttemptOutcome, retryAt: number | undefined): Promise<void> {
    const row = this.stmts.attempts.get(id);
    if (!row) return;
    const attempt = row.attempts + 1;
    this.stmts.insertAttempt.run(
      id,
      attempt,
      outcome.startedAt,
      outcome.httpStatus ?? null,
      Math.round(outcome.latencyMs),
      outcome.error ?? null,
      outcome.responseExcerpt ?? null,
    );
    const status = outcome.ok ? 'delivered' : retryAt === undefined ? 'failed' : 'pending';
    this.stmts.settle.run(status, attempt, retryAt ?? outcome.startedAt, outcome.startedAt + outcome.latencyMs, id);
  }

  async nextDueAt(): Promise<number | undefined> {
    return this.stmts.nextDue.get()?.at ?? undefined;
  }
}
