/** Runs `dialtone serve` as a real child process, for tests that SIGKILL it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { TEST_CALLBACK_ALLOW, TLSSigAPIv2, type TestServer } from './server.js';

/** A running server process. */
export interface ServerProcess {
  child: ChildProcess;
  url: string;
}

/**
 * Starts the built server on a free port over `dataDir`; resolves once it listens. Callbacks may
 * go to loopback (`DIALTONE_CALLBACK_ALLOW`) unless `env` sets it otherwise.
 */
export function startProcess(
  dataDir: string,
  sdkAppId: number,
  secretKey: string,
  env: Record<string, string> = {},
): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['bin/dialtone.js', 'serve', '--port', '0', '--data-dir', dataDir], {
    env: {
      ...process.env,
      DIALTONE_SDKAPPID: String(sdkAppId),
      DIALTONE_SECRET_KEY: secretKey,
      LOG_LEVEL: 'error',
      DIALTONE_CALLBACK_ALLOW: TEST_CALLBACK_ALLOW.join(','),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m) resolve({ child, url: m[1]! });
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
}

/** The handle tests use to talk to a server process. */
export function asServer(url: string, sdkAppId: number, secretKey: string): TestServer {
  const api = new TLSSigAPIv2.Api(sdkAppId, secretKey);
  return { url, wsUrl: url.replace(/^http/, 'ws'), sdkAppId, secretKey, userSig: (u: string) => api.genUserSig(u, 86400) } as TestServer;
}
