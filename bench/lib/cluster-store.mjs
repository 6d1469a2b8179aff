// The PostgreSQL and Redis the cluster benchmarks run on: where they are, and removing what a
// run left there (its own schemas and key prefix only).
import pg from 'pg';
import { Redis } from 'ioredis';

/** The PostgreSQL of the benchmarks: `DATABASE_URL`, else the local one. */
export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/** The Redis of the benchmarks: `REDIS_URL`, else the local one. */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Drops the run's schemas and deletes the Redis keys under its prefix. */
export async function dropRunStore({ schemas = [], redisPrefix }) {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    for (const s of schemas) await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(s)} CASCADE`);
  } finally {
    await client.end();
  }
  if (redisPrefix === undefined) return;
  const redis = new Redis(REDIS_URL);
  try {
    const keys = await redis.keys(`${redisPrefix}*`);
    if (keys.length) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}
