/**
 * What one test file made in shared places (PostgreSQL schemas and Redis keys named by
 * {@link track}, data directories of test servers) and a check that none of it is left once the
 * file is done (`test/no-leftovers.ts`, a setup file, runs it after each file). The teardown
 * sweep of the run would hide such a leak; this check names the file that caused it.
 */
import { existsSync } from 'node:fs';
import pg from 'pg';
import { Redis } from 'ioredis';
import { TEST_DATABASE_URL } from './postgres.js';
import { runPrefix } from './run-prefix.js';

// Module state is per test file: vitest isolates each file's modules (setup file included).
const names = new Set<string>();
const dirs = new Set<string>();

/** Records a schema name or Redis key prefix (`name:`) this file is about to use; returns it. */
export function track(name: string): string {
  names.add(name);
  return name;
}

/** Records a data directory a test server of this file uses. */
export function trackDir(dir: string): void {
  dirs.add(dir);
}

/** Everything this file tracked that still exists (see {@link remaining}). */
export function leftovers(): Promise<string[]> {
  return remaining([...dirs], [...names]);
}

/**
 * Which of `dataDirs`, of the schemas whose name starts with one of `schemaNames`, and of the
 * Redis keys under one of them (`name:`) exist, sorted: data directories, then Redis keys, then
 * schemas. Asks PostgreSQL and Redis only when there are names.
 */
export async function remaining(dataDirs: string[], schemaNames: string[]): Promise<string[]> {
  const left = dataDirs.filter((d) => existsSync(d)).map((d) => `data directory ${d}`);
  if (schemaNames.length === 0) return left.sort();
  const prefix = runPrefix();
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>(
      'SELECT schema_name AS name FROM information_schema.schemata WHERE starts_with(schema_name, $1)',
      [prefix],
    );
    left.push(...rows.filter((r) => schemaNames.some((n) => r.name.startsWith(n))).map((r) => `schema ${r.name}`));
  } finally {
    await client.end().catch(() => undefined);
  }
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      left.push(...keys.filter((k) => schemaNames.some((n) => k.startsWith(`${n}:`))).map((k) => `redis key ${k}`));
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return left.sort();
}
