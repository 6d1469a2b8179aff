// Helpers the benchmarks share for their processes: starting `dialtone serve` or a helper
// process, stopping them, and reading CPU time and memory from /proc.
import { fork, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat. */
const TICK = 100;

/**
 * Node options for the servers a benchmark starts, from `BENCH_SERVER_NODE_ARGS` (space-separated),
 * e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile them (Node refuses `--cpu-prof` in
 * `NODE_OPTIONS`).
 */
const SERVER_NODE_ARGS = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);

/**
 * Starts `dialtone serve` on a free port with `args` and `env` added; resolves to `{ child, url }`
 * once it listens. Logs at error level only. The benchmarks' receivers listen on loopback, so
 * callbacks may go there (`DIALTONE_CALLBACK_ALLOW`), as an operator with local receivers sets it.
 */
export function startDialtone({ sdkAppId, secretKey, args = [], env = {} }) {
  const child = spawn(process.execPath, [...SERVER_NODE_ARGS, 'bin/dialtone.js', 'serve', '--port', '0', ...args], {
    env: {
      ...process.env,
      DIALTONE_SDKAPPID: String(sdkAppId),
      DIALTONE_SECRET_KEY: secretKey,
      LOG_LEVEL: 'error',
      DIALTONE_CALLBACK_ALLOW: '127.0.0.0/8,::1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    // The banner is on stderr, the logs on stdout: both are kept until it listens, for the error
    // of a failed start; then stderr goes on to this process's own, and the logs are drained.
    let out = '';
    let listening = false;
    child.stdout.on('data', (d) => {
      if (!listening) out += d.toString();
    });
    child.stderr.on('data', (d) => {
      if (listening) return void process.stderr.write(d);
      out += d.toString();
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m) {
        listening = true;
        resolve({ child, url: m[1] });
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
}

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICK;
}

/**
 * CPU seconds the whole machine has been busy so far (every core; idle and I/O wait left out),
 * from /proc/stat: against the benchmark's own processes, what others ran meanwhile.
 */
export function machineBusySeconds() {
  const [, ...f] = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/);
  const v = f.map(Number);
  // user nice system idle iowait irq softirq steal …; guest time is already inside user.
  return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / TICK;
}

/** Resident memory of a process, bytes. */
export function rssBytes(pid) {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
}

/** CPU seconds used so far by every process of the given command names (PostgreSQL backends, Redis). */
export function cpuOfCommands(names) {
  let total = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (names.includes(readFileSync(`/proc/${pid}/comm`, 'utf8').trim())) total += cpuSeconds(pid);
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

/**
 * Forks a helper script (a path relative to bench/lib/) that sends one message when ready;
 * resolves to `{ child, ready, ask }`, where `ask(type)` sends `{ type }` and resolves with the
 * next answer of that type (or `${type}ped`, for `stop`).
 */
export function forkReady(path, args = []) {
  const child = fork(new URL(path, import.meta.url), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ask = (type) =>
    new Promise((resolve) => {
      const on = (m) => {
        if (m.type === type || m.type === `${type}ped`) {
          child.off('message', on);
          resolve(m);
        }
      };
      child.on('message', on);
      child.send({ type });
    });
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve({ child, ready: m, ask }));
    child.once('exit', (code) => reject(new Error(`${path} exited with ${code}`)));
  });
}

/** Sends SIGTERM and resolves once the process has exited. */
export function stopProcess(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  return exited;
}
