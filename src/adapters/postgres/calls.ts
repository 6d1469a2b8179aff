/** Calls, their current members and their records, in PostgreSQL. */
import type { CallRepo, RecordFilter } from '../../app/ports.js';
import type { Call, CallRecord } from '../../domain/types.js';
import { lockKeySql, type Queryable } from './db.js';

const SQL = {
  // The row lock serialises every transaction that changes this call, in whichever process.
  get: 'SELECT data FROM calls WHERE sdkappid = $1 AND call_id = $2 FOR UPDATE',
  insert: 'INSERT INTO calls (sdkappid, call_id, data) VALUES ($1, $2, $3)',
  update: 'UPDATE calls SET data = $3 WHERE sdkappid = $1 AND call_id = $2',
  delete: 'DELETE FROM calls WHERE sdkappid = $1 AND call_id = $2',
  deleteMembers: 'DELETE FROM call_members WHERE sdkappid = $1 AND call_id = $2',
  insertMembers: `INSERT INTO call_members (sdkappid, user_id, call_id) SELECT $1::bigint, u, $2::text FROM unnest($3::text[]) AS t(u)
    ON CONFLICT DO NOTHING`,
  // One lock per user, taken in the order of the (sorted) array: two transactions locking
  // overlapping sets take them in the same order.
  lockUsers: `SELECT pg_advisory_xact_lock(${lockKeySql(`'busy:' || $1::text || ':' || u`)}) FROM unnest($2::text[]) AS t(u)`,
  busy: 'SELECT DISTINCT user_id FROM call_members WHERE sdkappid = $1 AND user_id = ANY($2::text[])',
  callsOf: 'SELECT call_id FROM call_members WHERE sdkappid = $1 AND user_id = $2 ORDER BY call_id',
  insertRecord: `INSERT INTO call_records (sdkappid, call_id, start_time, end_time, call_result, call_type, data)
    VALUES ($1, $2, $3, $4, $5, $6, $7)
    ON CONFLICT (sdkappid, call_id) DO UPDATE SET start_time = excluded.start_time, end_time = excluded.end_time,
      call_result = excluded.call_result, call_type = excluded.call_type, data = excluded.data`,
  getRecord: 'SELECT data FROM call_records WHERE sdkappid = $1 AND call_id = $2',
  listLive: 'SELECT data FROM calls',
} as const;

/** {@link CallRepo} on PostgreSQL: the call as a JSON document plus a member index for busy checks. */
export class PgCallRepo implements CallRepo {
  constructor(private readonly db: Queryable) {}

  /** Reads the call `FOR UPDATE`: a second transaction changing it waits for this one to end. */
  async get(sdkAppId: number, callId: string): Promise<Call | undefined> {
    const { rows } = await this.db.query<{ data: string }>({ name: 'dt_calls_get', text: SQL.get, values: [sdkAppId, callId] });
    return rows[0] ? (JSON.parse(rows[0].data) as Call) : undefined;
  }

  async insert(call: Call): Promise<void> {
    await this.db.query({ name: 'dt_calls_insert', text: SQL.insert, values: [call.sdkAppId, call.callId, JSON.stringify(call)] });
    await this.writeMembers(call);
  }

  async update(call: Call): Promise<void> {
    await this.db.query({ name: 'dt_calls_update', text: SQL.update, values: [call.sdkAppId, call.callId, JSON.stringify(call)] });
    await this.db.query({ name: 'dt_calls_delete_members', text: SQL.deleteMembers, values: [call.sdkAppId, call.callId] });
    await this.writeMembers(call);
  }

  async delete(sdkAppId: number, callId: string): Promise<void> {
    await this.db.query({ name: 'dt_calls_delete', text: SQL.delete, values: [sdkAppId, callId] });
    await this.db.query({ name: 'dt_calls_delete_members', text: SQL.deleteMembers, values: [sdkAppId, callId] });
  }

  /**
   * Takes a transaction-scoped advisory lock per user first (in sorted order), then reads: of two
   * transactions about to ring the same user, the second waits here until the first ends, and
   * then sees the member rows it committed. The locks are held until this transaction ends.
   */
  async busyUsers(sdkAppId: number, userIds: string[]): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    const sorted = [...new Set(userIds)].sort();
    await this.db.query({ name: 'dt_calls_lock_users', text: SQL.lockUsers, values: [sdkAppId, sorted] });
    const { rows } = await this.db.query<{ user_id: string }>({ name: 'dt_calls_busy', text: SQL.busy, values: [sdkAppId, sorted] });
    const busy = new Set(rows.map((r) => r.user_id));
    return new Set(userIds.filter((id) => busy.has(id)));
  }

  async liveCallIdsOf(sdkAppId: number, userId: string): Promise<string[]> {
    const { rows } = await this.db.query<{ call_id: string }>({ name: 'dt_calls_of', text: SQL.callsOf, values: [sdkAppId, userId] });
    return rows.map((r) => r.call_id);
  }

  async insertRecord(sdkAppId: number, record: CallRecord): Promise<void> {
    await this.db.query({
      name: 'dt_calls_insert_record',
      text: SQL.insertRecord,
      values: [sdkAppId, record.CallId, record.StartTime, record.EndTime, record.CallResult, record.CallType, JSON.stringify(record)],
    });
  }

  async getRecord(sdkAppId: number, callId: string): Promise<CallRecord | undefined> {
    const { rows } = await this.db.query<{ data: string }>({
      name: 'dt_calls_get_record',
      text: SQL.getRecord,
      values: [sdkAppId, callId],
    });
    return rows[0] ? (JSON.parse(rows[0].data) as CallRecord) : undefined;
  }

  async findRecords(
    sdkAppId: number,
    filter: RecordFilter,
    offset: number,
    limit: number,
  ): Promise<{ total: number; records: CallRecord[] }> {
    const params: (string | number)[] = [sdkAppId, filter.startTime, filter.endTime];
    let where = 'sdkappid = $1 AND start_time >= $2 AND start_time <= $3';
    if (filter.callResult !== undefined) {
      params.push(filter.callResult);
      where += ` AND call_result = $${params.length}`;
    }
    if (filter.callType !== undefined) {
      params.push(filter.callType);
      where += ` AND call_type = $${params.length}`;
    }
    const count = await this.db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM call_records WHERE ${where}`, params);
    const { rows } = await this.db.query<{ data: string }>(
      `SELECT data FROM call_records WHERE ${where} ORDER BY start_time DESC, call_id LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, limit, offset],
    );
    return { total: count.rows[0]!.n, records: rows.map((r) => JSON.parse(r.data) as CallRecord) };
  }

  async listLive(): Promise<Call[]> {
    const { rows } = await this.db.query<{ data: string }>({ name: 'dt_calls_list_live', text: SQL.listLive });
    return rows.map((r) => JSON.parse(r.data) as Call);
  }

  /** A robot caller is left out: it has no connection and is never busy (SPEC §2.4). */
  private async writeMembers(call: Call): Promise<void> {
    const userIds = call.members.filter((m) => !(call.robotCaller && m.userId === call.callerId)).map((m) => m.userId);
    if (userIds.length === 0) return;
    await this.db.query({ name: 'dt_calls_insert_members', text: SQL.insertMembers, values: [call.sdkAppId, call.callId, userIds] });
  }
}
