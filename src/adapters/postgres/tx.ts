/**
 * One transaction's connection as the PostgreSQL repositories see it. Two things keep a
 * transaction's round trips few (issue 14):
 *
 * - writes whose result nobody reads are held: a step's call, members, timers, record and outbox
 *   rows in the {@link WriteBuffer} (one statement), and whole statements such as a settlement
 *   ({@link PgTx.hold}); they go out, in the order made, ahead of the next statement that could
 *   see them, or with the COMMIT;
 * - what goes out together goes in one round trip ({@link StatementBatch}): BEGIN rides with the
 *   transaction's first statement, held writes with the statement after them, COMMIT with the
 *   last held writes. A step (a read, then its writes) is two round trips; a settlement one; a
 *   transaction that sent nothing sends nothing.
 */
import type pg from 'pg';
import type { SettingsRow } from './callback-config.js';
import type { Statement } from './db.js';
import { WriteBuffer } from './writes.js';

/** Runs statements in one round trip; resolves to their results, in order. */
export type SendBatch = (statements: Statement[]) => Promise<pg.QueryResult[]>;

/** A transaction's BEGIN: READ COMMITTED whatever the database's default (see PgStorage). */
export const BEGIN: Statement = { name: 'dt_begin', text: 'BEGIN ISOLATION LEVEL READ COMMITTED' };
/** A transaction's COMMIT. */
export const COMMIT: Statement = { name: 'dt_commit', text: 'COMMIT' };

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
  /** Held statements, in the order made, before what the write buffer holds. */
  private held: Statement[] = [];
  private begun: boolean;

  /** `begun`: the connection is in a transaction already (BEGIN was sent by the caller). */
  constructor(
    private readonly send: SendBatch,
    begun = false,
  ) {
    this.begun = begun;
  }

  /** Whether BEGIN has been sent: a transaction to end with COMMIT or ROLLBACK. */
  get inTransaction(): boolean {
    return this.begun;
  }

  /** Runs `statement` after the held writes, in the same round trip. */
  async query<R extends pg.QueryResultRow = Record<string, unknown>>(statement: Statement): Promise<pg.QueryResult<R>> {
    const results = await this.run([...this.takeHeld(), statement]);
    return results.at(-1) as pg.QueryResult<R>;
  }

  /**
   * Runs `statement`, leaving the held writes held: for statements on tables no held write
   * touches (the apps' callback and call settings), which cannot see them.
   */
  async queryBeside<R extends pg.QueryResultRow = Record<string, unknown>>(statement: Statement): Promise<pg.QueryResult<R>> {
    const [result] = await this.run([statement]);
    return result as pg.QueryResult<R>;
  }

  /** Holds a statement whose result nobody reads: it goes out, after what is held, with the next statement or the commit. */
  hold(statement: Statement): void {
    this.seal();
    this.held.push(statement);
  }

  /** Sends what is held, if anything. */
  async flush(): Promise<void> {
    const held = this.takeHeld();
    if (held.length > 0) await this.run(held);
  }

  /** Sends what is held and COMMIT, in one round trip; nothing when the transaction never sent anything. */
  async commit(): Promise<void> {
    const held = this.takeHeld();
    if (!this.begun && held.length === 0) return;
    await this.run(held, true);
  }

  /** The held writes as statements, in order, emptying the holds. */
  private takeHeld(): Statement[] {
    this.seal();
    const held = this.held;
    this.held = [];
    return held;
  }

  /** Turns what the write buffer holds into a held statement, so that what is held later comes after it. */
  private seal(): void {
    const writes = this.writes.take();
    if (writes) this.held.push(writes);
  }

  /** Sends `statements` in one round trip, after BEGIN if not begun and before COMMIT if `commit`; resolves to their own results. */
  private async run(statements: Statement[], commit = false): Promise<pg.QueryResult[]> {
    const first = this.begun ? 0 : 1;
    this.begun = true;
    const results = await this.send([...(first ? [BEGIN] : []), ...statements, ...(commit ? [COMMIT] : [])]);
    return results.slice(first, first + statements.length);
  }
}
