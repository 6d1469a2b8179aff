/**
 * Several statements in one round trip. node-postgres waits for the answer to each query before
 * it sends the next; a transaction's BEGIN, its held writes, the read that follows them and its
 * COMMIT then cost a round trip each, and every round trip costs both sides a network write and
 * a wake-up (issue 14). A {@link StatementBatch} is a query object of node-postgres's own kind
 * (a `Submittable`, as pg-cursor is) that writes the extended-protocol messages of every
 * statement (Parse when the statement is not prepared on the connection yet, Bind, Describe,
 * Execute) and one Sync: the server runs them in order and answers once. When one fails the
 * server skips the rest up to the Sync, so the batch fails as a whole with that error.
 */
import pg from 'pg';
import pgUtils from 'pg/lib/utils.js';
import type { Statement } from './db.js';

/** What a batch needs of node-postgres's connection beyond its typed surface. */
interface Wire {
  stream: { cork?: () => void; uncork?: () => void };
  parsedStatements: Record<string, string>;
  submittedNamedStatements: Record<string, string>;
  parse(query: { text: string; name: string }): void;
  bind(config: { portal: string; statement: string; values: (string | Buffer | null)[] }): void;
  describe(msg: { type: 'P'; name: string }): void;
  execute(config: { portal: string; rows: number }): void;
  sync(): void;
  sendCopyFail(message: string): void;
}

/** node-postgres's `Result` as it fills one while the rows come in. */
interface Filling extends pg.QueryResult {
  addFields(fields: pg.FieldDef[]): void;
  parseRow(values: unknown[]): Record<string, unknown>;
  addRow(row: Record<string, unknown>): void;
  addCommandComplete(msg: unknown): void;
}

/** Called once: with the results of every statement in order, or with the error that stopped the batch. */
export type BatchDone = (err: Error | null, results?: pg.QueryResult[]) => void;

/** Statements sent together and answered together; give it to `client.query()`. */
export class StatementBatch implements pg.Submittable {
  /**
   * Whether this batch asked the server to prepare a named statement. When such a batch fails,
   * which of its statements the server prepared is unknown: the connection must not be used again.
   */
  prepares = false;
  private readonly results: pg.QueryResult[] = [];
  private current: Filling | undefined;
  private rowError: Error | undefined;
  private done = false;

  constructor(
    private readonly statements: readonly Statement[],
    private readonly types: pg.CustomTypesConfig,
    private readonly callback: BatchDone,
  ) {}

  /** Writes the batch; an error returned (a value that cannot be sent) fails it before anything is written. */
  submit(connection: pg.Connection): Error | undefined {
    const wire = connection as unknown as Wire;
    let values: (string | Buffer | null)[][];
    try {
      values = this.statements.map((s) => (s.values ?? []).map((v) => pgUtils.prepareValue(v) as string | Buffer | null));
    } catch (err) {
      return err as Error;
    }
    wire.stream.cork?.();
    try {
      this.statements.forEach((s, i) => {
        const name = s.name ?? '';
        if (name === '' || (wire.parsedStatements[name] === undefined && wire.submittedNamedStatements[name] === undefined)) {
          wire.parse({ text: s.text, name });
          if (name !== '') {
            wire.submittedNamedStatements[name] = s.text;
            this.prepares = true;
          }
        }
        wire.bind({ portal: '', statement: name, values: values[i]! });
        wire.describe({ type: 'P', name: '' });
        wire.execute({ portal: '', rows: 0 });
      });
      wire.sync();
    } finally {
      wire.stream.uncork?.();
    }
    return undefined;
  }

  /** The columns of the current statement's rows. */
  handleRowDescription(msg: { fields: pg.FieldDef[] }): void {
    this.current = this.newResult();
    this.current.addFields(msg.fields);
  }

  handleDataRow(msg: { fields: unknown[] }): void {
    if (this.rowError || !this.current) return;
    try {
      this.current.addRow(this.current.parseRow(msg.fields));
    } catch (err) {
      this.rowError = err as Error;
    }
  }

  /** The current statement is done. */
  handleCommandComplete(msg: unknown): void {
    const result = this.current ?? this.newResult();
    result.addCommandComplete(msg);
    this.results.push(result);
    this.current = undefined;
  }

  handleEmptyQuery(): void {
    this.results.push(this.newResult());
  }

  handleError(err: Error): void {
    this.finish(err);
  }

  handleReadyForQuery(): void {
    this.finish(this.rowError ?? null, this.results);
  }

  /** Not expected (no statement of a batch asks for rows a page at a time, or copies). */
  handlePortalSuspended(): void {
    this.finish(new Error('a batched statement was suspended'));
  }

  handleCopyInResponse(connection: pg.Connection): void {
    (connection as unknown as Wire).sendCopyFail('COPY is not supported in a statement batch');
  }

  handleCopyData(): void {}

  private newResult(): Filling {
    return new pg.Result('object', this.types as never) as unknown as Filling;
  }

  private finish(err: Error | null, results?: pg.QueryResult[]): void {
    if (this.done) return;
    this.done = true;
    this.callback(err, results);
  }
}
