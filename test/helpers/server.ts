/** Starts a real Dialtone server on a free port with a temporary data directory. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { Redis } from 'ioredis';
import { PgStorage } from '../../src/adapters/postgres/storage.js';
import { DEFAULTS, type DialtoneConfig } from '../../src/config.js';
import { createServer, type DialtoneServer, type ServerOverrides } from '../../src/server.js';
import { TEST_DATABASE_URL } from '../../src/testing/postgres.js';
import { track, trackDir } from '../../src/testing/leftovers.js';
import { runPrefix } from '../../src/testing/run-prefix.js';

const require = createRequire(import.meta.url);
/** Tencent's own UserSig library, so tests authenticate exactly as app backends do. */
export const TLSSigAPIv2 = require('tls-sig-api-v2') as {
  Api: new (sdkappid: number, key: string) => { genUserSig(userId: string, expire: number): string };
};

/**
 * The callback allow-list tests run with, as an operator with local receivers would set it
 * (`DIALTONE_CALLBACK_ALLOW`): the test receivers listen on loopback.
 */
export const TEST_CALLBACK_ALLOW = ['127.0.0.0/8', '::1'];

/** A running test server and what is needed to talk to it. */
export interface TestServer {
  server: DialtoneServer;
  url: string;
  wsUrl: string;
  sdkAppId: number;
  secretKey: string;
  dataDir: string;
  /** A UserSig made by tls-sig-api-v2. */
  userSig(userId: string, sdkAppId?: number, secretKey?: string): string;
  close(): Promise<void>;
}

/**
 * Starts a server. Unless `keepDataDir`, its data (directory and, in the cluster project, schema
 * and Redis keys) is removed on close, or when it fails to start; a test that keeps it removes it
 * with {@link removeTestData}.
 * Callbacks may go to loopback ({@link TEST_CALLBACK_ALLOW}) unless `config.callbackAllow` says otherwise.
 */
export async function startServer(
  opts: { config?: Partial<DialtoneConfig>; overrides?: ServerOverrides; dataDir?: string | undefined; keepDataDir?: boolean } = {},
): Promise<TestServer> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'dialtone-test-'));
  trackDir(dataDir);
  const sdkAppId = opts.config?.sdkAppId ?? 1400000000;
  const secretKey = opts.config?.secretKey ?? 'test-secret-key-0123456789';
  const config: DialtoneConfig = {
    ...DEFAULTS,
    host: '127.0.0.1',
    port: 0,
    logLevel: process.env.TEST_LOG_LEVEL ?? 'silent',
    callbackAllow: TEST_CALLBACK_ALLOW,
    ...opts.config,
    dataDir,
    sdkAppId,
    secretKey,
  };
  // A test that names its own database runs as it says; the cluster project moves the others.
  const cluster = opts.config?.databaseUrl ? undefined : clusterConfig(dataDir);
  if (cluster) Object.assign(config, cluster);
  // Whatever fails, a server that owns its data removes it: the schema and keys included.
  const removeOwnData = async () => {
    if (!opts.keepDataDir) await removeData(dataDir, cluster);
  };
  const server = await createServer(config, opts.overrides).catch(async (err: unknown) => {
    await removeOwnData();
    throw err;
  });
  const url = await server.listen().catch(async (err: unknown) => {
    await server.close().catch(() => undefined);
    await removeOwnData();
    throw err;
  });
  return {
    server,
    url,
    wsUrl: url.replace(/^http/, 'ws'),
    sdkAppId,
    secretKey,
    dataDir,
    userSig: (userId, appId = sdkAppId, key = secretKey) => new TLSSigAPIv2.Api(appId, key).genUserSig(userId, 15552000),
    async close() {
      try {
        await server.close();
      } finally {
        await removeOwnData();
      }
    },
  };
}

/**
 * Removes a data directory a test kept (`keepDataDir`) across restarts and, in the cluster
 * project, the schema and Redis keys named after it.
 */
export async function removeTestData(dataDir: string): Promise<void> {
  await removeData(dataDir, clusterConfig(dataDir));
}

async function removeData(dataDir: string, cluster: Partial<DialtoneConfig> | undefined): Promise<void> {
  rmSync(dataDir, { recursive: true, force: true });
  if (cluster) await dropCluster(cluster);
}

/** Where the PostgreSQL and Redis of cluster-mode tests are (the CI machines run both locally). */
export { TEST_DATABASE_URL };
export const TEST_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** True when the suite runs as the `cluster` project of vitest.config.ts (PostgreSQL + Redis). */
export const CLUSTER_MODE = process.env.DIALTONE_TEST_STORE === 'cluster';

/**
 * Cluster settings for a test server: its own schema and Redis prefix, named after its data
 * directory, so a server restarted on the same directory finds the same data.
 */
export function clusterConfig(dataDir: string, force = false): Partial<DialtoneConfig> | undefined {
  if (!CLUSTER_MODE && !force) return undefined;
  const name = track(`${runPrefix()}${createHash('sha256').update(dataDir).digest('hex').slice(0, 16)}`);
  return { databaseUrl: TEST_DATABASE_URL, databaseSchema: name, redisUrl: TEST_REDIS_URL, redisPrefix: `${name}:` };
}

/** Drops a test cluster's schema and Redis keys. */
export async function dropCluster(cluster: Partial<DialtoneConfig>): Promise<void> {
  await PgStorage.dropSchema(cluster.databaseUrl!, cluster.databaseSchema!);
  const redis = new Redis(cluster.redisUrl!);
  try {
    const keys = await redis.keys(`${cluster.redisPrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}
