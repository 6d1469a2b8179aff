/**
 * The embedded storage: one SQLite file (better-sqlite3, WAL). better-sqlite3 is synchronous and
 * one connection serves the whole process, so transactions are serialised through a promise
 * queue: nothing else touches the connection while a transaction is open, and no reader can see
 * rows a transaction may still roll back.
 */
import Database from 'better-sqlite3';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type { App, AppRepo, Storage, StorageStats, Tx } from '../../app/ports.js';
import { appValues, toApp, type AppRow } from '../rows.js';
import { SqliteCallRepo } from './calls.js';
import { Checkpointer } from './checkpointer.js';
import { SqliteCallbackConfigRepo } from './callback-config.js';
import { SqliteCallPolicyRepo } from './call-policy.js';
import { SqliteOutboxRepo } from './outbox.js';
import { MIGRATIONS } from './schema.js';
import { SqliteTimerRepo } from './timers.js';

/** Opens (creating if needed) and migrates the database at `file`; `:memory:` for tests. */
export function openDatabase(file: string): Database.Database {
  // The database holds every app's SecretKey and webhook secret: readable by the owner only.
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const db = new Database(file);
  if (file !== ':memory:' && existsSync(file)) chmodSync(file, 0o600);
  db.pragma('journal_mode = WAL');
  // NORMAL in WAL mode survives a process crash (SIGKILL) without loss; only an OS crash or
  // power cut can drop the last transactions.
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  const version = db.pragma('user_version', { simple: true }) as number;
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return db;
}

type Exclusive = <T>(fn: () => T | Promise<T>) => Promise<T>;

class SqliteAppRepo implements AppRepo {
  constructor(
    private readonly db: Database.Database,
    private readonly exclusive: Exclusive,
  ) {}

  list(): Promise<App[]> {
    return this.exclusive(() => this.listNow());
  }

  upsert(app: App): Promise<void> {
    return this.exclusive(() => this.upsertNow(app));
  }

  private listNow(): App[] {
    const rows = this.db.prepare('SELECT * FROM apps ORDER BY created_at, sdkappid').all() as AppRow[];
    return rows.map(toApp);
  }

  private upsertNow(app: App): void {
    this.db
      .prepare(
        `INSERT INTO apps (sdkappid, secret_key, admins, webhook_secret, previous_webhook_secret, previous_webhook_secret_until, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (sdkappid) DO UPDATE SET secret_key = excluded.secret_key, admins = excluded.admins,
           webhook_secret = excluded.webhook_secret, previous_webhook_secret = excluded.previous_webhook_secret,
           previous_webhook_secret_until = excluded.previous_webhook_secret_until`,
      )
      .run(...appValues(app));
  }
}

/** A transaction waiting to run in a batch. */
interface Job {
  fn: (tx: Tx) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/** Most transactions in one group commit, and the longest a batch keeps taking more, ms. */
const MAX_BATCH = 64;
const MAX_BATCH_MS = 4;

/** {@link Storage} on one SQLite file. */
export class SqliteStorage implements Storage {
  readonly apps: AppRepo;
  private readonly tx: Tx;
  private queue: Promise<unknown> = Promise.resolve();
  /** Transactions waiting for a batch. */
  private waiting: Job[] = [];
  /** A batch runner is queued or still taking transactions. */
  private runnerQueued = false;
  /** Transaction control, prepared once: parsing it for every transaction shows in profiles. */
  private readonly stmts: { begin: Database.Statement; commit: Database.Statement; rollback: Database.Statement };
  private closed = false;

  constructor(readonly db: Database.Database) {
    this.apps = new SqliteAppRepo(db, (fn) => this.exclusive(fn));
    this.stmts = { begin: db.prepare('BEGIN IMMEDIATE'), commit: db.prepare('COMMIT'), rollback: db.prepare('ROLLBACK') };
    this.tx = {
      calls: new SqliteCallRepo(db),
      callbackConfig: new SqliteCallbackConfigRepo(db),
      callPolicy: new SqliteCallPolicyRepo(db),
      outbox: new SqliteOutboxRepo(db),
      timers: new SqliteTimerRepo(db),
    };
  }

