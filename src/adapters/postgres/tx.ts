/**
 * One transaction's connection as the PostgreSQL repositories see it: statements go out through
 * it after the writes held back before them ({@link WriteBuffer}), so a statement always sees
 * what the transaction wrote, and the writes of a step cost one round trip.
 */
import type pg from 'pg';
import type { SettingsRow } from './callback-config.js';
import type { Queryable, Statement } from './db.js';
import { WriteBuffer } from './writes.js';

/** The connection of one transaction, with its held writes. */
export class PgTx {
  /** Writes held until the next statement that could see them, or the commit. */
  readonly writes = new WriteBuffer();
  /**
   * Apps' callback configuration and delivery policy as read in this transaction, by app: read
   * beside the first statement of a step (the call's row, the busy check), so the step's
   * callbacks need no statement of their own. A change in this transaction forgets it.
   */
  readonly settings = new Map<number, SettingsRow>();

  constructor(private readonly db: Queryable) {}

  /** Sends the held writes, then `statement`. */
  async query<R extends pg.QueryResultRow = Record<string, unknown>>(statement: Statement): Promise<pg.QueryResult<R>> {
    await this.flush();
    return this.db.query<R>(statement);
  }

  /**
   * Sends `statement` now, leaving the held writes held: for statements on tables no held write
   * touches (the apps' callback and call settings), which cannot see them.
   */
  queryBeside<R extends pg.QueryResultRow = Record<string, unknown>>(statement: Statement): Promise<pg.QueryResult<R>> {
    return this.db.query<R>(statement);
  }

  /** Sends the held writes, if any (before a statement that could see them, and before COMMIT). */
  async flush(): Promise<void> {
    const statement = this.writes.take();
    if (statement) await this.db.query(statement);
  }
}
