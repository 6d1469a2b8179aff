/**
 * The cluster storage: one PostgreSQL database shared by several Dialtone processes. Unlike the
 * embedded SQLite store nothing serialises the processes' transactions, so the repositories take
 * the locks the use cases rely on: the row of a call being changed (`calls.get` reads it
 * `FOR UPDATE`), an advisory lock per user whose busy state is checked, and claims that skip rows
 * and origins other processes are claiming (see PgOutboxRepo.claimDue, PgTimerRepo.claimDue).
 *
 * Transactions run at READ COMMITTED (set explicitly, whatever the database default): every
 * statement sees what was committed before it started, which is what makes "lock, then read"
 * work. Those that fail on a deadlock (40P01) or a serialization failure (40001) are run again.
 * A transaction's statements travel in as few round trips as what they read allows (tx.ts): a
 * call change is a read and a write, BEGIN and COMMIT riding along.
 */
import pg from 'pg';
import type { Logger } from 'pino';
import type { App, AppRepo, Storage, StorageStats, Tx } from '../../app/ports.js';
import { appValues, toApp, type AppRow } from '../rows.js';
import { PgCallRepo } from './calls.js';
import { StatementBatch } from './batch.js';
import { BEGIN, COMMIT, PgTx, type SendBatch } from './tx.js';
import { PgCallbackConfigRepo } from './callback-config.js';
import { PgCallPolicyRepo } from './call-policy.js';
import { PgOutboxRepo } from './outbox.js';
import { MIGRATIONS, MIGRATION_LOCK_KEY } from './schema.js';
import { PgTimerRepo } from './timers.js';

/** Options of {@link PgStorage.open}. */
export interface PgStorageOptions {
  /** Connection string, e.g. `postgres://user:pass@host:5432/dialtone`. */
  url: string;
  /**
   * Schema holding Dialtone's tables, created if missing; every pooled connection uses it as
   * its `search_path`. Default: the connection's own search path (usually `public`).
   */
  schema?: string;
  /** Most connections the pool opens. Default 10. */
  poolSize?: number;
  log?: Logger;
}

/** Times a transaction is run again after a deadlock or serialization failure. */
const MAX_RETRIES = 5;
const RETRYABLE = new Set(['40001', '40P01']);

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/**
 * Type parsers of this pool only (the global `pg.types` stay as they are): BIGINT (ids, unix ms,
 * `COUNT(*)`) and NUMERIC come back as JS numbers. Every such value Dialtone stores is far
 * below 2^53.
 */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID || oid === NUMERIC_OID ? Number : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

/** `options` startup parameter setting `search_path` to `schema`, quoted and escaped. */
function searchPathOption(schema: string): string {
  // Within `options`, a space separates arguments unless escaped with a backslash.
  return `-c search_path=${pg.escapeIdentifier(schema).replace(/[\\ ]/g, (c) => `\\${c}`)}`;
}

class PgAppRepo implements AppRepo {
  constructor(private readonly pool: pg.Pool) {}

  async list(): Promise<App[]> {
    const { rows } = await this.pool.query<AppRow>(
      `SELECT sdkappid, secret_key, admins, webhook_secret, previous_webhook_secret, previous_webhook_secret_until, created_at
       FROM apps ORDER BY created_at, sdkappid`,
    );
    return rows.map(toApp);
  }

  async upsert(app: App): Promise<void> {
    await this.pool.query(
      `INSERT INTO apps (sdkappid, secret_key, admins, webhook_secret, previous_webhook_secret, previous_webhook_secret_until, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (sdkappid) DO UPDATE SET secret_key = excluded.secret_key, admins = excluded.admins,
         webhook_secret = excluded.webhook_secret, previous_webhook_secret = excluded.previous_webhook_secret,
         previous_webhook_secret_until = excluded.previous_webhook_secret_until`,
      appValues(app),
    );
  }
}

/** {@link Storage} on a PostgreSQL database that several processes share. */
export class PgStorage implements Storage {
  readonly apps: AppRepo;
  /** Round trips of transactions so far (each carries one statement or more): the cost per use case, for metrics. */
  roundTrips = 0;
  /** Statements sent in transactions so far, BEGIN and COMMIT included. */
  statements = 0;
  /** The BEGIN and COMMIT statements among {@link statements}. */
  beginCommits = 0;
  private closed = false;

  private constructor(
    /** The connection pool (exposed for tests and diagnostics). */
    readonly pool: pg.Pool,
    private readonly log: Logger | undefined,
  ) {
    this.apps = new PgAppRepo(pool);
  }

  /**
   * Connects, creates `schema` if given and missing, applies the migrations not yet applied
   * (under a database-wide advisory lock, so processes starting together migrate once), and
   * returns the storage. Fails when the database cannot be reached.
   */
  static async open(opts: PgStorageOptions): Promise<PgStorage> {
    const pool = new pg.Pool({
      connectionString: opts.url,
      max: opts.poolSize ?? 10,
      types,
      application_name: 'dialtone',
      ...(opts.schema !== undefined ? { options: searchPathOption(opts.schema) } : {}),
    });
    // An idle connection that breaks (server restart, network) must not crash the process.
    pool.on('error', (err) => opts.log?.warn({ err }, 'idle PostgreSQL connection failed'));
    const storage = new PgStorage(pool, opts.log);
    try {
      await storage.migrate(opts.schema);
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw err;
    }
    return storage;
  }

