// Cluster benchmark (issue 7): call set-up throughput and callback throughput of
//  (a) one process on SQLite, (b) one process on PostgreSQL, (c) three processes on PostgreSQL + Redis,
// side by side in one run, on this machine, with the per-process CPU and the database statements and round trips
// per call lifecycle.
// Usage: npm run bench -- cluster [--seconds 10] [--pairs 30] [--json]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { dbStatements, enableCallbacks } from './lib/admin.mjs';
import { DATABASE_URL, REDIS_URL, dropRunStore } from './lib/cluster-store.mjs';
import { cpuOfCommands, cpuSeconds, startDialtone, stopProcess } from './lib/processes.mjs';
import { SignallingClient } from './lib/signalling-client.mjs';
import { startReceiver } from './lib/receiver.mjs';

const { values: opts } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    pairs: { type: 'string', default: '60' },
    json: { type: 'boolean', default: false },
  },
  allowPositionals: true,
});
const SECONDS = Number(opts.seconds);
const PAIRS = Number(opts.pairs);
const SDKAPPID = 1400000777;
const KEY = 'bench-cluster-key';
const AUTH = { sdkAppId: SDKAPPID, secretKey: KEY };
const log = (...a) => process.stderr.write(`${a.join(' ')}\n`);

const startServer = (env) => startDialtone({ sdkAppId: SDKAPPID, secretKey: KEY, env });

/** Database statements (BEGIN and COMMIT apart) and round trips so far, from each process's /metrics (PostgreSQL only). */
const dbQueries = (nodes) => dbStatements(nodes);

