// Callbacks that keep pace, and a cluster mode that costs what the embedded mode costs (issue 14).
// Real `dialtone serve` processes, real WebSocket clients from several 127.0.0.x addresses, all
// three callback commands on to a receiver process on loopback; every target of the issue
// printed beside its target and beside a ceiling or baseline measured in the same run.
// CPU is read from /proc: the Dialtone processes, the PostgreSQL backends serving them plus the
// server's background processes (bench/lib/pg-cpu.mjs), Redis; "others on the machine" is what
// the machine ran besides the benchmark's own processes during a step, the noise of its figures.
//
// Usage: npm run bench -- pace [options]
//   --only sqlite-paced,closed,cpu,pg-rate   the parts to run (default all)
//   --rates 1000,1500          (sqlite-paced) lifecycle rates on SQLite
//   --step-seconds 10          (sqlite-paced) length of each rate step (the first second is warm-up)
//   --pairs 500                caller/callee pairs of the paced parts
//   --closed-pairs 100         (closed) pairs running lifecycles back to back
//   --closed-seconds 10        (closed) measured window, after one second of warm-up
//   --cpu-rate 250             (cpu) the paced rate CPU per lifecycle is measured at
//   --cpu-seconds 10           (cpu) length of that step
//   --pg-rates 500,800         (pg-rate) paced rates on one PostgreSQL process
//   --cluster-rates 700        (pg-rate) paced rates on two processes with PostgreSQL + Redis
//   --pg-seconds 10            (pg-rate) length of each of those steps
//   --json                     print the report as JSON instead of the table
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { dbStatements, enableCallbacks } from './lib/admin.mjs';
import { rawCallbackCeiling, rawPacedLatencies, startEchoCeiling } from './lib/ceilings.mjs';
import { DATABASE_URL, REDIS_URL, dropRunStore } from './lib/cluster-store.mjs';
import { closePairs, connectPairs, runClosed, runPaced } from './lib/lifecycles.mjs';
import { samplePgCpu } from './lib/pg-cpu.mjs';
import { cpuOfCommands, cpuSeconds, machineBusySeconds, startDialtone, stopProcess } from './lib/processes.mjs';
import { collectSamples, startReceiver } from './lib/receiver.mjs';
import { summary } from './lib/signalling-client.mjs';

