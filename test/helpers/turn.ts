/**
 * A real TURN server for the browser tests: Debian's coturn (`/usr/bin/turnserver`;
 * `TURNSERVER_PATH` overrides), started on a free loopback port with the time-limited
 * credentials Dialtone gives out (`use-auth-secret`, `static-auth-secret`), relaying between
 * loopback peers, with no configuration file, CLI, TLS or DTLS, and everything it writes in a
 * temporary directory. A system coturn service, if any, is not used: this one has its own port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trackDir } from '../../src/testing/leftovers.js';
import { waitFor } from './wait.js';

/** Path of the coturn binary. */
export const TURNSERVER = process.env.TURNSERVER_PATH ?? '/usr/bin/turnserver';
/** The realm coturn answers with. */
export const TURN_REALM = 'dialtone.test';
/** How long coturn may take to answer its first STUN request, ms. */
const START_TIMEOUT_MS = 15_000;

/** A running coturn. */
export interface TurnServer {
  /** `turn:127.0.0.1:<port>`, for `DIALTONE_TURN_URLS`. */
  url: string;
  /** Its `static-auth-secret`. */
  secret: string;
  /** Everything it has logged so far. */
  log(): string;
  /** Freezes it (SIGSTOP): relayed media stops, as in an outage; allocations stay. */
  pause(): void;
  /** Lets it run again (SIGCONT). */
  resume(): void;
  /** Stops it and removes its files. */
  close(): Promise<void>;
}

// Still running when the worker exits (a test that failed before its teardown): killed.
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Starts coturn with a random secret (or `secret`); resolves once it answers a STUN Binding
 * request. Fails, saying what to install, when the binary is missing: a test that needs a TURN
 * server must not pass without one.
 */
export async function startTurnServer(secret = randomBytes(18).toString('base64url')): Promise<TurnServer> {
  try {
    accessSync(TURNSERVER, constants.X_OK);
  } catch {
    throw new Error(`no TURN server at ${TURNSERVER}: install Debian's coturn package (apt-get install coturn), or set TURNSERVER_PATH`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'dialtone-coturn-'));
  trackDir(dir);
  const port = await freePort();
  const child = spawn(
    TURNSERVER,
    [
      '-n', // no configuration file: a system /etc/turnserver.conf changes nothing here
      ...['--listening-ip', '127.0.0.1', '--relay-ip', '127.0.0.1', '--listening-port', String(port)],
      ...['--use-auth-secret', '--static-auth-secret', secret, '--realm', TURN_REALM],
      '--allow-loopback-peers', // both browsers' relayed addresses are on 127.0.0.1
      ...['--no-cli', '--no-tls', '--no-dtls', '--no-software-attribute'],
      ...['--log-file', 'stdout', '--simple-log', '--verbose'], // verbose: each allocation is logged
      ...['--userdb', join(dir, 'turndb'), '--pidfile', join(dir, 'turnserver.pid')],
    ],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  running.add(child);
  let log = '';
  const keep = (d: Buffer) => (log += d.toString());
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      running.delete(child);
      resolve();
    }),
  );
  const close = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      const killed = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exit;
      clearTimeout(killed);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await stunAnswers(port, () => exited);
  } catch (err) {
    await close();
    throw new Error(`coturn did not start: ${(err as Error).message}\n${log}`, { cause: err });
  }
  return {
    url: `turn:127.0.0.1:${port}`,
    secret,
    log: () => log,
    pause: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
    close: async () => {
      child.kill('SIGCONT');
      await close();
    },
  };
}

/** A port free for both TCP and UDP on 127.0.0.1 (coturn listens on both). */
async function freePort(): Promise<number> {
  for (;;) {
    const tcp = createServer();
    await new Promise<void>((resolve, reject) => tcp.once('error', reject).listen(0, '127.0.0.1', resolve));
    const port = (tcp.address() as { port: number }).port;
    const udp = createSocket('udp4');
    const free = await new Promise<boolean>((resolve) => {
      udp.once('error', () => resolve(false));
      udp.bind(port, '127.0.0.1', () => resolve(true));
    });
    udp.close();
    await new Promise((resolve) => tcp.close(resolve));
    if (free) return port;
  }
}

/** Resolves once a STUN Binding request (RFC 8489) to `port` is answered; fails after the deadline or if `gone()`. */
async function stunAnswers(port: number, gone: () => boolean): Promise<void> {
  const socket = createSocket('udp4');
  let answered = false;
  socket.on('message', (msg) => {
    // A Binding success response: type 0x0101, then the magic cookie.
    if (msg.length >= 20 && msg.readUInt16BE(0) === 0x0101 && msg.readUInt32BE(4) === 0x2112a442) answered = true;
  });
  const request = Buffer.alloc(20);
  request.writeUInt16BE(0x0001, 0);
  request.writeUInt32BE(0x2112a442, 4);
  randomBytes(12).copy(request, 8);
  const resend = setInterval(() => socket.send(request, port, '127.0.0.1'), 100);
  try {
    await waitFor(() => answered || gone(), START_TIMEOUT_MS, `coturn to answer STUN on 127.0.0.1:${port}`);
    if (!answered) throw new Error('turnserver exited');
  } finally {
    clearInterval(resend);
    socket.close();
  }
}