  /** Drops `schema` and everything in it (tests). */
  static async dropSchema(url: string, schema: string): Promise<void> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
    } finally {
      await client.end();
    }
  }

  private async migrate(schema: string | undefined): Promise<void> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    const onError = (err: Error) => {
      broken = err;
    };
    client.on('error', onError);
    try {
      await client.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY.toString()]);
      try {
        // Under the lock too: concurrent CREATE SCHEMA IF NOT EXISTS can fail on a unique violation.
        if (schema !== undefined) await client.query(`CREATE SCHEMA IF NOT EXISTS ${pg.escapeIdentifier(schema)}`);
        await client.query('CREATE TABLE IF NOT EXISTS dialtone_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
        const { rows } = await client.query<{ version: number }>('SELECT version FROM dialtone_migrations');
        const applied = new Set(rows.map((r) => r.version));
        for (let v = 1; v <= MIGRATIONS.length; v++) {
          if (applied.has(v)) continue;
          await client.query('BEGIN');
          try {
            await client.query(MIGRATIONS[v - 1]!);
            await client.query('INSERT INTO dialtone_migrations (version, applied_at) VALUES ($1, $2)', [v, Date.now()]);
            await client.query('COMMIT');
          } catch (err) {
            await client.query('ROLLBACK').catch(() => undefined);
            throw err;
          }
          this.log?.info({ version: v }, 'applied PostgreSQL migration');
        }
      } finally {
        await client.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY.toString()]).catch((err: Error) => {
          // The session lock would outlive us on this connection: drop the connection instead.
          broken = err;
        });
      }
    } finally {
      client.off('error', onError);
      client.release(broken ?? false);
    }
  }

  /**
   * A no-op. In cluster mode the other processes sharing the database may be alive and working
   * on their claims, so none is released at start; the claims of a process that died end when
   * their lease runs out (the dispatcher renews leases of live processes), and the entries and
   * timers are then claimed by whichever process comes first.
   */
  async recoverClaims(): Promise<void> {}

  /**
   * Runs `fn` in one transaction on one pooled connection (READ COMMITTED): committed when it
   * resolves, rolled back when it throws. When the error is a deadlock (40P01) or a
   * serialization failure (40001) the whole of `fn` is run again, in a new transaction, up to
   * {@link MAX_RETRIES} times after a short random pause: `fn` must not have effects outside the
   * transaction that cannot be repeated.
   */
  async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    for (let retry = 0; ; retry++) {
      if (this.closed) throw new Error('storage is closed');
      const client = await this.pool.connect();
      let broken: Error | undefined;
      let failure: unknown;
      // A checked-out client has no error listener of the pool's: a connection lost between two
      // queries would otherwise be an uncaught 'error' event. The next query fails anyway.
      const onError = (err: Error) => {
        broken = err;
      };
      client.on('error', onError);
      // Every round trip of the transaction goes through this, so each is counted once.
      const send: SendBatch = (statements) =>
        new Promise((resolve, reject) => {
          this.roundTrips++;
          this.statements += statements.length;
          this.beginCommits += statements.filter((st) => st === BEGIN || st === COMMIT).length;
          const batch: StatementBatch = new StatementBatch(statements, types, (err, results) => {
            if (!err) return resolve(results!);
            // Which of the statements it prepared exist now is unknown: the connection goes.
            if (batch.prepares) broken = err;
            reject(err);
          });
          client.query(batch);
        });
      const db = new PgTx(send);
      try {
        const tx: Tx = {
          calls: new PgCallRepo(db),
          callbackConfig: new PgCallbackConfigRepo(db),
          callPolicy: new PgCallPolicyRepo(db),
          outbox: new PgOutboxRepo(db),
          timers: new PgTimerRepo(db),
        };
        const result = await fn(tx);
        // The writes still held go out with the COMMIT; one that fails fails the transaction.
        await db.commit();
        return result;
      } catch (err) {
        failure = err;
        if (db.inTransaction) {
          await client.query('ROLLBACK').catch((e: Error) => {
            broken = e;
          });
        }
      } finally {
        client.off('error', onError);
        client.release(broken ?? false);
      }
      if (retry >= MAX_RETRIES || !isRetryable(failure)) throw failure;
      const pauseMs = Math.random() * 10 * 2 ** retry;
      this.log?.debug(
        { err: failure, retry: retry + 1, pauseMs: Math.round(pauseMs) },
        'PostgreSQL transaction conflicted; running it again',
      );
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  }

  stats(): StorageStats {
    return { roundTrips: this.roundTrips, statements: this.statements, beginCommits: this.beginCommits };
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

/** A deadlock or serialization failure (also when wrapped as the `cause` of another error). */
function isRetryable(err: unknown): boolean {
  for (let e = err, depth = 0; e !== null && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && RETRYABLE.has(code)) return true;
  }
  return false;
}
