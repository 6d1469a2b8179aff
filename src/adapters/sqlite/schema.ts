/**
 * SQLite schema, as ordered migrations tracked by `PRAGMA user_version`. Append only: a shipped
 * migration never changes.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE apps (
    sdkappid INTEGER PRIMARY KEY,
    secret_key TEXT NOT NULL,
    admins TEXT NOT NULL,
    webhook_secret TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE callback_config (
    sdkappid INTEGER PRIMARY KEY,
    url TEXT NOT NULL,
    commands TEXT NOT NULL
  );
  CREATE TABLE callback_token (
    sdkappid INTEGER PRIMARY KEY,
    token TEXT NOT NULL,
    enabled INTEGER NOT NULL
  );
  CREATE TABLE calls (
    sdkappid INTEGER NOT NULL,
    call_id TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (sdkappid, call_id)
  );
  CREATE TABLE call_members (
    sdkappid INTEGER NOT NULL,
    user_id TEXT NOT NULL,
    call_id TEXT NOT NULL,
    PRIMARY KEY (sdkappid, user_id, call_id)
  );
  CREATE TABLE call_records (
    sdkappid INTEGER NOT NULL,
    call_id TEXT NOT NULL,
    start_time INTEGER NOT NULL,
    end_time INTEGER NOT NULL,
    call_result TEXT NOT NULL,
    call_type TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (sdkappid, call_id)
  );
  CREATE INDEX call_records_by_start ON call_records (sdkappid, start_time);
  CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    sdkappid INTEGER NOT NULL,
    call_id TEXT NOT NULL,
    command TEXT NOT NULL,
    url TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_until INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
  CREATE INDEX outbox_by_call ON outbox (sdkappid, call_id, status, seq);
  CREATE TABLE callback_attempts (
    outbox_id TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    http_status INTEGER,
    latency_ms INTEGER NOT NULL,
    error TEXT,
    response_excerpt TEXT,
    PRIMARY KEY (outbox_id, attempt)
  );
  CREATE TABLE timers (
    sdkappid INTEGER NOT NULL,
    call_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    user_id TEXT NOT NULL,
    due_at INTEGER NOT NULL,
    lease_until INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (sdkappid, call_id, kind, user_id)
  );
  CREATE INDEX timers_due ON timers (due_at);
  `,
  `
  ALTER TABLE outbox ADD COLUMN origin TEXT NOT NULL DEFAULT '';
  ALTER TABLE outbox ADD COLUMN ordered INTEGER NOT NULL DEFAULT 1;
  ALTER TABLE outbox ADD COLUMN resend_base INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE outbox ADD COLUMN last_error TEXT;
  ALTER TABLE outbox ADD COLUMN last_http_status INTEGER;
  ALTER TABLE outbox ADD COLUMN delivered_at INTEGER;
  CREATE INDEX outbox_by_app ON outbox (sdkappid, created_at);
  CREATE INDEX outbox_settled ON outbox (status, updated_at);
  ALTER TABLE apps ADD COLUMN previous_webhook_secret TEXT;
  ALTER TABLE apps ADD COLUMN previous_webhook_secret_until INTEGER NOT NULL DEFAULT 0;
  CREATE TABLE delivery_policy (
    sdkappid INTEGER PRIMARY KEY,
    data TEXT NOT NULL
  );
  `,
  `
  CREATE INDEX outbox_pending_origin ON outbox (origin, seq) WHERE status = 'pending';
  CREATE INDEX outbox_pending_lease ON outbox (lease_until) WHERE status = 'pending';
  `,
  `
  DROP INDEX outbox_pending_lease;
  DROP INDEX outbox_due;
  CREATE INDEX outbox_pending_due ON outbox (next_attempt_at) WHERE status = 'pending';
  `,
  // Settling an attempt should touch as few b-trees as possible: the per-call and pruning
  // indexes move to columns that never change, and an attempt is one b-tree entry, not two.
  `
  DROP INDEX outbox_by_call;
  CREATE INDEX outbox_by_call ON outbox (sdkappid, call_id, seq);
  DROP INDEX outbox_settled;
  CREATE INDEX outbox_created ON outbox (created_at);
  CREATE TABLE callback_attempts_v5 (
    outbox_id TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    http_status INTEGER,
    latency_ms INTEGER NOT NULL,
    error TEXT,
    response_excerpt TEXT,
    PRIMARY KEY (outbox_id, attempt)
  ) WITHOUT ROWID;
  INSERT INTO callback_attempts_v5 SELECT outbox_id, attempt, started_at, http_status, latency_ms, error, response_excerpt FROM callback_attempts;
  DROP TABLE callback_attempts;
  ALTER TABLE callback_attempts_v5 RENAME TO callback_attempts;
  `,
  // Every callback written updates every index of the outbox: the two that only the hourly
  // prune and the once-a-minute retry look-up used are dropped (those now walk the per-app
  // index and the pending rows instead).
  `
  DROP INDEX outbox_created;
  DROP INDEX outbox_pending_due;
  `,
  // Quarantine: a due row that its own key does not address (see QuarantinedRow in
  // src/app/ports.ts) is marked, by rowid, and never claimed again. A quarantined outbox row is
  // also failed, so every query of pending rows leaves it alone; the mark keeps resends off it.
  `
  ALTER TABLE timers ADD COLUMN quarantined INTEGER NOT NULL DEFAULT 0;
  DROP INDEX timers_due;
  CREATE INDEX timers_due ON timers (due_at) WHERE quarantined = 0;
  ALTER TABLE outbox ADD COLUMN quarantined INTEGER NOT NULL DEFAULT 0;
  `,
  // An app's call rules (SPEC §5.2: OpenGroupJoin), a JSON document as the delivery policy is.
  `
  CREATE TABLE call_policy (
    sdkappid INTEGER PRIMARY KEY,
    data TEXT NOT NULL
  );
  `,
  // Pending callbacks are claimed per (origin, app) pair, not per origin: one app's backlog must
  // not stop another app's callbacks to the same receiver being claimed. (The origin leads so
  // that the per-call look-up of earlier entries keeps using outbox_by_call.)
  `
  DROP INDEX outbox_pending_origin;
  CREATE INDEX outbox_pending_lane ON outbox (origin, sdkappid, seq) WHERE status = 'pending';
  `,
  // getRecentCalls (SPEC §4): each record once per member (CalleeList_Account holds the caller
  // too), indexed by user and time, so a user's latest records are a short index walk rather
  // than a scan of the app's records. Records written before this migration are indexed here.
  `
  CREATE TABLE call_record_members (
    sdkappid INTEGER NOT NULL,
    user_id TEXT NOT NULL,
    call_id TEXT NOT NULL,
    start_time INTEGER NOT NULL,
    end_time INTEGER NOT NULL,
    PRIMARY KEY (sdkappid, user_id, call_id)
  ) WITHOUT ROWID;
  CREATE INDEX call_record_members_recent ON call_record_members (sdkappid, user_id, start_time, end_time, call_id);
  INSERT OR IGNORE INTO call_record_members (sdkappid, user_id, call_id, start_time, end_time)
    SELECT r.sdkappid, m.value, r.call_id, r.start_time, r.end_time
    FROM call_records AS r, json_each(r.data, '$.CalleeList_Account') AS m;
  `,
];
