/** The PostgreSQL of tests that need one (the CI machines run it locally, database `test`). */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { track } from './leftovers.js';
import { runPrefix } from './run-prefix.js';

/** Where the PostgreSQL of tests is: `DATABASE_URL`, else the local one. */
export const TEST_DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A schema name no other test (of this run or another) uses, under this run's prefix. */
export function randomSchema(): string {
  return track(`${runPrefix()}${randomBytes(6).toString('hex')}`);
}

/** Fails (never skips) when PostgreSQL is not there, naming where it was looked for. */
export async function requireDatabase(): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (err) {
    const where = TEST_DATABASE_URL.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
    throw new Error(`PostgreSQL is not reachable at ${where} (set DATABASE_URL): ${(err as Error).message}`, {
      cause: err,
    });
  } finally {
    await client.end().catch(() => undefined);
  }
}
