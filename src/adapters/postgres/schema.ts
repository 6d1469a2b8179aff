/**
 * PostgreSQL schema, as ordered migrations tracked in `dialtone_migrations`. Append only: a
 * shipped migration never changes. Migration `i` (0-based) is version `i + 1`.
 *
 * It mirrors the final SQLite schema (src/adapters/sqlite/schema.ts) with these choices:
 * - times are BIGINT unix ms, except `call_records.start_time`/`end_time` (unix seconds, as the
 *   records carry them); BIGINT comes back as a JS number (see the pool's type parsers);
 * - `sdkappid` is BIGINT (an SDKAppID may exceed 2^31 - 1);
 * - JSON documents (`calls.data`, `call_records.data`, `apps.admins`, …) are TEXT: they are only
 *   ever read back whole, exactly as written;
 * - ids that are sorted on or range-scanned (`call_id`, `user_id`, `origin`) use the "C"
 *   collation: byte order, as SQLite compares, and cheaper than a locale;
 * - `outbox.seq` is an identity column. Unlike SQLite's rowid it is handed out at insert, not at
 *   commit; a call's entries still come in commit order because every transaction that writes
 *   them holds the call's row lock (see PgCallRepo.get).
 */

/** Advisory lock key held while migrating, so processes starting together migrate once. */
export const MIGRATION_LOCK_KEY = 0x4469_616c_746f_6e65n; // "Dialtone"