  private checkpointer: Checkpointer | undefined;

  /** Opens the database file at `file` (created and migrated as needed); checkpoints run on a worker thread. */
  static open(file: string): SqliteStorage {
    const storage = new SqliteStorage(openDatabase(file));
    if (file !== ':memory:') {
      storage.db.pragma('wal_autocheckpoint = 0');
      storage.checkpointer = new Checkpointer(file, createRequire(import.meta.url).resolve('better-sqlite3'));
    }
    return storage;
  }

  /** The embedded database has one process: every claim left in it belongs to a dead one. */
  recoverClaims(): Promise<void> {
    return this.exclusive(() => {
      this.db.exec(
        `UPDATE outbox SET lease_until = 0 WHERE status = 'pending' AND lease_until > 0; UPDATE timers SET lease_until = 0 WHERE lease_until > 0;`,
      );
    });
  }

  /**
   * Runs `fn` in a transaction. Transactions that arrive while others run are group-committed:
   * they run one after another inside one SQLite transaction and one COMMIT makes them all
   * durable, so the cost of a commit (writing the changed pages to the WAL) is paid once per
   * batch. None resolves before that COMMIT, so nothing is acknowledged that a crash could lose.
   * When one of them throws, the batch is rolled back and each of its transactions runs again
   * alone, so a failure undoes only its own transaction: `fn` may therefore run twice, and must
   * not have effects outside the transaction (the same rule as PostgreSQL's retries).
   */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('storage is closed'));
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      this.scheduleLeftovers();
    });
  }

  private async runBatch(): Promise<void> {
    const batch: Job[] = [];
    const values: unknown[] = [];
    const started = performance.now();
    let failed = false;
    try {
      this.stmts.begin.run();
      while (this.waiting.length > 0 && batch.length < MAX_BATCH && performance.now() - started < MAX_BATCH_MS) {
        const job = this.waiting.shift()!;
        batch.push(job);
        try {
          values.push(await job.fn(this.tx));
        } catch {
          failed = true;
          break;
        }
      }
      // From here on a new transaction starts the next batch (the rest below runs synchronously).
      this.runnerQueued = false;
      if (failed) this.stmts.rollback.run();
      else this.stmts.commit.run();
    } catch {
      this.runnerQueued = false;
      if (this.db.inTransaction) this.stmts.rollback.run();
      failed = true;
    }
    if (!failed) {
      batch.forEach((job, i) => job.resolve(values[i]));
    } else {
      for (const job of batch) await this.runAlone(job);
    }
    this.scheduleLeftovers();
  }

  /** One transaction on its own: after a batch failed, each of its transactions is run like this. */
  private async runAlone(job: Job): Promise<void> {
    try {
      this.stmts.begin.run();
      const value = await job.fn(this.tx);
      this.stmts.commit.run();
      job.resolve(value);
    } catch (err) {
      if (this.db.inTransaction) this.stmts.rollback.run();
      job.reject(err);
    }
  }

  /** Queues a batch runner for waiting transactions unless one is queued or taking them. */
  private scheduleLeftovers(): void {
    if (this.waiting.length === 0 || this.runnerQueued) return;
    this.runnerQueued = true;
    // Started after the I/O callbacks of this turn of the event loop: the transactions that the
    // frames and responses read in this turn start are then committed together.
    setImmediate(() => {
      void this.exclusive(() => this.runBatch()).catch((err: unknown) => {
        // The storage closed before this batch could run: nothing of it was written.
        this.runnerQueued = false;
        for (const job of this.waiting.splice(0)) job.reject(err);
      });
    });
  }

  /** Runs `fn` when nothing else holds the connection. */
  private exclusive<T>(fn: () => T | Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      if (this.closed) throw new Error('storage is closed');
      return fn();
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  // In process: a transaction costs no round trip.
  stats(): StorageStats {
    return {};
  }

  async ping(): Promise<void> {
    if (this.closed) throw new Error('the SQLite store is closed');
    this.db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    await this.queue;
    if (!this.closed) {
      this.closed = true;
      await this.checkpointer?.stop();
      this.db.close();
    }
  }
}
