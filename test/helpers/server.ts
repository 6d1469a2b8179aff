/** Starts a real Dialtone server on a free port with a temporary data directory. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { DEFAULTS, type DialtoneConfig } from '../../src/config.js';
import { createServer, type DialtoneServer, type ServerOverrides } from '../../src/server.js';

const require = createRequire(import.meta.url);
/** Tencent's own UserSig library, so tests authenticate exactly as app backends do. */
export const TLSSigAPIv2 = require('tls-sig-api-v2') as {
  Api: new (sdkappid: number, key: string) => { genUserSig(userId: string, expire: number): string };
};

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

/** Starts a server; the data directory is removed on close unless `keepDataDir`. */
export async function startServer(
  opts: { config?: Partial<DialtoneConfig>; overrides?: ServerOverrides; dataDir?: string; keepDataDir?: boolean } = {},
): Promise<TestServer> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'dialtone-test-'));
  const sdkAppId = opts.config?.sdkAppId ?? 1400000000;
  const secretKey = opts.config?.secretKey ?? 'test-secret-key-0123456789';
  const config: DialtoneConfig = {
    ...DEFAULTS,
    host: '127.0.0.1',
    port: 0,
    logLevel: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...opts.config,
    dataDir,
    sdkAppId,
    secretKey,
  };
  const server = await createServer(config, opts.overrides);
  const url = await server.listen();
  return {
    server,
    url,
    wsUrl: url.replace(/^http/, 'ws'),
    sdkAppId,
    secretKey,
    dataDir,
    userSig: (userId, appId = sdkAppId, key = secretKey) => new TLSSigAPIv2.Api(appId, key).genUserSig(userId, 15552000),
    async close() {
      await server.close();
      if (!opts.keepDataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