export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE apps (
    sdkappid BIGINT PRIMARY KEY,
    secret_key TEXT NOT NULL,
    admins TEXT NOT NULL,
    webhook_secret TEXT NOT NULL,
    previous_webhook_secret TEXT,
    previous_webhook_secret_until BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
  );
  CREATE TABLE callback_config (
    sdkappid BIGINT PRIMARY KEY,
    url TEXT NOT NULL,
    commands TEXT NOT NULL
  );
  CREATE TABLE callback_token (
    sdkappid BIGINT PRIMARY KEY,
    token TEXT NOT NULL,
    enabled BOOLEAN NOT NULL
  );
  CREATE TABLE delivery_policy (
    sdkappid BIGINT PRIMARY KEY,
    data TEXT NOT NULL
  );
  CREATE TABLE calls (
    sdkappid BIGINT NOT NULL,
    call_id TEXT COLLATE "C" NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (sdkappid, call_id)
  );
  CREATE TABLE call_members (
    sdkappid BIGINT NOT NULL,
    user_id TEXT COLLATE "C" NOT NULL,
    call_id TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (sdkappid, user_id, call_id)
  );
  CREATE INDEX call_members_by_call ON call_members (sdkappid, call_id);
  CREATE TABLE call_records (
    sdkappid BIGINT NOT NULL,
    call_id TEXT COLLATE "C" NOT NULL,
    start_time BIGINT NOT NULL,
    end_time BIGINT NOT NULL,
    call_result TEXT NOT NULL,
    call_type TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (sdkappid, call_id)
  );
  CREATE INDEX call_records_by_start ON call_records (sdkappid, start_time);
  CREATE TABLE outbox (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    sdkappid BIGINT NOT NULL,
    call_id TEXT COLLATE "C" NOT NULL,
    command TEXT NOT NULL,
    url TEXT NOT NULL,
    origin TEXT COLLATE "C" NOT NULL,
    ordered BOOLEAN NOT NULL DEFAULT TRUE,
    body TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    resend_base INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_until BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    delivered_at BIGINT,
    last_error TEXT,
    last_http_status INTEGER
  );
  CREATE INDEX outbox_pending_origin ON outbox (origin, seq) WHERE status = 'pending';
  CREATE INDEX outbox_pending_due ON outbox (next_attempt_at) WHERE status = 'pending';
  CREATE INDEX outbox_by_call ON outbox (sdkappid, call_id, seq);
  CREATE INDEX outbox_created ON outbox (created_at);
  CREATE INDEX outbox_by_app ON outbox (sdkappid, created_at);
  CREATE TABLE callback_attempts (
    outbox_id TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    started_at BIGINT NOT NULL,
    http_status INTEGER,
    latency_ms INTEGER NOT NULL,
    error TEXT,
    response_excerpt TEXT,
    PRIMARY KEY (outbox_id, attempt)
  );
  CREATE TABLE timers (
    sdkappid BIGINT NOT NULL,
    call_id TEXT COLLATE "C" NOT NULL,
    kind TEXT NOT NULL,
    user_id TEXT COLLATE "C" NOT NULL,
    due_at BIGINT NOT NULL,
    lease_until BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (sdkappid, call_id, kind, user_id)
  );
  CREATE INDEX timers_due ON timers (due_at);
  `,
  // Quarantine, as in the SQLite schema: a due row that its own key does not address is marked
  // and never claimed again; a quarantined outbox row is also failed.
  `
  ALTER TABLE timers ADD COLUMN quarantined BOOLEAN NOT NULL DEFAULT FALSE;
  DROP INDEX timers_due;
  CREATE INDEX timers_due ON timers (due_at) WHERE NOT quarantined;
  ALTER TABLE outbox ADD COLUMN quarantined BOOLEAN NOT NULL DEFAULT FALSE;
  `,
  // An app's call rules (SPEC §5.2: OpenGroupJoin), a JSON document as the delivery policy is.
  `
  CREATE TABLE call_policy (
    sdkappid BIGINT PRIMARY KEY,
    data TEXT NOT NULL
  );
  `,
  // Pending callbacks are claimed per (origin, app) pair, not per origin: one app's backlog must
  // not stop another app's callbacks to the same receiver being claimed. (The origin leads so
  // that the per-call look-up of earlier entries keeps using outbox_by_call: an index led by
  // sdkappid would be chosen for it while statistics are stale, and that look-up scans the app's
  // whole backlog per candidate.)
  `
  DROP INDEX outbox_pending_origin;
  CREATE INDEX outbox_pending_lane ON outbox (origin, sdkappid, seq) WHERE status = 'pending';
  `,
  // The busy check of a call start in one round trip (issue 14): the advisory lock per user, in
  // the order given, then the read. Each statement of a VOLATILE function takes a fresh snapshot
  // (READ COMMITTED), so the read sees what a transaction that held a lock committed before
  // releasing it, as when the two were separate statements. Same lock keys as before
  // (lockKeySql in db.ts), so processes of either version exclude each other.
  `
  CREATE FUNCTION dialtone_busy_users(p_app BIGINT, p_users TEXT[]) RETURNS TEXT[] LANGUAGE plpgsql VOLATILE AS $$
  DECLARE
    u TEXT;
    busy TEXT[] := '{}';
  BEGIN
    FOREACH u IN ARRAY p_users LOOP
      PERFORM pg_advisory_xact_lock(hashtextextended(coalesce(current_schema(), '') || ':' || 'busy:' || p_app::text || ':' || u, 0));
    END LOOP;
    -- One key look-up per user: its plan is cached, where a look-up of the whole array is planned anew each time.
    FOREACH u IN ARRAY p_users LOOP
      IF EXISTS (SELECT 1 FROM call_members WHERE sdkappid = p_app AND user_id = u) THEN
        busy := busy || u;
      END IF;
    END LOOP;
    RETURN busy;
  END $$;
  `,
  // A callback claim in one round trip (issue 14): what PgOutboxRepo.claimDue did in one
  // statement per (origin, app) pair, the same statements in the same order. Each takes a fresh
  // snapshot (VOLATILE, READ COMMITTED), so a pair's claim sees what the app's previous claimer
  // committed before its advisory lock was free; same lock keys as before. Claimed rows come with
  // limited = FALSE, then one row of NULLs whose `limited` says whether a pair's share ran out.
  `
  CREATE FUNCTION dialtone_claim_outbox(p_now BIGINT, p_lease BIGINT, p_limit INT, p_skip BIGINT[])
  RETURNS TABLE (seq BIGINT, id TEXT, sdkappid BIGINT, call_id TEXT, command TEXT, url TEXT, body TEXT, created_at BIGINT,
    attempts INT, resend_base INT, limited BOOLEAN)
  LANGUAGE plpgsql VOLATILE AS $$
  #variable_conflict use_column
  DECLARE
    lane_origins TEXT[];
    lane_apps BIGINT[];
    lanes INT;
    refused BIGINT[] := '{}';
    left_over INT := p_limit;
    share INT;
    got INT;
    is_limited BOOLEAN := FALSE;
  BEGIN
    -- A skip-scan: one index probe per (origin, app) pair with pending rows.
    WITH RECURSIVE lane(origin, sdkappid) AS (
        (SELECT origin, sdkappid FROM outbox WHERE status = 'pending' ORDER BY origin, sdkappid LIMIT 1)
        UNION ALL
        SELECT n.origin, n.sdkappid FROM lane, LATERAL (
          SELECT origin, sdkappid FROM outbox WHERE status = 'pending' AND (origin, sdkappid) > (lane.origin, lane.sdkappid)
          ORDER BY origin, sdkappid LIMIT 1) AS n)
    SELECT array_agg(l.origin ORDER BY l.origin, l.sdkappid), array_agg(l.sdkappid ORDER BY l.origin, l.sdkappid)
      INTO lane_origins, lane_apps FROM lane AS l WHERE l.sdkappid <> ALL (p_skip);
    lanes := coalesce(array_length(lane_apps, 1), 0);
    FOR i IN 1..lanes LOOP
      EXIT WHEN left_over <= 0;
      share := ceil(left_over::numeric / (lanes - i + 1));
      CONTINUE WHEN lane_apps[i] = ANY (refused);
      -- Claimers of one app take turns, whatever origin; an app being claimed elsewhere is skipped.
      IF NOT pg_try_advisory_xact_lock(hashtextextended(coalesce(current_schema(), '') || ':' || 'outbox-app:' || lane_apps[i]::text, 0)) THEN
        refused := refused || lane_apps[i];
        CONTINUE;
      END IF;
      RETURN QUERY UPDATE outbox AS t SET lease_until = p_lease
        FROM (SELECT o.seq FROM outbox AS o
              WHERE o.status = 'pending' AND o.origin = lane_origins[i] AND o.sdkappid = lane_apps[i]
                AND o.next_attempt_at <= p_now AND o.lease_until <= p_now
                AND (NOT o.ordered OR NOT EXISTS (SELECT 1 FROM outbox AS earlier WHERE earlier.sdkappid = o.sdkappid
                  AND earlier.call_id = o.call_id AND earlier.status = 'pending' AND earlier.seq < o.seq
                  AND (earlier.lease_until > p_now OR earlier.next_attempt_at > p_now OR earlier.origin <> o.origin)))
              ORDER BY o.seq LIMIT share FOR UPDATE OF o SKIP LOCKED) AS due
        WHERE t.seq = due.seq
        RETURNING t.seq, t.id, t.sdkappid, t.call_id, t.command, t.url, t.body, t.created_at, t.attempts, t.resend_base, FALSE;
      GET DIAGNOSTICS got = ROW_COUNT;
      left_over := left_over - got;
      IF got = share THEN
        is_limited := TRUE;
      END IF;
    END LOOP;
    RETURN QUERY SELECT NULL::BIGINT, NULL::TEXT, NULL::BIGINT, NULL::TEXT, NULL::TEXT, NULL::TEXT, NULL::TEXT, NULL::BIGINT,
      NULL::INT, NULL::INT, is_limited;
  END $$;
  `,
  // getRecentCalls (SPEC §4): each record once per member (CalleeList_Account holds the caller
  // too), indexed by user and time, so a user's latest records are a short index walk rather
  // than a scan of the app's records. Records written before this migration are indexed here.
  `
  CREATE TABLE call_record_members (
    sdkappid BIGINT NOT NULL,
    user_id TEXT COLLATE "C" NOT NULL,
    call_id TEXT COLLATE "C" NOT NULL,
    start_time BIGINT NOT NULL,
    end_time BIGINT NOT NULL,
    PRIMARY KEY (sdkappid, user_id, call_id)
  );
  CREATE INDEX call_record_members_recent ON call_record_members (sdkappid, user_id, start_time, end_time, call_id);
  INSERT INTO call_record_members (sdkappid, user_id, call_id, start_time, end_time)
    SELECT r.sdkappid, m.u, r.call_id, r.start_time, r.end_time
    FROM call_records AS r, json_array_elements_text(r.data::json -> 'CalleeList_Account') AS m(u)
    ON CONFLICT DO NOTHING;
  `,
];
