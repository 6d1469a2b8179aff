/**
 * Gives this test run its own name prefix (`t_<run>_`, see `src/testing/run-prefix.ts`) and, after
 * the run, drops the PostgreSQL schemas and Redis keys under that prefix that test servers and
 * processes killed on purpose may leave behind. Only this run's prefix is touched: other runs
 * on the same database and Redis keep theirs.
 */
import pg from 'pg';
import { Redis } from 'ioredis';
import type { TestProject } from 'vitest/node';
import { TEST_DATABASE_URL } from '../src/testing/postgres.js';
import { newRunId } from '../src/testing/run-prefix.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export default function setup(project: TestProject): () => Promise<void> {
  const run = newRunId();
  project.provide('testRunId', run);
  const prefix = `t_${run}_`;
  return async () => {
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    try {
      await client.connect();
      const { rows } = await client.query<{ name: string }>(
        'SELECT schema_name AS name FROM information_schema.schemata WHERE starts_with(schema_name, $1)',
        [prefix],
      );
      for (const { name } of rows) await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(name)} CASCADE`);
    } catch {
      // The tests that needed PostgreSQL have failed loudly already.
    } finally {
      await client.end().catch(() => undefined);
    }
    const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== '0');
    } catch {
      // As above.
    } finally {
      redis.disconnect();
    }
  };
}
