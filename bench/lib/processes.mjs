// Helpers the benchmarks share for their server processes: starting `dialtone serve` and reading
// a process's CPU time and memory from /proc.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat. */
const TICK = 100;

/**
 * Starts `dialtone serve` on a free port with `args` and `env` added; resolves to `{ child, url }`
 * once it listens. Logs at error level only. The benchmarks' receivers listen on loopback, so
 * callbacks may go there (`DIALTONE_CALLBACK_ALLOW`), as an operator with local receivers sets it.
 */
export function startDialtone({ sdkAppId, secretKey, args = [], env = {} }) {
  const child = spawn(process.execPath, ['bin/dialtone.js', 'serve', '--port', '0', ...args], {
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

/** Resident memory of a process, bytes. */
export function rssBytes(pid) {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
}
