// PostgreSQL statements per call lifecycle (issue 14): one `dialtone serve` on PostgreSQL, reached
// through a proxy that counts what goes over the wire (bench/lib/pg-wire.mjs), runs 1-to-1
// lifecycles (calls → accept → hangup, all three callback commands on, 4 callbacks delivered) and
// prints the statements per lifecycle, BEGIN and COMMIT not counted, by statement and by
// transaction shape: which come from the steps, the callback claims, the settlements, the timers.
// Counting is not timing: how claims and settlements batch depends on the load, so run it both
// paced (`--rate`) and closed-loop (`--rate 0`). It also reports the server's CPU per lifecycle:
// the Dialtone process and the PostgreSQL backends of its own connections (found through the
// proxy), not the rest of a database other programs may share; `--store sqlite` runs the same
// lifecycles on SQLite (no statements to count) for the CPU to compare with.
// Usage: npm run bench -- pg-statements [--lifecycles 1000] [--warmup 300] [--pairs 40] [--rate 250] [--json]
//        [--store postgres|sqlite] [--max <n>: exit 1 when statements per lifecycle exceed n]
//        [--schema <name>]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { RestClient } from '../dist/cli/rest-client.js';
import { BackendCpu, startPgWireCounter } from './lib/pg-wire.mjs';
import { cpuSeconds, startDialtone } from './lib/processes.mjs';
import { SignallingClient } from './lib/signalling-client.mjs';
import { startReceiver } from './lib/receiver.mjs';

const { values: opts } = parseArgs({
  options: {
    lifecycles: { type: 'string', default: '1000' },
    warmup: { type: 'string', default: '300' },
    pairs: { type: 'string', default: '40' },
    rate: { type: 'string', default: '250' },
    schema: { type: 'string', default: `bench_pgstmt_${process.pid}` },
    max: { type: 'string' },
    store: { type: 'string', default: 'postgres' },
    json: { type: 'boolean', default: false },
  },
  allowPositionals: true,
});
const LIFECYCLES = Number(opts.lifecycles);
const PAIRS = Number(opts.pairs);
const RATE = Number(opts.rate);
const SDKAPPID = 1400000778;
const KEY = 'bench-pg-statements-key';
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const PG = opts.store !== 'sqlite';
const log = (...a) => process.stderr.write(`${a.join(' ')}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Resolves once no statement has crossed the proxy for `quietMs` (or after `maxMs`). */
async function quiet(counts, quietMs, maxMs = 10_000) {
  const until = performance.now() + maxMs;
  let last = counts.total + counts.txControl;
  let since = performance.now();
  while (performance.now() < until) {
    await sleep(25);
    const now = counts.total + counts.txControl;
    if (now !== last) [last, since] = [now, performance.now()];
    else if (performance.now() - since >= quietMs) return;
  }
}

/** One lifecycle on a pair; true when every step answered ok. */
async function lifecycle({ caller, callee, i }) {
  const ringing = callee.event('onCallReceived');
  const r = await caller.request('calls', { userIdList: [`b${i}`], mediaType: 'Audio' });
  if (!r.ok) return false;
  await ringing;
  const callId = r.result.callId;
  const a = await callee.request('accept', { callId });
  const h = await callee.request('hangup', { callId });
  return a.ok && h.ok;
}

/** Runs `total` lifecycles: at `RATE` per second on whichever pair is free, or back to back per pair (rate 0). */
async function drive(pairs, total) {
  let done = 0;
  let errors = 0;
  const run = async (pair) => ((await lifecycle(pair)) ? done++ : errors++);
  if (RATE <= 0) {
    let started = 0;
    await Promise.all(
      pairs.map(async (pair) => {
        while (started < total) {
          started++;
          await run(pair);
        }
      }),
    );
    return { done, errors };
  }
  const free = [...pairs];
  const waiting = [];
  const t0 = performance.now();
  const all = [];
  for (let n = 0; n < total; n++) {
    const at = t0 + (n * 1000) / RATE;
    if (at > performance.now()) await sleep(at - performance.now());
    const pair = free.pop() ?? (await new Promise((r) => waiting.push(r)));
    all.push(
      run(pair).then(() => {
        const next = waiting.shift();
        if (next) next(pair);
        else free.push(pair);
      }),
    );
  }
  await Promise.all(all);
  return { done, errors };
}

const receiver = await startReceiver();
const proxy = PG ? await startPgWireCounter(DATABASE_URL) : undefined;
const counts = proxy?.counts ?? { total: 0, txControl: 0, reset() {} };
const admin = PG ? new pg.Client({ connectionString: DATABASE_URL }) : undefined;
await admin?.connect();
const dir = mkdtempSync(join(tmpdir(), 'dialtone-bench-pgstmt-'));
let node;
let backends;
let result;
try {
  node = await startDialtone({
    sdkAppId: SDKAPPID,
    secretKey: KEY,
    env: { DIALTONE_DATA_DIR: dir, ...(proxy ? { DATABASE_URL: proxy.url, DIALTONE_DATABASE_SCHEMA: opts.schema } : {}) },
  });
  backends = proxy ? new BackendCpu(admin, proxy.ports, cpuSeconds) : undefined;
  await new RestClient({ url: node.url, sdkAppId: SDKAPPID, secretKey: KEY, admin: 'administrator' }).call('call_config/set_callback', {
    Url: receiver.url,
    CallbackCommandList: ['Call.CallbackAfterStartCall', 'Call.CallbackAfterMemberChanged', 'Call.CallbackAfterEndCall'],
  });
  const pairs = [];
  for (let i = 0; i < PAIRS; i++) {
    pairs.push({
      caller: await SignallingClient.connect(node.url, { sdkAppId: SDKAPPID, secretKey: KEY, userId: `a${i}` }),
      callee: await SignallingClient.connect(node.url, { sdkAppId: SDKAPPID, secretKey: KEY, userId: `b${i}` }),
      i,
    });
  }
  // Unmeasured: the server's code is compiled and its pool filled before counting starts.
  const warm = await drive(pairs, Number(opts.warmup));
  const until = performance.now() + 60_000;
  while ((await receiver.ask('stats')).count < warm.done * 4 && performance.now() < until) await sleep(20);
  await quiet(counts, 300);
  await receiver.ask('reset');
  counts.reset();
  const cpu0 = { dialtone: cpuSeconds(node.child.pid), postgres: (await backends?.seconds()) ?? 0 };
  const started = performance.now();
  const { done, errors } = await drive(pairs, LIFECYCLES);
  const seconds = (performance.now() - started) / 1000;
  const deadline = performance.now() + 60_000;
  while ((await receiver.ask('stats')).count < done * 4 && performance.now() < deadline) await sleep(20);
  const callbacks = (await receiver.ask('stats')).count;
  // The settlements of the last deliveries, and the claim loop's look at the next due time.
  await quiet(counts, 500);
  const cpu = {
    dialtone: cpuSeconds(node.child.pid) - cpu0.dialtone,
    postgres: ((await backends?.seconds()) ?? 0) - cpu0.postgres,
  };
  const c = counts;
  const per = (n) => Number((n / done).toFixed(2));
  const ms = (seconds) => Number(((seconds * 1000) / done).toFixed(2));
  result = {
    store: PG ? 'postgres' : 'sqlite',
    lifecycles: done,
    errors,
    callbacks,
    rate: RATE > 0 ? RATE : 'closed loop',
    pairs: PAIRS,
    achievedPerSecond: Number((done / seconds).toFixed(1)),
    cpuMsPerLifecycle: { dialtone: ms(cpu.dialtone), postgres: ms(cpu.postgres), total: ms(cpu.dialtone + cpu.postgres) },
    ...(PG
      ? {
          statementsPerLifecycle: per(c.total),
          roundTripsPerLifecycle: per(c.roundTrips),
          beginCommitPerLifecycle: per(c.txControl),
          statements: [...c.statements]
            .sort((a, b) => b[1] - a[1])
            .map(([label, n]) => ({ label, perLifecycle: per(n), text: c.texts.get(label) })),
          transactions: [...c.transactions].sort((a, b) => b[1] - a[1]).map(([shape, n]) => ({ shape, perLifecycle: per(n), count: n })),
        }
      : {}),
  };
  for (const p of pairs) {
    p.caller.close();
    p.callee.close();
  }
} finally {
  receiver.child.kill();
  backends?.stop();
  if (node) {
    node.child.kill('SIGTERM');
    await new Promise((r) => (node.child.exitCode !== null ? r() : node.child.once('exit', r)));
  }
  await proxy?.close();
  rmSync(dir, { recursive: true, force: true });
  if (admin) {
    await admin.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(opts.schema)} CASCADE`);
    await admin.end();
  }
}

