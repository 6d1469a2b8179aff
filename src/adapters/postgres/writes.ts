/**
 * The writes of a step, held back and sent as one statement. A step writes its call, the call's
 * member index, timers, its record and outbox rows: one round trip each, one after another, was
 * most of what a call cost on PostgreSQL (issue 14). None of them returns anything the use case
 * reads, so they wait in this buffer and go out together, as one statement of data-modifying
 * `WITH` parts, with the next statement that could see them or with the COMMIT (see PgTx).
 *
 * Each part writes rows by their key with scalar parameters, so the statement's plan is cached
 * on the connection; parts that joined against `unnest($array)` were planned anew at every
 * execution and cost the server more than the round trips they saved. A statement is named
 * after its parts (`dt_w_cumdmitco1`: call update, members deleted and inserted, a timer
 * cancelled, one outbox row), so each shape is prepared once per connection.
 *
 * One statement sees one snapshot, and a row must not be changed twice in it: the buffer keeps
 * at most one write per key (the last of a timer or a record, an update folded into the insert or
 * update before it, a delete after an update), and a write it cannot fold in (a call deleted
 * then inserted again) sends what is held first. Member rows are rewritten as a difference
 * (delete those no longer listed, insert the listed ones that are missing), so no row is both
 * deleted and inserted. Outbox rows are inserted in the order they were added: their `seq` keeps
 * the order of a call's callbacks.
 */
import { createHash } from 'node:crypto';
import type { NewOutboxEntry } from '../../app/ports.js';
import { originOf } from '../../callbacks/render.js';
import type { TimerKind } from '../../domain/effects.js';
import type { CallRecord } from '../../domain/types.js';
import type { Statement } from './db.js';

/** What a call write does. */
type CallOp = 'insert' | 'update' | 'delete';

interface CallWrite {
  op: CallOp;
  sdkAppId: number;
  callId: string;
  /** The call's JSON (insert, update). */
  data: string;
  /** Its member index after the write (empty for a delete). */
  members: string[];
}

interface TimerWrite {
  sdkAppId: number;
  callId: string;
  kind: TimerKind;
  userId: string;
  /** Unix ms when set; undefined when cancelled. */
  dueAt: number | undefined;
}

/** One `WITH` part of the statement: its SQL, given how to name its parameters, and their values. */
interface Part {
  /** Names the part's kind (and row count) in the statement's name. */
  key: string;
  sql: (p: (i: number) => string) => string;
  values: unknown[];
}

const key = (...parts: (string | number)[]) => parts.join('\u0000');

/** Writes held until the next statement that could see them, or the commit. */
export class WriteBuffer {
  private calls = new Map<string, CallWrite>();
  private timers = new Map<string, TimerWrite>();
  private records = new Map<string, { sdkAppId: number; record: CallRecord }>();
  private outbox: NewOutboxEntry[] = [];
  /** Statement text per combination of parts, built once. */
  private static readonly texts = new Map<string, string>();

  get empty(): boolean {
    return this.calls.size === 0 && this.timers.size === 0 && this.records.size === 0 && this.outbox.length === 0;
  }

  /**
   * Holds a call write; false when it cannot be folded into the write already held for the call
   * (send what is held, then hold it again).
   */
  call(op: CallOp, sdkAppId: number, callId: string, data: string, members: string[]): boolean {
    const k = key(sdkAppId, callId);
    const held = this.calls.get(k);
    if (held) {
      if (op === 'update' && held.op !== 'delete') {
        held.data = data;
        held.members = members;
        return true;
      }
      if (op === 'delete' && held.op === 'update') {
        this.calls.set(k, { op, sdkAppId, callId, data: '', members: [] });
        return true;
      }
      return false;
    }
    this.calls.set(k, { op, sdkAppId, callId, data, members });
    return true;
  }

  /** Holds a timer armed (`dueAt`) or cancelled (undefined): the last write of a timer is what it ends as. */
  timer(sdkAppId: number, callId: string, kind: TimerKind, userId: string, dueAt: number | undefined): void {
    const k = key(sdkAppId, callId, kind, userId);
    this.timers.delete(k);
    this.timers.set(k, { sdkAppId, callId, kind, userId, dueAt });
  }

  /** Holds a record, replacing one held for the same call. */
  record(sdkAppId: number, record: CallRecord): void {
    this.records.set(key(sdkAppId, record.CallId), { sdkAppId, record });
  }

  /** Holds an outbox row, after those held already. */
  add(entry: NewOutboxEntry): void {
    this.outbox.push(entry);
  }

  /** The statement that makes every held write, and an empty buffer; undefined when nothing is held. */
  take(): Statement | undefined {
    if (this.empty) return undefined;
    const parts = [...this.callParts(), ...this.timerParts(), ...this.recordParts(), ...this.recordMemberParts(), ...this.outboxParts()];
    this.calls = new Map();
    this.timers = new Map();
    this.records = new Map();
    this.outbox = [];
    const shape = parts.map((p) => p.key).join('');
    // Statement names are cut at 63 bytes by the server: a long shape goes by its hash.
    const name = shape.length <= 50 ? `dt_w_${shape}` : `dt_w_${createHash('sha1').update(shape).digest('hex').slice(0, 20)}`;
    let text = WriteBuffer.texts.get(name);
    if (text === undefined) {
      let n = 0;
      const ctes = parts.map((part, i) => {
        const base = n;
        n += part.values.length;
        return `w${i} AS (${part.sql((k) => `$${base + k}`)})`;
      });
      text = `WITH ${ctes.join(',\n')}\nSELECT 1`;
      WriteBuffer.texts.set(name, text);
    }
    return { name, text, values: parts.flatMap((p) => p.values) };
  }

