/** Call policy per app, in SQLite. */
import type Database from 'better-sqlite3';
import type { CallPolicy, CallPolicyRepo } from '../../app/ports.js';

/** {@link CallPolicyRepo} on SQLite. */
export class SqliteCallPolicyRepo implements CallPolicyRepo {
  private readonly stmts;

  constructor(db: Database.Database) {
    this.stmts = {
      get: db.prepare<[number], { data: string }>('SELECT data FROM call_policy WHERE sdkappid = ?'),
      set: db.prepare('INSERT INTO call_policy (sdkappid, data) VALUES (?, ?) ON CONFLICT (sdkappid) DO UPDATE SET data = excluded.data'),
    };
  }

  async get(sdkAppId: number): Promise<Partial<CallPolicy> | undefined> {
    const row = this.stmts.get.get(sdkAppId);
    return row ? (JSON.parse(row.data) as Partial<CallPolicy>) : undefined;
  }

  async set(sdkAppId: number, policy: Partial<CallPolicy>): Promise<void> {
    this.stmts.set.run(sdkAppId, JSON.stringify(policy));
  }
}
