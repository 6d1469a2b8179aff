/** Calls, their current members and their records, in SQLite. */
import type Database from 'better-sqlite3';
import type { CallRepo, RecordFilter } from '../../app/ports.js';
import type { Call, CallRecord } from '../../domain/types.js';

/**
 * A user's most recent records (app, user, how many): a backward walk of
 * call_record_members_recent from the user's newest entry, that many entries read, then each
 * record by its key.
 */
export const RECENT_RECORDS_SQL = `SELECT r.data FROM call_record_members AS m
  JOIN call_records AS r ON r.sdkappid = m.sdkappid AND r.call_id = m.call_id
  WHERE m.sdkappid = ? AND m.user_id = ?
  ORDER BY m.start_time DESC, m.end_time DESC, m.call_id DESC LIMIT ?`;

/** {@link CallRepo} on SQLite: the call as a JSON document plus a member index for busy checks. */
export class SqliteCallRepo implements CallRepo {
  private readonly stmts;

  constructor(private readonly db: Database.Database) {
    this.stmts = {
      get: db.prepare<[number, string], { data: string }>('SELECT data FROM calls WHERE sdkappid = ? AND call_id = ?'),
      insert: db.prepare('INSERT INTO calls (sdkappid, call_id, data) VALUES (?, ?, ?)'),
      update: db.prepare('UPDATE calls SET data = ? WHERE sdkappid = ? AND call_id = ?'),
      delete: db.prepare('DELETE FROM calls WHERE sdkappid = ? AND call_id = ?'),
      deleteMembers: db.prepare('DELETE FROM call_members WHERE sdkappid = ? AND call_id = ?'),
      insertMember: db.prepare('INSERT OR IGNORE INTO call_members (sdkappid, user_id, call_id) VALUES (?, ?, ?)'),
      callsOf: db.prepare<[number, string], { call_id: string }>('SELECT call_id FROM call_members WHERE sdkappid = ? AND user_id = ?'),
      getRecord: db.prepare<[number, string], { data: string }>('SELECT data FROM call_records WHERE sdkappid = ? AND call_id = ?'),
      listLive: db.prepare<[], { data: string }>('SELECT data FROM calls'),
      liveCounts: db.prepare<[], { calls: number; members: number }>(
        'SELECT (SELECT COUNT(*) FROM calls) AS calls, (SELECT COUNT(*) FROM call_members) AS members',
      ),
      insertRecordMember: db.prepare(
        `INSERT INTO call_record_members (sdkappid, user_id, call_id, start_time, end_time) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (sdkappid, user_id, call_id) DO UPDATE SET start_time = excluded.start_time, end_time = excluded.end_time`,
      ),
      recentOf: db.prepare<[number, string, number], { data: string }>(RECENT_RECORDS_SQL),
      insertRecord: db.prepare(
        `INSERT OR REPLACE INTO call_records (sdkappid, call_id, start_time, end_time, call_result, call_type, data)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
    };
  }

  async get(sdkAppId: number, callId: string): Promise<Call | undefined> {
    const row = this.stmts.get.get(sdkAppId, callId);
    return row ? (JSON.parse(row.data) as Call) : undefined;
  }

  async insert(call: Call): Promise<void> {
    this.stmts.insert.run(call.sdkAppId, call.callId, JSON.stringify(call));
    this.writeMembers(call);
  }

  async update(call: Call): Promise<void> {
    this.stmts.update.run(JSON.stringify(call), call.sdkAppId, call.callId);
    this.stmts.deleteMembers.run(call.sdkAppId, call.callId);
    this.writeMembers(call);
  }

  async delete(sdkAppId: number, callId: string): Promise<void> {
    this.stmts.delete.run(sdkAppId, callId);
    this.stmts.deleteMembers.run(sdkAppId, callId);
  }

  async busyUsers(sdkAppId: number, userIds: string[]): Promise<Set<string>> {
    return new Set(userIds.filter((id) => this.stmts.callsOf.get(sdkAppId, id) !== undefined));
  }

  async liveCallIdsOf(sdkAppId: number, userId: string): Promise<string[]> {
    return this.stmts.callsOf.all(sdkAppId, userId).map((r) => r.call_id);
  }

  async insertRecord(sdkAppId: number, record: CallRecord): Promise<void> {
    this.stmts.insertRecord.run(
      sdkAppId,
      record.CallId,
      record.StartTime,
      record.EndTime,
      record.CallResult,
      record.CallType,
      JSON.stringify(record),
    );
    for (const userId of new Set(record.CalleeList_Account)) {
      this.stmts.insertRecordMember.run(sdkAppId, userId, record.CallId, record.StartTime, record.EndTime);
    }
  }

  async recentRecordsOf(sdkAppId: number, userId: string, limit: number): Promise<CallRecord[]> {
    return this.stmts.recentOf.all(sdkAppId, userId, limit).map((r) => JSON.parse(r.data) as CallRecord);
  }

  async getRecord(sdkAppId: number, callId: string): Promise<CallRecord | undefined> {
    const row = this.stmts.getRecord.get(sdkAppId, callId);
    return row ? (JSON.parse(row.data) as CallRecord) : undefined;
  }

  async findRecords(
    sdkAppId: number,
    filter: RecordFilter,
    offset: number,
    limit: number,
  ): Promise<{ total: number; records: CallRecord[] }> {
    let where = 'sdkappid = ? AND start_time >= ? AND start_time <= ?';
    const params: (string | number)[] = [sdkAppId, filter.startTime, filter.endTime];
    if (filter.callResult !== undefined) {
      where += ' AND call_result = ?';
      params.push(filter.callResult);
    }
    if (filter.callType !== undefined) {
      where += ' AND call_type = ?';
      params.push(filter.callType);
    }
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM call_records WHERE ${where}`).get(...params) as { n: number }).n;
    const rows = this.db
      .prepare(`SELECT data FROM call_records WHERE ${where} ORDER BY start_time DESC, call_id LIMIT ? OFFSET ?`)
      .all(...params, limit, offset) as { data: string }[];
    return { total, records: rows.map((r) => JSON.parse(r.data) as CallRecord) };
  }

  async listLive(): Promise<Call[]> {
    return this.stmts.listLive.all().map((r) => JSON.parse(r.data) as Call);
  }

  async liveCounts(): Promise<{ calls: number; members: number }> {
    return this.stmts.liveCounts.get()!;
  }

  /** A robot caller is left out: it has no connection and is never busy (SPEC §2.4). */
  private writeMembers(call: Call): void {
    for (const m of call.members) {
      if (call.robotCaller && m.userId === call.callerId) continue;
      this.stmts.insertMember.run(call.sdkAppId, m.userId, call.callId);
    }
  }
}