const PARTS = ['sqlite-paced', 'closed', 'cpu', 'pg-rate'];
const { values: opts } = parseArgs({
  options: {
    only: { type: 'string', default: PARTS.join(',') },
    rates: { type: 'string', default: '1000,1500' },
    'step-seconds': { type: 'string', default: '10' },
    pairs: { type: 'string', default: '500' },
    'closed-pairs': { type: 'string', default: '100' },
    'closed-seconds': { type: 'string', default: '10' },
    'cpu-rate': { type: 'string', default: '250' },
    'cpu-seconds': { type: 'string', default: '10' },
    'pg-rates': { type: 'string', default: '500,800' },
    'cluster-rates': { type: 'string', default: '700' },
    'pg-seconds': { type: 'string', default: '10' },
    json: { type: 'boolean', default: false },
  },
  allowPositionals: true,
});
const only = opts.only.split(',');
for (const p of only) if (!PARTS.includes(p)) throw new Error(`unknown part ${p}; choose from ${PARTS.join(', ')}`);
const numbers = (s) => s.split(',').map(Number);
const RATES = numbers(opts.rates);
const STEP_SECONDS = Number(opts['step-seconds']);
const PAIRS = Number(opts.pairs);
const CLOSED_PAIRS = Number(opts['closed-pairs']);
const CLOSED_SECONDS = Number(opts['closed-seconds']);
const CPU_RATE = Number(opts['cpu-rate']);
const CPU_SECONDS = Number(opts['cpu-seconds']);
const PG_RATES = numbers(opts['pg-rates']);
const CLUSTER_RATES = numbers(opts['cluster-rates']);
const PG_SECONDS = Number(opts['pg-seconds']);
const AUTH = { sdkAppId: 1400000999, secretKey: 'bench-pace-key' };
/** Callbacks per completed 1-to-1 lifecycle: StartCall, MemberChanged (accept, hangup), EndCall. */
const PER_LIFECYCLE = 4;
/** Rate of the unmeasured warm-up on fresh processes. */
const WARMUP_RATE = 100;
const log = (...a) => process.stderr.write(`${a.join(' ')}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const round = (v, d = 1) => (Number.isFinite(v) ? Number(v.toFixed(d)) : v);

// ---- servers ---------------------------------------------------------------------------------

const runId = `pace_${process.pid}`;
const schemas = [];
const dataDir = mkdtempSync(join(tmpdir(), 'dialtone-bench-pace-'));

/**
 * Starts a mode's Dialtone processes with callbacks on; `{ name, nodes, store }`, where `store`
 * says whose CPU counts besides Dialtone's (`pg`, `redis`).
 */
async function startMode(kind, processes = 1) {
  const env = { DIALTONE_REST_RATE_LIMIT: '100000' };
  const store = { pg: kind !== 'sqlite', redis: kind === 'pg-redis' };
  if (kind === 'sqlite') env.DIALTONE_DATA_DIR = join(dataDir, `sqlite-${schemas.length}-${Date.now()}`);
  else {
    const schema = `${runId}_${schemas.length}`;
    schemas.push(schema);
    Object.assign(env, { DATABASE_URL, DIALTONE_DATABASE_SCHEMA: schema });
    if (store.redis) Object.assign(env, { REDIS_URL, DIALTONE_REDIS_PREFIX: `${runId}:` });
  }
  const nodes = [];
  for (let i = 0; i < processes; i++) nodes.push(await startDialtone({ ...AUTH, env }));
  await enableCallbacks(nodes[0].url, AUTH, receiver.url);
  // The other processes read the callback configuration through a 1 s cache.
  if (processes > 1) await sleep(1500);
  return { nodes, store };
}

async function stopMode(mode) {
  await Promise.all(mode.nodes.map((n) => stopProcess(n.child)));
}

/**
 * CPU seconds so far of the mode's Dialtone processes, Redis, the receiver and the machine.
 * PostgreSQL's are sampled apart ({@link samplePgCpu}): only the backends serving these processes.
 */
function serverCpu({ nodes, store }) {
  return {
    dialtone: nodes.reduce((a, n) => a + cpuSeconds(n.child.pid), 0),
    postgres: 0,
    redis: store.redis ? cpuOfCommands(['redis-server']) : 0,
    receiver: cpuSeconds(receiver.child.pid),
    machine: machineBusySeconds(),
  };
}

/**
 * Cores busy between two readings: the server side, the receiver, this generator, and the
 * machine as a whole. `others` is what the machine ran besides them (other work on a shared
 * machine, or PostgreSQL and Redis serving others): the noise of the figure.
 */
function coresBetween(cpu0, cpu1, gen, seconds) {
  const c = (k) => round((cpu1[k] - cpu0[k]) / seconds, 2);
  const generator = round((gen.user + gen.system) / 1e6 / seconds, 2);
  const ours = c('dialtone') + c('postgres') + c('redis') + c('receiver') + generator;
  return {
    dialtone: c('dialtone'),
    postgres: c('postgres'),
    redis: c('redis'),
    receiver: c('receiver'),
    generator,
    machine: c('machine'),
    others: round(Math.max(0, c('machine') - ours), 2),
  };
}

/**
 * Two seconds of lifecycles at a low rate on fresh processes, not measured, and their callbacks:
 * the first lifecycles pay for JIT compilation and for opening database connections.
 */
async function warmUp(mode, pairs) {
  await receiver.ask('reset');
  const run = await runPaced(pairs, { rate: WARMUP_RATE, seconds: 2 });
  const deadline = performance.now() + 10_000;
  while ((await receiver.ask('stats')).count < run.completed * PER_LIFECYCLE && performance.now() < deadline) await sleep(20);
}

// ---- one paced step ----------------------------------------------------------------------------

/**
 * Lifecycles paced at `rate` for `seconds`, then waits (at most `deliverWithinMs`) for their
 * callbacks. Server CPU and statements are read from the step's start until every callback has
 * arrived (or the deadline), so they include the delivery of the step's callbacks.
 */
async function pacedStep(mode, pairs, rate, seconds, deliverWithinMs) {
  await receiver.ask('reset');
  const samples = collectSamples(receiver);
  const pids = mode.nodes.map((n) => n.child.pid);
  const pgCpu = mode.store.pg ? await samplePgCpu(DATABASE_URL, pids) : undefined;
  const cpu0 = serverCpu(mode);
  const statements0 = await dbStatements(mode.nodes);
  const gen0 = process.cpuUsage();
  const t0 = performance.now();
  const run = await runPaced(pairs, { rate, seconds });
  const expected = run.completed * PER_LIFECYCLE;
  const oneSecondAfter = run.lastDoneAt + 1000;
  let backlogAfter1s;
  let count = await samples.count();
  const deadline = performance.now() + deliverWithinMs;
  while (count < expected && performance.now() < deadline) {
    await sleep(20);
    count = await samples.count();
    if (backlogAfter1s === undefined && Date.now() >= oneSecondAfter) backlogAfter1s = Math.max(0, expected - count);
  }
  const t1 = performance.now();
  const cpu1 = serverCpu(mode);
  if (pgCpu) cpu1.postgres = await pgCpu.stop();
  const statements1 = await dbStatements(mode.nodes);
  const gen = process.cpuUsage(gen0);
  // Caught up before the 1 s mark: nothing was left then.
  if (backlogAfter1s === undefined) backlogAfter1s = count >= expected ? 0 : undefined;
  const s = await samples.stop();
  const wall = (t1 - t0) / 1000;
  const cpu = {
    dialtone: cpu1.dialtone - cpu0.dialtone,
    postgres: cpu1.postgres - cpu0.postgres,
    redis: cpu1.redis - cpu0.redis,
  };
  const serverCpuSeconds = cpu.dialtone + cpu.postgres + cpu.redis;
  const step = {
    rate,
    offered: run.offered,
    completed: run.completed,
    achievedPerSecond: round(run.completed / run.seconds),
    errors: run.errors,
    skipped: run.skipped,
    ringMs: summary(run.lat.received),
    acceptToBeginMs: summary(run.lat.begin),
    lagMs: summary(s.lags),
    callbacksExpected: expected,
    callbacksDelivered: s.count,
    backlogAfter1s,
    lastCallbackAfterMs: s.count >= expected && s.lastAt ? Math.max(0, s.lastAt - run.lastDoneAt) : undefined,
    cores: coresBetween(cpu0, cpu1, gen, wall),
    cpuMsPerLifecycle: round((serverCpuSeconds * 1000) / run.completed, 2),
  };
  if (statements0 && statements1) {
    step.statementsPerLifecycleAll = round((statements1.all - statements0.all) / run.completed, 1);
    if (statements0.beginCommits !== undefined && statements1.beginCommits !== undefined)
      step.statementsPerLifecycle = round(
        (statements1.all - statements0.all - (statements1.beginCommits - statements0.beginCommits)) / run.completed,
        1,
      );
  }
  log(`    ${rate}/s: ${JSON.stringify(step)}`);
  return step;
}

// ---- the parts -----------------------------------------------------------------------------------

async function sqlitePaced() {
  log('(1) SQLite, paced lifecycles…');
  const mode = await startMode('sqlite');
  const pairs = await connectPairs(
    mode.nodes.map((n) => n.url),
    AUTH,
    PAIRS,
  );
  const steps = [];
  try {
    await warmUp(mode, pairs);
    for (const rate of RATES) {
      steps.push(await pacedStep(mode, pairs, rate, STEP_SECONDS, 60_000));
      await sleep(500);
    }
  } finally {
    closePairs(pairs);
    await stopMode(mode);
  }
  return { pairs: PAIRS, steps };
}

async function closed() {
  log(`(2) SQLite, closed loop: ${CLOSED_PAIRS} pairs, ${CLOSED_SECONDS} s…`);
  const mode = await startMode('sqlite');
  const pairs = await connectPairs(
    mode.nodes.map((n) => n.url),
    AUTH,
    CLOSED_PAIRS,
  );
  try {
    await warmUp(mode, pairs);
    await receiver.ask('reset');
    const samples = collectSamples(receiver);
    const loop = runClosed(pairs);
    await sleep(1000);
    const c0 = loop.completed();
    const r0 = await samples.count();
    const cpu0 = serverCpu(mode);
    const gen0 = process.cpuUsage();
    const t0 = performance.now();
    await sleep(CLOSED_SECONDS * 1000);
    const c1 = loop.completed();
    const r1 = await samples.count();
    const t1 = performance.now();
    const cpu1 = serverCpu(mode);
    const gen = process.cpuUsage(gen0);
    await loop.stop();
    const stoppedAt = performance.now();
    const expected = loop.completed() * PER_LIFECYCLE;
    const backlogAtStop = Math.max(0, expected - (await samples.count()));
    let count = 0;
    const deadline = performance.now() + 120_000;
    while ((count = await samples.count()) < expected && performance.now() < deadline) await sleep(20);
    const drainSeconds = (performance.now() - stoppedAt) / 1000;
    const s = await samples.stop();
    const window = (t1 - t0) / 1000;
    const lifecyclesPerSecond = (c1 - c0) / window;
    const deliveredPerSecond = (r1 - r0) / window;
    const result = {
      pairs: CLOSED_PAIRS,
      seconds: round(window, 2),
      lifecyclesPerSecond: round(lifecyclesPerSecond),
      callbacksDeliveredPerSecond: round(deliveredPerSecond),
      deliveredPerLifecycle: round(deliveredPerSecond / lifecyclesPerSecond, 2),
      errors: loop.errors(),
      ringMs: summary(loop.lat.received),
      lagMs: summary(s.lags),
      backlogAtStop,
      drainSeconds: round(drainSeconds, 2),
      drainPerSecond: round(backlogAtStop / drainSeconds),
      callbacksDelivered: `${count}/${expected}`,
      cores: coresBetween(cpu0, cpu1, gen, window),
    };
    log(`    ${JSON.stringify(result)}`);
    return result;
  } finally {
    closePairs(pairs);
    await stopMode(mode);
  }
}

/** The cpu and pg-rate steps of one mode, on one set of processes and pairs. */
async function modeSteps(name, kind, processes, rates) {
  log(`(3/4) ${name}…`);
  const mode = await startMode(kind, processes);
  const pairs = await connectPairs(
    mode.nodes.map((n) => n.url),
    AUTH,
    PAIRS,
  );
  const out = { name, processes, cpu: undefined, rates: [] };
  try {
    await warmUp(mode, pairs);
    if (only.includes('cpu')) {
      out.cpu = await pacedStep(mode, pairs, CPU_RATE, CPU_SECONDS, 60_000);
      await sleep(500);
    }
    for (const rate of rates) {
      out.rates.push(await pacedStep(mode, pairs, rate, PG_SECONDS, 30_000));
      await sleep(500);
    }
  } finally {
    closePairs(pairs);
    await stopMode(mode);
  }
  return out;
}

// ---- the ceilings --------------------------------------------------------------------------------

async function ceilings() {
  log('(ceilings) bare ws echo server and plain undici POSTs, same machine, same receiver…');
  const out = { echoSockets: 2 * PAIRS, echoPacedMs: {}, rawPacedMs: {} };
  const pacedRates = new Set([
    ...(only.includes('sqlite-paced') ? RATES : []),
    ...(only.includes('cpu') ? [CPU_RATE] : []),
    ...(only.includes('pg-rate') ? [...PG_RATES, ...CLUSTER_RATES] : []),
  ]);
  const echo = await startEchoCeiling(2 * PAIRS);
  try {
    if (only.includes('closed')) out.echoRoundTripsPerSecond = await echo.closedLoop(3);
    for (const rate of pacedRates) out.echoPacedMs[rate] = await echo.paced(rate, 2);
  } finally {
    echo.close();
  }
  if (only.includes('closed')) out.rawCallbacksPerSecond = await rawCallbackCeiling(receiver, { seconds: 3 });
  if (only.includes('sqlite-paced')) {
    // The floor of the callback lag: the same number of callbacks per second sent straight.
    for (const rate of RATES) {
      const lat = await rawPacedLatencies(receiver, { rate: rate * PER_LIFECYCLE, seconds: 2 });
      out.rawPacedMs[rate] = summary(lat.slice(Math.floor(lat.length / 5)));
    }
  }
  log(`    ${JSON.stringify(out)}`);
  return out;
}

// ---- main ----------------------------------------------------------------------------------------

const receiver = await startReceiver();
const report = { date: new Date().toISOString(), parts: only, ceilings: undefined, results: {} };
try {
  report.ceilings = await ceilings();
  if (only.includes('sqlite-paced')) report.results.sqlitePaced = await sqlitePaced();
  if (only.includes('closed')) report.results.closed = await closed();
  if (only.includes('cpu') || only.includes('pg-rate')) {
    const pgRate = only.includes('pg-rate');
    if (only.includes('cpu')) report.results.cpuSqlite = await modeSteps('1 process, SQLite', 'sqlite', 1, []);
    report.results.pg = await modeSteps('1 process, PostgreSQL', 'pg', 1, pgRate ? PG_RATES : []);
    report.results.pgRedis = await modeSteps('2 processes, PostgreSQL + Redis', 'pg-redis', 2, pgRate ? CLUSTER_RATES : []);
  }
} finally {
  receiver.child.kill();
  rmSync(dataDir, { recursive: true, force: true });
  if (schemas.length > 0) await dropRunStore({ schemas, redisPrefix: `${runId}:` });
}

if (opts.json) console.log(JSON.stringify(report));
else printTable(report);

// ---- the table -----------------------------------------------------------------------------------

function printTable({ ceilings: c, results: r }) {
  const rows = [];
  const row = (part, figure, measured, target, met, ceiling) => rows.push({ part, figure, measured, target, met, ceiling });
  const ms = (s) => (s && s.n > 0 ? `${s.p50} / ${s.p95} / ${s.p99} ms` : 'n/a');
  const yes = (ok) => (ok === undefined ? '—' : ok ? 'met' : '**not met**');
  const echoAt = (rate) => (c.echoPacedMs[rate] ? `echo round trip p99 ${c.echoPacedMs[rate].p99} ms at ${rate}/s` : '');
  const errs = (s) => (s.errors + s.skipped > 0 ? ` (${s.errors} errors, ${s.skipped} not started: no free pair)` : '');
  // Other work on the machine during the step: the noise of its figures.
  const others = (s) => `; others on the machine ${s.cores.others} cores`;

  for (const s of r.sqlitePaced?.steps ?? []) {
    const lagTarget = s.rate === 1000 ? 50 : s.rate === 1500 ? 250 : undefined;
    row(
      'SQLite',
      `${s.rate}/s: achieved lifecycles/s; calls→onCallReceived p50 / p95 / p99`,
      `${s.achievedPerSecond}/s; ${ms(s.ringMs)}${errs(s)}${others(s)}`,
      s.rate === 1000 ? 'ring p99 no worse than before the change' : '—',
      undefined,
      echoAt(s.rate),
    );
    row(
      'SQLite',
      `${s.rate}/s: callback lag (EventTime → receipt) p50 / p95 / p99`,
      ms(s.lagMs),
      lagTarget !== undefined ? `p99 ≤ ${lagTarget} ms` : '—',
      lagTarget !== undefined ? s.lagMs.p99 <= lagTarget : undefined,
      c.rawPacedMs[s.rate] ? `bare undici POSTs at ${s.rate * PER_LIFECYCLE}/s, send → receipt ${ms(c.rawPacedMs[s.rate])}` : '',
    );
    row(
      'SQLite',
      `${s.rate}/s: callbacks not received 1 s after the last lifecycle; last callback after`,
      `${s.backlogAfter1s ?? 'n/a'} of ${s.callbacksExpected}; ${s.lastCallbackAfterMs ?? 'never'} ms`,
      s.rate === 1500 ? 'none left' : '—',
      s.rate === 1500 ? s.backlogAfter1s === 0 : undefined,
      '',
    );
  }
  if (r.closed) {
    const k = r.closed;
    row(
      'SQLite closed loop',
      `lifecycles/s, ${k.pairs} pairs (calls→onCallReceived p99)`,
      `${k.lifecyclesPerSecond}/s (${k.ringMs.p99} ms)${k.errors ? `, ${k.errors} errors` : ''}; Dialtone ${k.cores.dialtone} cores${others(k)}`,
      '≥ 90% of the figure before the change',
      undefined,
      c.echoRoundTripsPerSecond
        ? `echo ${c.echoRoundTripsPerSecond} round trips/s = ${round(c.echoRoundTripsPerSecond / 3)} lifecycles/s of 3 requests`
        : '',
    );
    row(
      'SQLite closed loop',
      'callbacks delivered/s during the load (lag p99)',
      `${k.callbacksDeliveredPerSecond}/s (${k.lagMs.p99} ms)`,
      '—',
      undefined,
      c.rawCallbacksPerSecond ? `bare undici POSTs, 32 in flight: ${c.rawCallbacksPerSecond}/s` : '',
    );
    row(
      'SQLite closed loop',
      'callbacks delivered per lifecycle during the load',
      `${k.deliveredPerLifecycle}`,
      '≥ 3.5',
      k.deliveredPerLifecycle >= 3.5,
      `${PER_LIFECYCLE} produced; backlog ${k.backlogAtStop} at the stop, drained in ${k.drainSeconds} s (${k.drainPerSecond}/s)`,
    );
  }
  const sqliteCpu = r.cpuSqlite?.cpu?.cpuMsPerLifecycle;
  for (const m of [r.cpuSqlite, r.pg, r.pgRedis]) {
    if (!m?.cpu) continue;
    const s = m.cpu;
    const isSqlite = m === r.cpuSqlite;
    const parts = `Dialtone ${s.cores.dialtone}${isSqlite ? '' : ` + postgres ${s.cores.postgres}`}${m === r.pgRedis ? ` + redis ${s.cores.redis}` : ''} cores`;
    row(
      m.name,
      `CPU ms per lifecycle at ${s.rate}/s (${parts})`,
      `${s.cpuMsPerLifecycle} ms (achieved ${s.achievedPerSecond}/s, ring p99 ${s.ringMs.p99} ms, lag p99 ${s.lagMs.p99} ms)${errs(s)}${others(s)}`,
      isSqlite ? 'baseline' : '≤ 2 × SQLite',
      isSqlite || sqliteCpu === undefined ? undefined : s.cpuMsPerLifecycle <= 2 * sqliteCpu,
      isSqlite || sqliteCpu === undefined ? '' : `${round(s.cpuMsPerLifecycle / sqliteCpu, 2)} × SQLite (${sqliteCpu} ms)`,
    );
    if (!isSqlite)
      row(
        m.name,
        `statements per lifecycle at ${s.rate}/s, BEGIN and COMMIT not counted`,
        `${s.statementsPerLifecycle ?? 'n/a'}`,
        '≤ 12',
        s.statementsPerLifecycle === undefined ? undefined : s.statementsPerLifecycle <= 12,
        `${s.statementsPerLifecycleAll ?? 'n/a'} with BEGIN and COMMIT`,
      );
  }
  for (const m of [r.pg, r.pgRedis]) {
    for (const s of m?.rates ?? []) {
      const isTarget = m === r.pg && s.rate === 500;
      const ok = s.achievedPerSecond >= 0.99 * s.rate && s.errors + s.skipped === 0 && s.ringMs.p99 <= 50;
      row(
        m.name,
        `${s.rate}/s offered: achieved lifecycles/s; ring p99 (callbacks delivered)`,
        `${s.achievedPerSecond}/s; ${s.ringMs.p99} ms (${s.callbacksDelivered}/${s.callbacksExpected})${errs(s)}${others(s)}`,
        isTarget ? '≥ 500/s (≥ 99% of offered), p99 ≤ 50 ms' : `stretch: ${s.rate}/s, p99 ≤ 50 ms`,
        ok,
        echoAt(s.rate),
      );
    }
  }
  console.log('\nCallbacks keep pace and cluster cost (issue 14)');
  console.log('| part | figure | measured | target | met? | ceiling / baseline, same run |');
  console.log('|---|---|---|---|---|---|');
  for (const x of rows) console.log(`| ${x.part} | ${x.figure} | ${x.measured} | ${x.target} | ${yes(x.met)} | ${x.ceiling} |`);
}