async function runMode(name, env, processes, receiver) {
  const nodes = [];
  for (let i = 0; i < processes; i++) nodes.push(await startServer(env));
  await enableCallbacks(nodes[0].url, AUTH, receiver.url);
  await new Promise((r) => setTimeout(r, 1500)); // the other processes see the new config (1 s cache)
  const pairs = [];
  for (let i = 0; i < PAIRS; i++) {
    // Caller and callee on different processes whenever there are several.
    const a = nodes[i % processes];
    const b = nodes[(i + 1) % processes];
    pairs.push({
      caller: await SignallingClient.connect(a.url, { sdkAppId: SDKAPPID, secretKey: KEY, userId: `a${i}` }),
      callee: await SignallingClient.connect(b.url, { sdkAppId: SDKAPPID, secretKey: KEY, userId: `b${i}` }),
      i,
    });
  }
  await receiver.ask('reset');
  const queriesBefore = await dbQueries(nodes);
  const cpuBefore = nodes.map((n) => cpuSeconds(n.child.pid));
  const pgBefore = cpuOfCommands(['postgres']);
  const genBefore = process.cpuUsage();
  const genCpu = () => {
    const u = process.cpuUsage(genBefore);
    return (u.user + u.system) / 1e6;
  };
  const redisBefore = cpuOfCommands(['redis-server']);
  const started = performance.now();
  const deadline = started + SECONDS * 1000;
  let lifecycles = 0;
  let errors = 0;
  await Promise.all(
    pairs.map(async ({ caller, callee, i }) => {
      while (performance.now() < deadline) {
        const ringing = callee.event('onCallReceived');
        const r = await caller.request('calls', { userIdList: [`b${i}`], mediaType: 'Audio' });
        if (!r.ok) {
          errors++;
          continue;
        }
        await ringing;
        const callId = r.result.callId;
        const a = await callee.request('accept', { callId });
        const h = await callee.request('hangup', { callId });
        if (a.ok && h.ok) lifecycles++;
        else errors++;
      }
    }),
  );
  const loadSeconds = (performance.now() - started) / 1000;
  const expected = lifecycles * 4;
  for (;;) {
    const { count } = await receiver.ask('stats');
    if (count >= expected) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const allSeconds = (performance.now() - started) / 1000;
  const cpu = nodes.map((n, k) => (cpuSeconds(n.child.pid) - cpuBefore[k]) / allSeconds);
  const pgCpu = (cpuOfCommands(['postgres']) - pgBefore) / allSeconds;
  const redisCpu = (cpuOfCommands(['redis-server']) - redisBefore) / allSeconds;
  const queriesAfter = await dbQueries(nodes);
  for (const p of pairs) {
    p.caller.close();
    p.callee.close();
  }
  await Promise.all(nodes.map((n) => stopProcess(n.child)));
  const result = {
    mode: name,
    processes,
    lifecyclesPerSecond: Number((lifecycles / loadSeconds).toFixed(1)),
    callbacksPerSecond: Number((expected / allSeconds).toFixed(1)),
    errors,
    cpuPerProcess: cpu.map((c) => Number(c.toFixed(2))),
    postgresCpu: Number(pgCpu.toFixed(2)),
    // Everything the server side spent per lifecycle: Dialtone processes, PostgreSQL, Redis.
    serverCpuMsPerLifecycle: Number((((cpu.reduce((a, b) => a + b, 0) + pgCpu + redisCpu) * allSeconds * 1000) / lifecycles).toFixed(2)),
    loadGeneratorCpu: Number((genCpu() / allSeconds).toFixed(2)),
    redisCpu: Number(redisCpu.toFixed(2)),
    ...(queriesBefore !== undefined && queriesAfter !== undefined
      ? {
          // BEGIN and COMMIT not counted (as the target of issue 14 counts them).
          dbStatementsPerLifecycle: Number(
            ((queriesAfter.all - queriesAfter.beginCommits - (queriesBefore.all - queriesBefore.beginCommits)) / lifecycles).toFixed(1),
          ),
          dbRoundTripsPerLifecycle: Number(((queriesAfter.roundTrips - queriesBefore.roundTrips) / lifecycles).toFixed(1)),
        }
      : {}),
  };
  log(`${name}: ${JSON.stringify(result)}`);
  return result;
}

const receiver = await startReceiver();
const dir = mkdtempSync(join(tmpdir(), 'dialtone-bench-cluster-'));
const schema = `bench_${process.pid}`;
const prefix = `bench_${process.pid}:`;
const results = [];
try {
  results.push(await runMode('1 process, SQLite', { DIALTONE_DATA_DIR: join(dir, 'sqlite') }, 1, receiver));
  results.push(await runMode('1 process, PostgreSQL', { DATABASE_URL, DIALTONE_DATABASE_SCHEMA: `${schema}_a` }, 1, receiver));
  results.push(
    await runMode(
      '3 processes, PostgreSQL + Redis',
      { DATABASE_URL, DIALTONE_DATABASE_SCHEMA: `${schema}_b`, REDIS_URL, DIALTONE_REDIS_PREFIX: prefix },
      3,
      receiver,
    ),
  );
} finally {
  receiver.child.kill();
  rmSync(dir, { recursive: true, force: true });
  await dropRunStore({ schemas: [`${schema}_a`, `${schema}_b`], redisPrefix: prefix });
}

if (opts.json) console.log(JSON.stringify(results));
else {
  console.log(
    `\nCluster (issue 7): ${PAIRS} caller/callee pairs, ${SECONDS} s of back-to-back 1-to-1 lifecycles (calls, accept, hangup; 4 callbacks each)`,
  );
  console.log(
    '| mode | lifecycles/s | callbacks/s (to receipt) | CPU per Dialtone process (cores) | PostgreSQL CPU | Redis CPU | server CPU ms per lifecycle | DB statements (BEGIN, COMMIT apart) / round trips per lifecycle | load generator CPU | errors |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    console.log(
      `| ${r.mode} | ${r.lifecyclesPerSecond} | ${r.callbacksPerSecond} | ${r.cpuPerProcess.join(' / ')} | ${r.postgresCpu} | ${r.redisCpu} | ${r.serverCpuMsPerLifecycle} | ${r.dbStatementsPerLifecycle !== undefined ? `${r.dbStatementsPerLifecycle} / ${r.dbRoundTripsPerLifecycle}` : 'n/a'} | ${r.loadGeneratorCpu} | ${r.errors} |`,
    );
  }
}
