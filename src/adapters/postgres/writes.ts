/**
 * The writes of a step, held back and sent as one statement. A step writes its call, the call's
 * member index, timers, its record and outbox rows: one round trip each, one after another, was
 * most of what a call cost on PostgreSQL (issue 14). None of them returns anything the use case
 * reads, so they wait in this buffer and go out together, as one statement of data-modifying
 * `WITH` parts, before the next statement that could see them or at commit.
 *
 * One statement sees one snapshot, and a row must not be changed twice in it: the buffer keeps
 * at most one write per key (the last of a timer or a record, an update folded into the insert or
 * update before it, a delete after an update), and a write it cannot fold in (a call deleted
 * then inserted again) sends what is held first. Member rows are rewritten as a difference
 * (delete those no longer listed, insert the listed ones that are missing), so no row is both
 * deleted and inserted. Outbox rows are inserted in the order they were added: their `seq` keeps
 * the order of a call's callbacks.
 */
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
    const parts = [...this.callParts(), ...this.timerParts(), ...this.recordParts(), ...this.outboxParts()];
    this.calls = new Map();
    this.timers = new Map();
    this.records = new Map();
    this.outbox = [];
    const name = `dt_w_${parts.map((p) => p.key).join('')}`;
    let text = WriteBuffer.texts.get(name);
    if (text === undefined) {
      let n = 0;
      const ctes = parts.map((part) => {
        const base = n;
        n += part.values.length;
        return `${part.key} AS (${part.sql((i) => `$${base + i}`)})`;
      });
      text = `WITH ${ctes.join(',\n')}\nSELECT 1`;
      WriteBuffer.texts.set(name, text);
    }
    return { name, text, values: parts.flatMap((p) => p.values) };
  }

  private callParts(): Part[] {
    const all = [...this.calls.values()];
    if (all.length === 0) return [];
    const parts: Part[] = [];
    const of = (op: CallOp) => all.filter((c) => c.op === op);
    const inserts = of('insert');
    if (inserts.length > 0) {
      parts.push({
        key: 'ci',
        sql: (p) => `INSERT INTO calls (sdkappid, call_id, data) SELECT * FROM unnest(${p(1)}::bigint[], ${p(2)}::text[], ${p(3)}::text[])`,
        values: [inserts.map((c) => c.sdkAppId), inserts.map((c) => c.callId), inserts.map((c) => c.data)],
      });
    }
    const updates = of('update');
    if (updates.length > 0) {
      parts.push({
        key: 'cu',
        sql: (p) => `UPDATE calls AS c SET data = u.data
          FROM unnest(${p(1)}::bigint[], ${p(2)}::text[], ${p(3)}::text[]) AS u(sdkappid, call_id, data)
          WHERE c.sdkappid = u.sdkappid AND c.call_id = u.call_id`,
        values: [updates.map((c) => c.sdkAppId), updates.map((c) => c.callId), updates.map((c) => c.data)],
      });
    }
    const deletes = of('delete');
    if (deletes.length > 0) {
      parts.push({
        key: 'cd',
        sql: (p) => `DELETE FROM calls AS c USING unnest(${p(1)}::bigint[], ${p(2)}::text[]) AS d(sdkappid, call_id)
          WHERE c.sdkappid = d.sdkappid AND c.call_id = d.call_id`,
        values: [deletes.map((c) => c.sdkAppId), deletes.map((c) => c.callId)],
      });
    }
    // The member index of every call written: rows no longer listed go, listed ones missing come.
    const members = all.flatMap((c) => c.members.map((userId) => ({ sdkAppId: c.sdkAppId, callId: c.callId, userId })));
    parts.push({
      key: 'md',
      sql: (p) => `DELETE FROM call_members AS m USING unnest(${p(1)}::bigint[], ${p(2)}::text[]) AS d(sdkappid, call_id)
        WHERE m.sdkappid = d.sdkappid AND m.call_id = d.call_id
          AND NOT EXISTS (SELECT 1 FROM unnest(${p(3)}::bigint[], ${p(4)}::text[], ${p(5)}::text[]) AS k(sdkappid, call_id, user_id)
            WHERE k.sdkappid = m.sdkappid AND k.call_id = m.call_id AND k.user_id = m.user_id)`,
      values: [
        all.map((c) => c.sdkAppId),
        all.map((c) => c.callId),
        members.map((m) => m.sdkAppId),
        members.map((m) => m.callId),
        members.map((m) => m.userId),
      ],
    });
    if (members.length > 0) {
      parts.push({
        key: 'mi',
        sql: (p) => `INSERT INTO call_members (sdkappid, user_id, call_id)
          SELECT sdkappid, user_id, call_id FROM unnest(${p(1)}::bigint[], ${p(2)}::text[], ${p(3)}::text[]) AS k(sdkappid, call_id, user_id)
          ON CONFLICT DO NOTHING`,
        values: [members.map((m) => m.sdkAppId), members.map((m) => m.callId), members.map((m) => m.userId)],
      });
    }
    return parts;
  }

  private timerParts(): Part[] {
    const parts: Part[] = [];
    const all = [...this.timers.values()];
    const set = all.filter((t) => t.dueAt !== undefined);
    const cancelled = all.filter((t) => t.dueAt === undefined);
    const keys = (ts: TimerWrite[]) => [ts.map((t) => t.sdkAppId), ts.map((t) => t.callId), ts.map((t) => t.kind), ts.map((t) => t.userId)];
    if (set.length > 0) {
      parts.push({
        key: 'ts',
        sql: (p) => `INSERT INTO timers (sdkappid, call_id, kind, user_id, due_at)
          SELECT * FROM unnest(${p(1)}::bigint[], ${p(2)}::text[], ${p(3)}::text[], ${p(4)}::text[], ${p(5)}::bigint[])
          ON CONFLICT (sdkappid, call_id, kind, user_id) DO UPDATE SET due_at = excluded.due_at, lease_until = 0`,
        values: [...keys(set), set.map((t) => t.dueAt)],
      });
    }
    if (cancelled.length > 0) {
      parts.push({
        key: 'tc',
        sql: (p) => `DELETE FROM timers AS t
          USING unnest(${p(1)}::bigint[], ${p(2)}::text[], ${p(3)}::text[], ${p(4)}::text[]) AS d(sdkappid, call_id, kind, user_id)
          WHERE t.sdkappid = d.sdkappid AND t.call_id = d.call_id AND t.kind = d.kind AND t.user_id = d.user_id`,
        values: keys(cancelled),
      });
    }
    return parts;
  }

  private recordParts(): Part[] {
    const all = [...this.records.values()];
    if (all.length === 0) return [];
    return [
      {
        key: 'rs',
        sql: (p) => `INSERT INTO call_records (sdkappid, call_id, start_time, end_time, call_result, call_type, data)
          SELECT * FROM unnest(${p(1)}::bigint[], ${p(2)}::text[], ${p(3)}::bigint[], ${p(4)}::bigint[], ${p(5)}::text[], ${p(6)}::text[], ${p(7)}::text[])
          ON CONFLICT (sdkappid, call_id) DO UPDATE SET start_time = excluded.start_time, end_time = excluded.end_time,
            call_result = excluded.call_result, call_type = excluded.call_type, data = excluded.data`,
        values: [
          all.map((r) => r.sdkAppId),
          all.map((r) => r.record.CallId),
          all.map((r) => r.record.StartTime),
          all.map((r) => r.record.EndTime),
          all.map((r) => r.record.CallResult),
          all.map((r) => r.record.CallType),
          all.map((r) => JSON.stringify(r.record)),
        ],
      },
    ];
  }

  private outboxParts(): Part[] {
    const all = this.outbox;
    if (all.length === 0) return [];
    return [
      {
        key: 'oa',
        sql: (
          p,
        ) => `INSERT INTO outbox (id, sdkappid, call_id, command, url, origin, ordered, body, next_attempt_at, created_at, updated_at)
          SELECT id, sdkappid, call_id, command, url, origin, ordered, body, created_at, created_at, created_at
          FROM unnest(${p(1)}::text[], ${p(2)}::bigint[], ${p(3)}::text[], ${p(4)}::text[], ${p(5)}::text[], ${p(6)}::text[],
            ${p(7)}::boolean[], ${p(8)}::text[], ${p(9)}::bigint[])
            WITH ORDINALITY AS o(id, sdkappid, call_id, command, url, origin, ordered, body, created_at, n)
          ORDER BY n`,
        values: [
          all.map((e) => e.id),
          all.map((e) => e.sdkAppId),
          all.map((e) => e.callId),
          all.map((e) => e.command),
          all.map((e) => e.url),
          all.map((e) => originOf(e.url)),
          all.map((e) => e.ordered),
          all.map((e) => e.body),
          all.map((e) => e.createdAt),
        ],
      },
    ];
  }
}
