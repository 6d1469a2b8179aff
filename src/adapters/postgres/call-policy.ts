/** Call policy per app, in PostgreSQL. */
import type { CallPolicy, CallPolicyRepo } from '../../app/ports.js';
import type { PgTx } from './tx.js';

const SQL = {
  get: 'SELECT data FROM call_policy WHERE sdkappid = $1',
  set: 'INSERT INTO call_policy (sdkappid, data) VALUES ($1, $2) ON CONFLICT (sdkappid) DO UPDATE SET data = excluded.data',
} as const;

/**
 * {@link CallPolicyRepo} on PostgreSQL. No held write of a step (see writes.ts) touches
 * these tables, so their statements go out beside the held writes, not after them.
 */
export class PgCallPolicyRepo implements CallPolicyRepo {
  constructor(private readonly db: PgTx) {}

  async get(sdkAppId: number): Promise<Partial<CallPolicy> | undefined> {
    const { rows } = await this.db.queryBeside<{ data: string }>({ name: 'dt_call_policy_get', text: SQL.get, values: [sdkAppId] });
    return rows[0] ? (JSON.parse(rows[0].data) as Partial<CallPolicy>) : undefined;
  }

  async set(sdkAppId: number, policy: Partial<CallPolicy>): Promise<void> {
    await this.db.queryBeside({ name: 'dt_call_policy_set', text: SQL.set, values: [sdkAppId, JSON.stringify(policy)] });
  }
}
