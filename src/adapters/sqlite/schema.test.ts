import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from './schema.js';
import { openDatabase } from './storage.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('SQLite migrations', () => {
  it('upgrade a version-4 database without losing callbacks or their attempts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dialtone-schema-'));
    dirs.push(dir);
    const file = join(dir, 'old.db');
    const old = new Database(file);
    for (const m of MIGRATIONS.slice(0, 4)) old.exec(m);
    old.pragma('user_version = 4');
    old
      .prepare(
        `INSERT INTO outbox (id, sdkappid, call_id, command, url, origin, body, status, attempts, next_attempt_at, created_at, updated_at)
         VALUES ('msg_1', 1400000000, 'c1', 'Call.CallbackAfterStartCall', 'http://r/cb', 'http://r', '{}', 'failed', 2, 0, 5, 6)`,
      )
      .run();
    const attempt = old.prepare(
      `INSERT INTO callback_attempts (outbox_id, attempt, started_at, http_status, latency_ms, error, response_excerpt) VALUES ('msg_1', ?, ?, 500, 3, 'HTTP 500', 'no')`,
    );
    attempt.run(1, 10);
    attempt.run(2, 20);
    old.close();

    const db = openDatabase(file);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(db.prepare('SELECT id, status, attempts FROM outbox').all()).toEqual([{ id: 'msg_1', status: 'failed', attempts: 2 }]);
    expect(db.prepare('SELECT attempt, started_at, http_status, error FROM callback_attempts ORDER BY attempt').all()).toEqual([
      { attempt: 1, started_at: 10, http_status: 500, error: 'HTTP 500' },
      { attempt: 2, started_at: 20, http_status: 500, error: 'HTTP 500' },
    ]);
    db.close();
  });

  it('index the records written before the recent-calls migration under each of their members', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dialtone-schema-'));
    dirs.push(dir);
    const file = join(dir, 'old.db');
    const old = new Database(file);
    for (const m of MIGRATIONS.slice(0, -1)) old.exec(m);
    old.pragma(`user_version = ${MIGRATIONS.length - 1}`);
    const record = { CallId: 'c1', Caller_Account: 'alice', CalleeList_Account: ['alice', 'bob'], StartTime: 100, EndTime: 160 };
    old
      .prepare(
        `INSERT INTO call_records (sdkappid, call_id, start_time, end_time, call_result, call_type, data) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(1400000000, 'c1', 100, 160, 'NormalEnd', 'SingleCall', JSON.stringify(record));
    old.close();

    const db = openDatabase(file);
    expect(db.prepare('SELECT user_id, call_id, start_time, end_time FROM call_record_members ORDER BY user_id').all()).toEqual([
      { user_id: 'alice', call_id: 'c1', start_time: 100, end_time: 160 },
      { user_id: 'bob', call_id: 'c1', start_time: 100, end_time: 160 },
    ]);
    db.close();
  });
});
