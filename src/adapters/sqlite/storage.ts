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
import type { App, AppRepo, Storage, Tx } from '../../app/ports.js';
import { appValues, toApp, type AppRow } from '../rows.js';
import { SqliteCallRepo } from './calls.js';
import { Checkpointer } from './checkpointer.js';
import { SqliteCallbackConfigRepo } from './callback-config.js';
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

/** {@link Storage} on one SQLite file. */
export class SqliteStorage implements Storage {
  readonly apps: AppRepo;
  private readonly tx: Tx;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(readonly db: Database.Database) {
    this.apps = new SqliteAppRepo(db, (fn) => this.exclusive(fn));
    this.tx = {
      calls: new SqliteCallRepo(db),
      callbackConfig: new SqliteCallbackConfigRepo(db),
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

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(this.tx);
        this.db.exec('COMMIT');
        return result;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
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

  async close(): Promise<void> {
    await this.queue;
    if (!this.closed) {
      this.closed = true;
      await this.checkpointer?.stop();
      this.db.close();
    }
  }
}