if (opts.json) console.log(JSON.stringify(result));
else {
  const r = result;
  const load = r.rate === 'closed loop' ? 'closed loop' : `${r.rate}/s offered`;
  console.log(
    `\n${PG ? 'PostgreSQL statements per lifecycle (issue 14)' : 'SQLite, for comparison'}: ${r.lifecycles} lifecycles (${load}, ${r.pairs} pairs, ${r.achievedPerSecond}/s achieved), ${r.callbacks} callbacks, ${r.errors} errors`,
  );
  const cpu = r.cpuMsPerLifecycle;
  console.log(
    `server CPU per lifecycle: ${cpu.total} ms (Dialtone ${cpu.dialtone} ms${PG ? `, its PostgreSQL backends ${cpu.postgres} ms` : ''})`,
  );
  if (PG) {
    console.log(
      `statements per lifecycle (BEGIN/COMMIT not counted): ${r.statementsPerLifecycle}; round trips: ${r.roundTripsPerLifecycle}; BEGIN/COMMIT/ROLLBACK: ${r.beginCommitPerLifecycle}`,
    );
    console.log('\n| statement | per lifecycle |\n|---|---|');
    for (const s of r.statements) console.log(`| ${s.label} | ${s.perLifecycle} |`);
    console.log('\n| transaction (statements in order) | per lifecycle |\n|---|---|');
    for (const t of r.transactions) console.log(`| ${t.shape} | ${t.perLifecycle} |`);
    console.log('\nprepared statements:');
    for (const s of r.statements) if (s.text) console.log(`  ${s.label}: ${s.text.replace(/\s+/g, ' ').trim()}`);
  }
}
if (PG && opts.max !== undefined && !(result.statementsPerLifecycle <= Number(opts.max))) {
  log(`statements per lifecycle ${result.statementsPerLifecycle} > ${opts.max}`);
  process.exit(1);
}
