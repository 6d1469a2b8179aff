/** Calls, their current members and their records, in PostgreSQL. */
import type { CallRepo, RecordFilter } from '../../app/ports.js';
import type { Call, CallRecord } from '../../domain/types.js';
import { SETTINGS_COLUMNS, settingsJoins, type SettingsRow } from './callback-config.js';
import type { PgTx } from './tx.js';

/**
 * A user's most recent records (`$1` app, `$2` user, `$3` how many): a backward walk of
 * call_record_members_recent from the user's newest entry, `$3` entries read, then each record
 * by its key.
 */
export const RECENT_RECORDS_SQL = `SELECT r.data FROM call_record_members AS m
    JOIN call_records AS r ON r.sdkappid = m.sdkappid AND r.call_id = m.call_id
    WHERE m.sdkappid = $1 AND m.user_id = $2
    ORDER BY m.start_time DESC, m.end_time DESC, m.call_id DESC LIMIT $3`;

const SQL = {
  // The row lock serialises every transaction that changes this call, in whichever process. The
  // app's callback settings come along (see PgTx.settings): the step's callbacks need them.
  get: `SELECT c.data, ${SETTINGS_COLUMNS} FROM calls AS c ${settingsJoins('c.sdkappid')}
    WHERE c.sdkappid = $1 AND c.call_id = $2 FOR UPDATE OF c`,
  // The locks and the read in one round trip (migration 5), and the app's callback settings.
  busy: `SELECT dialtone_busy_users($1::bigint, $2::text[]) AS busy, ${SETTINGS_COLUMNS} FROM (SELECT) AS one ${settingsJoins('$1::bigint')}`,
  callsOf: 'SELECT call_id FROM call_members WHERE sdkappid = $1 AND user_id = $2 ORDER BY call_id',
  getRecord: 'SELECT data FROM call_records WHERE sdkappid = $1 AND call_id = $2',
  listLive: 'SELECT data FROM calls',
  liveCounts: 'SELECT (SELECT COUNT(*) FROM calls)::int AS calls, (SELECT COUNT(*) FROM call_members)::int AS members',
  recentOf: RECENT_RECORDS_SQL,
} as const;

/** {@link CallRepo} on PostgreSQL: the call as a JSON document plus a member index for busy checks. */
export class PgCallRepo implements CallRepo {
  constructor(private readonly db: PgTx) {}

  /** Reads the call `FOR UPDATE`: a second transaction changing it waits for this one to end. */
  async get(sdkAppId: number, callId: string): Promise<Call | undefined> {
    const { rows } = await this.db.query<{ data: string } & SettingsRow>({
      name: 'dt_calls_get',
      text: SQL.get,
      values: [sdkAppId, callId],
    });
    const row = rows[0];
    if (!row) return undefined;
    this.db.settings.set(sdkAppId, row);
    return JSON.parse(row.data) as Call;
  }

  /** Held with the step's other writes (see writes.ts); a duplicate call id fails the transaction. */
  async insert(call: Call): Promise<void> {
    await this.write('insert', call.sdkAppId, call.callId, JSON.stringify(call), memberIds(call));
  }

  async update(call: Call): Promise<void> {
    await this.write('update', call.sdkAppId, call.callId, JSON.stringify(call), memberIds(call));
  }

  async delete(sdkAppId: number, callId: string): Promise<void> {
    await this.write('delete', sdkAppId, callId, '', []);
  }

  /**
   * Takes a transaction-scoped advisory lock per user first (in sorted order), then reads: of two
   * transactions about to ring the same user, the second waits here until the first ends, and
   * then sees the member rows it committed. The locks are held until this transaction ends. One
   * statement (migration 5's function), which also reads the app's callback settings.
   */
  async busyUsers(sdkAppId: number, userIds: string[]): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    const sorted = [...new Set(userIds)].sort();
    const { rows } = await this.db.query<{ busy: string[] } & SettingsRow>({
      name: 'dt_calls_busy',
      text: SQL.busy,
      values: [sdkAppId, sorted],
    });
    this.db.settings.set(sdkAppId, rows[0]!);
    const busy = new Set(rows[0]!.busy);
    return new Set(userIds.filter((id) => busy.has(id)));
  }

  async liveCallIdsOf(sdkAppId: number, userId: string): Promise<string[]> {
    const { rows } = await this.db.query<{ call_id: string }>({ name: 'dt_calls_of', text: SQL.callsOf, values: [sdkAppId, userId] });
    return rows.map((r) => r.call_id);
  }

  async insertRecord(sdkAppId: number, record: CallRecord): Promise<void> {
    this.db.writes.record(sdkAppId, record);
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
    const count = await this.db.query<{ n: number }>({ text: `SELECT COUNT(*) AS n FROM call_records WHERE ${where}`, values: params });
    const { rows } = await this.db.query<{ data: string }>({
      text: `SELECT data FROM call_records WHERE ${where} ORDER BY start_time DESC, call_id LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      values: [...params, limit, offset],
    });
    return { total: count.rows[0]!.n, records: rows.map((r) => JSON.parse(r.data) as CallRecord) };
  }

  async recentRecordsOf(sdkAppId: number, userId: string, limit: number): Promise<CallRecord[]> {
    const { rows } = await this.db.query<{ data: string }>({
      name: 'dt_calls_recent_of',
      text: SQL.recentOf,
      values: [sdkAppId, userId, limit],
    });
    return rows.map((r) => JSON.parse(r.data) as CallRecord);
  }

  async listLive(): Promise<Call[]> {
    const { rows } = await this.db.query<{ data: string }>({ name: 'dt_calls_list_live', text: SQL.listLive });
    return rows.map((r) => JSON.parse(r.data) as Call);
  }

  async liveCounts(): Promise<{ calls: number; members: number }> {
    const { rows } = await this.db.query<{ calls: number; members: number }>({ name: 'dt_calls_live_counts', text: SQL.liveCounts });
    return rows[0]!;
  }

  /** Holds a call write, sending what is held first when the two cannot be made in one statement. */
  private async write(op: 'insert' | 'update' | 'delete', sdkAppId: number, callId: string, data: string, members: string[]) {
    if (this.db.writes.call(op, sdkAppId, callId, data, members)) return;
    await this.db.flush();
    this.db.writes.call(op, sdkAppId, callId, data, members);
  }
}

/** The member index of a call. A robot caller is left out: it has no connection and is never busy (SPEC §2.4). */
function memberIds(call: Call): string[] {
  return call.members.filter((m) => !(call.robotCaller && m.userId === call.callerId)).map((m) => m.userId);
}
