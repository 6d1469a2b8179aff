/** Runs `dialtone serve` as a real child process, for tests that SIGKILL it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { TEST_CALLBACK_ALLOW, TLSSigAPIv2, type TestServer } from './server.js';

/** A running server process. */
export interface ServerProcess {
  child: ChildProcess;
  url: string;
}

/** How long a server process may take to listen before it is killed and the start fails, ms. */
export const START_TIMEOUT_MS = 30_000;

// Processes of this test file still running: killed if the worker exits without doing so, since
// an orphan would go on writing its heartbeat to Redis after the run swept its keys.
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Starts the built server on a free port over `dataDir`; resolves once it listens. A process
 * that exits first, or does not listen within {@link START_TIMEOUT_MS}, fails the start (killed).
 * Callbacks may go to loopback (`DIALTONE_CALLBACK_ALLOW`) unless `env` sets it otherwise.
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
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  return new Promise((resolve, reject) => {
    // Both streams until it listens (the banner is on stderr, logs on stdout), for the error of
    // a failed start; then stderr goes on to this process's own, and the logs are drained.
    let out = '';
    let listening = false;
    const deadline = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not listen within ${START_TIMEOUT_MS} ms: ${out}`));
    }, START_TIMEOUT_MS);
    child.stdout!.on('data', (d: Buffer) => {
      if (!listening) out += d.toString();
    });
    child.stderr!.on('data', (d: Buffer) => {
      if (listening) return void process.stderr.write(d);
      out += d.toString();
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m) {
        listening = true;
        clearTimeout(deadline);
        resolve({ child, url: m[1]! });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(deadline);
      reject(new Error(`server exited with ${code}: ${out}`));
    });
  });
}

/**
 * SIGKILLs a server process and resolves once it has exited: from then on it writes nothing more
 * to PostgreSQL, Redis or its data directory, so they can be removed.
 */
export function killProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  return exited;
}

/** The handle tests use to talk to a server process. */
export function asServer(url: string, sdkAppId: number, secretKey: string): TestServer {
  const api = new TLSSigAPIv2.Api(sdkAppId, secretKey);
  return { url, wsUrl: url.replace(/^http/, 'ws'), sdkAppId, secretKey, userSig: (u: string) => api.genUserSig(u, 86400) } as TestServer;
}