  private callParts(): Part[] {
    const parts: Part[] = [];
    for (const c of this.calls.values()) {
      const k = [c.sdkAppId, c.callId];
      if (c.op === 'insert')
        parts.push({
          key: 'ci',
          sql: (p) => `INSERT INTO calls (sdkappid, call_id, data) VALUES (${p(1)}, ${p(2)}, ${p(3)})`,
          values: [...k, c.data],
        });
      if (c.op === 'update') {
        parts.push({
          key: 'cu',
          sql: (p) => `UPDATE calls SET data = ${p(3)} WHERE sdkappid = ${p(1)} AND call_id = ${p(2)}`,
          values: [...k, c.data],
        });
        // The member rows no longer listed.
        parts.push({
          key: 'md',
          sql: (p) => `DELETE FROM call_members WHERE sdkappid = ${p(1)} AND call_id = ${p(2)} AND user_id <> ALL (${p(3)}::text[])`,
          values: [...k, c.members],
        });
      }
      if (c.op === 'delete') {
        parts.push({ key: 'cd', sql: (p) => `DELETE FROM calls WHERE sdkappid = ${p(1)} AND call_id = ${p(2)}`, values: k });
        parts.push({ key: 'ma', sql: (p) => `DELETE FROM call_members WHERE sdkappid = ${p(1)} AND call_id = ${p(2)}`, values: k });
      }
      // The listed member rows that are missing.
      if (c.members.length > 0) {
        parts.push({
          key: 'mi',
          sql: (
            p,
          ) => `INSERT INTO call_members (sdkappid, user_id, call_id) SELECT ${p(1)}::bigint, u, ${p(2)}::text FROM unnest(${p(3)}::text[]) AS u
            ON CONFLICT DO NOTHING`,
          values: [...k, c.members],
        });
      }
    }
    return parts;
  }

  private timerParts(): Part[] {
    return [...this.timers.values()].map((t): Part => {
      const k = [t.sdkAppId, t.callId, t.kind, t.userId];
      if (t.dueAt === undefined) {
        return {
          key: 'tc',
          sql: (p) => `DELETE FROM timers WHERE sdkappid = ${p(1)} AND call_id = ${p(2)} AND kind = ${p(3)} AND user_id = ${p(4)}`,
          values: k,
        };
      }
      return {
        key: 'ts',
        sql: (p) => `INSERT INTO timers (sdkappid, call_id, kind, user_id, due_at) VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)})
          ON CONFLICT (sdkappid, call_id, kind, user_id) DO UPDATE SET due_at = excluded.due_at, lease_until = 0`,
        values: [...k, t.dueAt],
      };
    });
  }

  private recordParts(): Part[] {
    return [...this.records.values()].map(({ sdkAppId, record: r }) => ({
      key: 'rs',
      sql: (p) => `INSERT INTO call_records (sdkappid, call_id, start_time, end_time, call_result, call_type, data)
        VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)}, ${p(7)})
        ON CONFLICT (sdkappid, call_id) DO UPDATE SET start_time = excluded.start_time, end_time = excluded.end_time,
          call_result = excluded.call_result, call_type = excluded.call_type, data = excluded.data`,
      values: [sdkAppId, r.CallId, r.StartTime, r.EndTime, r.CallResult, r.CallType, JSON.stringify(r)],
    }));
  }

  /** Each held record's members, for a user's recent calls (getRecentCalls). */
  private recordMemberParts(): Part[] {
    return [...this.records.values()].map(({ sdkAppId, record: r }) => ({
      key: 'rm',
      sql: (p) => `INSERT INTO call_record_members (sdkappid, user_id, call_id, start_time, end_time)
        SELECT ${p(1)}::bigint, u, ${p(2)}::text, ${p(3)}::bigint, ${p(4)}::bigint FROM unnest(${p(5)}::text[]) AS u
        ON CONFLICT (sdkappid, user_id, call_id) DO UPDATE SET start_time = excluded.start_time, end_time = excluded.end_time`,
      values: [sdkAppId, r.CallId, r.StartTime, r.EndTime, [...new Set(r.CalleeList_Account)]],
    }));
  }

  /** One multi-row INSERT: VALUES rows are inserted, and their seq handed out, in the order listed. */
  private outboxParts(): Part[] {
    const all = this.outbox;
    if (all.length === 0) return [];
    const COLUMNS = 9;
    return [
      {
        key: `o${all.length}`,
        sql: (
          p,
        ) => `INSERT INTO outbox (id, sdkappid, call_id, command, url, origin, ordered, body, next_attempt_at, created_at, updated_at)
          VALUES ${all
            .map((_, r) => {
              const v = (c: number) => p(r * COLUMNS + c);
              return `(${v(1)}, ${v(2)}, ${v(3)}, ${v(4)}, ${v(5)}, ${v(6)}, ${v(7)}, ${v(8)}, ${v(9)}, ${v(9)}, ${v(9)})`;
            })
            .join(', ')}`,
        values: all.flatMap((e) => [e.id, e.sdkAppId, e.callId, e.command, e.url, originOf(e.url), e.ordered, e.body, e.createdAt]),
      },
    ];
  }
}
