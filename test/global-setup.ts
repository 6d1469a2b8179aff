/**
 * After the whole run: drops the PostgreSQL schemas and Redis keys that test servers (and
 * processes killed on purpose) may leave behind. Their names start with `t_` (see
 * `clusterConfig`), so nothing else in the shared database or Redis is touched.
 */
import pg from 'pg';
import { Redis } from 'ioredis';
import { TEST_DATABASE_URL } from './helpers/postgres.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export default function setup(): () => Promise<void> {
  return async () => {
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    try {
      await client.connect();
      const { rows } = await client.query<{ name: string }>(
        String.raw`SELECT schema_name AS name FROM information_schema.schemata WHERE schema_name ~ '^t_[0-9a-f]{12,16}$'`,
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
        const [next, keys] = await redis.scan(cursor, 'MATCH', 't_*', 'COUNT', 1000);
        cursor = next;
        const ours = keys.filter((k) => /^t_[0-9a-f]{12,16}:/.test(k));
        if (ours.length > 0) await redis.del(...ours);
      } while (cursor !== '0');
    } catch {
      // As above.
    } finally {
      redis.disconnect();
    }
  };
}
