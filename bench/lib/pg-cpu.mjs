// CPU of the PostgreSQL processes that serve given Dialtone processes: their own backends (found
// by the ports of their connections) and the server's background processes, sampled while a
// step runs. Summing every `postgres` process instead would count other users of a shared
// server, and lose the CPU of backends that exit during the step.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import pg from 'pg';
import { cpuSeconds } from './processes.mjs';

/** Local ports of the TCP connections of `pids` to port `remotePort`. */
function localPortsTo(pids, remotePort) {
  const inodes = new Set();
  for (const pid of pids) {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]);
      } catch {
        // closed meanwhile
      }
    }
  }
  const ports = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const local = Number.parseInt(f[1].split(':')[1], 16);
      const remote = Number.parseInt(f[2].split(':')[1], 16);
      if (remote === remotePort && inodes.has(f[9])) ports.push(local);
    }
  }
  return ports;
}

/**
 * Samples, every `everyMs`, the CPU of the backends serving `pids` and of the background
 * processes (checkpointer, WAL writer, autovacuum…). `stop()` resolves with the CPU seconds
 * they used since `start()`: for each process, its last reading minus its first (zero for a
 * backend that started after the first sample).
 */
export async function samplePgCpu(databaseUrl, pids, everyMs = 500) {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'dialtone-bench-cpu' });
  await client.connect();
  const remotePort = Number(new URL(databaseUrl).port || 5432);
  const seen = new Map();
  let first = true;
  const sample = async () => {
    const ports = localPortsTo(pids, remotePort);
    const { rows } = await client.query(
      `SELECT pid FROM pg_stat_activity
       WHERE (backend_type = 'client backend' AND client_port = ANY($1::int[])) OR backend_type NOT IN ('client backend', 'autovacuum worker')`,
      [ports],
    );
    const serving = rows.map((r) => r.pid);
    // The postmaster, parent of them all.
    if (serving.length > 0) serving.push(Number(readFileSync(`/proc/${serving[0]}/stat`, 'utf8').split(') ')[1].split(' ')[1]));
    for (const pid of serving) {
      try {
        const cpu = cpuSeconds(pid);
        const s = seen.get(pid);
        if (s) s.last = cpu;
        else seen.set(pid, { first: first ? cpu : 0, last: cpu });
      } catch {
        // exited meanwhile: its last reading stands
      }
    }
    first = false;
  };
  await sample();
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    sample().finally(() => (busy = false));
  }, everyMs);
  return {
    async stop() {
      clearInterval(timer);
      while (busy) await new Promise((r) => setTimeout(r, 5));
      await sample();
      await client.end();
      let total = 0;
      for (const s of seen.values()) total += s.last - s.first;
      return total;
    },
  };
}
