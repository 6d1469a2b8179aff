// Signalling load generator and benchmark (issue 8). Simulated clients over real WebSockets, from
// several source addresses on 127.0.0.0/8, against a local `dialtone serve` it starts (SQLite,
// every callback on and delivered to a local receiver process) or any Dialtone given by --url.
//
// Usage: npm run bench -- signalling [workloads] [options]
//   workloads (default all): ceiling lifecycles idle group burst
//   --url U --sdkappid N --secret-key K   use a running server instead of starting one
//   --rates 100,200,400,...               call rates of the lifecycle steps (calls/s)
//   --step-seconds 5                      length of each rate step (the first second is warm-up)
//   --idle 19000                          idle connections (one process holds at most its fd limit)
//   --burst 5000                          calls started within one second
//   --json                                print the whole report as JSON
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { enableCallbacks } from './lib/admin.mjs';
import { CALLS_FRAME, rawCallbackCeiling, startEchoCeiling } from './lib/ceilings.mjs';
import { closePairs, connectPairs, runPaced } from './lib/lifecycles.mjs';
import { cpuSeconds, forkReady, rssBytes, startDialtone } from './lib/processes.mjs';
import { startReceiver } from './lib/receiver.mjs';
import { SOURCE_ADDRESSES, connectMany as connectManyAs, summary } from './lib/signalling-client.mjs';

const { values: opts, positionals } = parseArgs({
  options: {
    url: { type: 'string' },
    sdkappid: { type: 'string', default: '1400000888' },
    'secret-key': { type: 'string', default: 'bench-signalling-key' },
    rates: { type: 'string', default: '100,250,500,750,1000,1250,1500' },
    'step-seconds': { type: 'string', default: '5' },
    idle: { type: 'string', default: '19000' },
    burst: { type: 'string', default: '5000' },
    'group-seconds': { type: 'string', default: '8' },
    json: { type: 'boolean', default: false },
  },
  allowPositionals: true,
});
const ALL = ['ceiling', 'lifecycles', 'idle', 'group', 'burst'];
const workloads = positionals.length > 0 ? positionals : ALL;
for (const w of workloads) if (!ALL.includes(w)) throw new Error(`unknown workload ${w}; choose from ${ALL.join(', ')}`);
const SDKAPPID = Number(opts.sdkappid);
const KEY = opts['secret-key'];
const STEP_SECONDS = Number(opts['step-seconds']);
const log = (...a) => process.stderr.write(`${a.join(' ')}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const auth = { sdkAppId: SDKAPPID, secretKey: KEY };

// ---- processes -------------------------------------------------------------------------------

const startServer = (dataDir) =>
  startDialtone({ sdkAppId: SDKAPPID, secretKey: KEY, args: ['--data-dir', dataDir], env: { DIALTONE_REST_RATE_LIMIT: '100000' } });

/** CPU seconds and RSS (bytes) of a local process, from /proc. */
function usage(pid) {
  if (!pid) return undefined;
  return { cpu: cpuSeconds(pid), rss: rssBytes(pid) };
}

class Meter {
  constructor(pid) {
    this.pid = pid;
    this.start = usage(pid);
    this.t0 = performance.now();
  }
  read() {
    const now = usage(this.pid);
    if (!now) return {};
    const seconds = (performance.now() - this.t0) / 1000;
    return {
      serverCpuCores: Number(((now.cpu - this.start.cpu) / seconds).toFixed(2)),
      serverRssMiB: Number((now.rss / 2 ** 20).toFixed(1)),
    };
  }
}

const connectMany = (url, prefix, n) => connectManyAs(url, auth, prefix, n);

// ---- (ceiling) a bare ws echo server ---------------------------------------------------------

async function ceiling(sockets, rate, seconds) {
  const echo = await startEchoCeiling(sockets);
  const meter = new Meter(echo.pid);
  // Closed loop: every socket keeps one frame in flight, as fast as the server answers.
  const roundTripsPerSecond = await echo.closedLoop(seconds);
  const closedLoop = meter.read();
  // Paced at `rate`: latency of one round trip, spread over the sockets.
  const pacedLatencyMs = await echo.paced(rate, seconds);
  echo.close();
  return {
    sockets,
    roundTripsPerSecond,
    closedLoopServerCpu: closedLoop.serverCpuCores,
    pacedRate: rate,
    pacedLatencyMs,
  };
}

// ---- (a) 1-to-1 lifecycles at increasing rates -----------------------------------------------

async function lifecycles(server, receiver, rates) {
  const maxRate = Math.max(...rates);
  // Enough pairs that a pair is free whenever a call is due at the highest rate (a lifecycle takes tens of ms).
  const PAIRS = Math.min(1000, Math.max(50, Math.ceil(maxRate * 0.25)));
  const pairs = await connectPairs([server.url], auth, PAIRS);
  const steps = [];
  for (const rate of rates) {
    await receiver.ask('reset');
    const meter = new Meter(server.child?.pid);
    const run = await runPaced(pairs, { rate, seconds: STEP_SECONDS });
    const { completed, measuredCompleted, errors, skipped, lat, offered: total } = run;
    const seconds = run.seconds;
    const usageNow = meter.read();
    // Every lifecycle's four callbacks must reach the receiver.
    const expected = completed * 4;
    const deliverDeadline = performance.now() + 60_000;
    let delivered = 0;
    while (performance.now() < deliverDeadline) {
      delivered = (await receiver.ask('stats')).count;
      if (delivered >= expected) break;
      await sleep(50);
    }
    const step = {
      rate,
      completedPerSecond: Number((completed / seconds).toFixed(1)),
      measuredCompleted,
      errors,
      skipped,
      callsToReceivedMs: summary(lat.received),
      acceptToBeginMs: summary(lat.begin),
      callbacksDelivered: `${delivered}/${expected}`,
      ...usageNow,
    };
    log(`  lifecycles at ${rate}/s: ${JSON.stringify(step)}`);
    steps.push(step);
    if (step.callsToReceivedMs.p99 > 100 || errors > total * 0.01 || skipped > total * 0.05) break;
    await sleep(500);
  }
  closePairs(pairs);
  return { pairs: PAIRS, steps };
}

// ---- (b) idle connections with heartbeats ----------------------------------------------------

async function idle(server, count) {
  await sleep(1000);
  const base = usage(server.child?.pid);
  const PER_WORKER = 5000;
  const workers = [];
  for (let i = 0; i * PER_WORKER < count; i++) {
    const n = Math.min(PER_WORKER, count - i * PER_WORKER);
    const args = JSON.stringify({
      url: server.url,
      ...auth,
      prefix: `idle${i}_`,
      count: n,
      heartbeatMs: 10_000,
      sourceAddress: SOURCE_ADDRESSES[i % SOURCE_ADDRESSES.length],
    });
    workers.push(forkReady('./idle-worker.mjs', [args]));
  }
  const ready = await Promise.all(workers);
  const connected = ready.reduce((a, w) => a + w.ready.connected, 0);
  const failed = ready.reduce((a, w) => a + w.ready.failed, 0);
  log(`  idle: ${connected} connected, ${failed} failed; measuring heartbeats for 20 s`);
  await sleep(2000);
  const meter = new Meter(server.child?.pid);
  await sleep(20_000);
  const steady = meter.read();
  const after = usage(server.child?.pid);
  const stopped = await Promise.all(ready.map((w) => w.ask('stop')));
  const open = stopped.reduce((a, s) => a + s.open, 0);
  return {
    requested: count,
    connected,
    failed,
    stillOpenAfter20s: open,
    baselineRssMiB: base ? Number((base.rss / 2 ** 20).toFixed(1)) : undefined,
    rssMiB: after ? Number((after.rss / 2 ** 20).toFixed(1)) : undefined,
    rssPerConnectionKiB: base && after ? Number(((after.rss - base.rss) / connected / 1024).toFixed(2)) : undefined,
    heartbeatCpuCores: steady.serverCpuCores,
    heartbeatsPerSecond: Math.round(connected / 10),
  };
}

// ---- (c) group calls of 9 with joins and leaves ----------------------------------------------

async function group(server, seconds) {
  const GROUPS = 20;
  const members = await connectMany(server.url, 'g', GROUPS * 9);
  const lat = { received: [], join: [] };
  let completed = 0;
  let errors = 0;
  const deadline = performance.now() + seconds * 1000;
  const meter = new Meter(server.child?.pid);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: GROUPS }, async (_, g) => {
      const [caller, ...callees] = members.slice(g * 9, g * 9 + 9);
      while (performance.now() < deadline) {
        const rings = callees.map((c) => c.event('onCallReceived'));
        const sent = performance.now();
        const r = await caller.request('calls', { userIdList: callees.map((c) => c.userId), mediaType: 'Video' });
        if (!r.ok) {
          errors++;
          continue;
        }
        const callId = r.result.callId;
        for (const e of await Promise.all(rings)) if (e) lat.received.push(e.at - sent);
        const accepted = await Promise.all(callees.map((c) => c.request('accept', { callId })));
        // Two members leave and join again: joins and leaves on a live group call.
        for (const c of callees.slice(0, 2)) {
          await c.request('hangup', { callId });
          // Only this join's event: the accepts' onUserJoin events are already queued.
          caller.drain();
          const seen = caller.event('onUserJoin', callId);
          const t0 = performance.now();
          const j = await c.request('join', { callId });
          const e = await seen;
          if (j.ok && e) lat.join.push(e.at - t0);
        }
        const ended = caller.event('onCallEnd', callId);
        for (const c of callees) await c.request('hangup', { callId });
        const e = await ended;
        if (accepted.every((a) => a.ok) && e) completed++;
        else errors++;
        for (const m of [caller, ...callees]) m.drain();
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const u = meter.read();
  for (const m of members) m.close();
  return {
    groups: GROUPS,
    membersPerCall: 9,
    callsPerSecond: Number((completed / elapsed).toFixed(1)),
    errors,
    callsToReceivedMs: summary(lat.received),
    joinToUserJoinMs: summary(lat.join),
    ...u,
  };
}

// ---- (d) a burst of calls ----------------------------------------------------------------------

async function burst(server, receiver, n) {
  const callers = await connectMany(server.url, 'x', n);
  const callees = await connectMany(server.url, 'y', n);
  await receiver.ask('reset');
  const meter = new Meter(server.child?.pid);
  const lat = [];
  let errors = 0;
  const started = performance.now();
  const all = [];
  for (let i = 0; i < n; i++) {
    // Spread evenly over one second.
    const due = started + (i * 1000) / n;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const ring = callees[i].event('onCallReceived', undefined, 30_000);
    const sent = performance.now();
    all.push(
      callers[i].request('calls', { userIdList: [`y${i}`], mediaType: 'Audio' }).then(async (r) => {
        if (!r.ok) return errors++;
        const e = await ring;
        if (e) lat.push(e.at - sent);
        else errors++;
      }),
    );
  }
  const sentWithin = (performance.now() - started) / 1000;
  await Promise.all(all);
  const allRinging = (performance.now() - started) / 1000;
  let delivered = 0;
  const deadline = performance.now() + 60_000;
  while (performance.now() < deadline) {
    delivered = (await receiver.ask('stats')).count;
    if (delivered >= n - errors) break;
    await sleep(50);
  }
  const callbacksDoneSeconds = (performance.now() - started) / 1000;
  const u = meter.read();
  for (const c of [...callers, ...callees]) c.close();
  return {
    calls: n,
    sentWithinSeconds: Number(sentWithin.toFixed(2)),
    allRingingAfterSeconds: Number(allRinging.toFixed(2)),
    errors,
    callsToReceivedMs: summary(lat),
    startCallbacksDelivered: `${delivered}/${n - errors}`,
    startCallbacksDoneAfterSeconds: Number(callbacksDoneSeconds.toFixed(2)),
    ...u,
  };
}

// ---- main --------------------------------------------------------------------------------------

const report = { machine: '2 cores (generator, server, receiver and PostgreSQL-free SQLite all on it)', workloads: {} };
const dir = mkdtempSync(join(tmpdir(), 'dialtone-bench-signalling-'));
const receiver = await startReceiver();
const receiverUrl = receiver.url;
let server;
try {
  server = opts.url ? { url: opts.url } : await startServer(dir);
  await enableCallbacks(server.url, auth, receiverUrl);
  const rates = opts.rates.split(',').map(Number);
  if (workloads.includes('ceiling')) {
    log('(ceiling) bare ws echo server, same sockets and frame size…');
    report.workloads.ceiling = await ceiling(2 * Math.min(1000, Math.max(50, Math.ceil(Math.max(...rates) * 0.25))), 500, 5);
    report.workloads.ceiling.rawCallbacksPerSecond = await rawCallbackCeiling(receiver, { seconds: 5 });
    log(`  ${JSON.stringify(report.workloads.ceiling)}`);
  }
  if (workloads.includes('lifecycles')) {
    log('(a) 1-to-1 lifecycles at increasing rates…');
    report.workloads.lifecycles = await lifecycles(server, receiver, rates);
  }
  if (workloads.includes('group')) {
    log('(c) group calls of 9 with joins and leaves…');
    report.workloads.group = await group(server, Number(opts['group-seconds']));
    log(`  ${JSON.stringify(report.workloads.group)}`);
  }
  if (workloads.includes('burst')) {
    log(`(d) ${opts.burst} calls within one second…`);
    report.workloads.burst = await burst(server, receiver, Number(opts.burst));
    log(`  ${JSON.stringify(report.workloads.burst)}`);
  }
  if (workloads.includes('idle')) {
    log(`(b) ${opts.idle} idle connections with heartbeats…`);
    // A fresh server, so the baseline RSS is not what the other workloads left in its heap.
    if (!opts.url) {
      server.child.kill('SIGTERM');
      await new Promise((r) => server.child.once('exit', r));
      server = await startServer(join(dir, 'idle'));
    }
    report.workloads.idle = await idle(server, Number(opts.idle));
    log(`  ${JSON.stringify(report.workloads.idle)}`);
  }
} finally {
  server?.child?.kill('SIGTERM');
  receiver.child.kill();
  await sleep(300);
  rmSync(dir, { recursive: true, force: true });
}

if (opts.json) console.log(JSON.stringify(report));
else printTables(report.workloads);

function printTables(w) {
  const out = (s = '') => console.log(s);
  out('\nSignalling (issue 8)');
  if (w.ceiling) {
    const c = w.ceiling;
    out(
      `Ceiling: bare ws echo server, ${c.sockets} sockets, ${CALLS_FRAME.length}-byte frames: ${c.roundTripsPerSecond} round trips/s (closed loop); paced ${c.pacedRate}/s latency p50/p95/p99 ${c.pacedLatencyMs.p50} / ${c.pacedLatencyMs.p95} / ${c.pacedLatencyMs.p99} ms`,
    );
    if (c.rawCallbacksPerSecond)
      out(`Ceiling: raw undici POSTs of callback bodies to the same receiver, 32 in flight: ${c.rawCallbacksPerSecond}/s`);
  }
  if (w.lifecycles) {
    out(`\n(a) 1-to-1 lifecycles (calls → ring → accept → hang up, 4 durable callbacks each), ${w.lifecycles.pairs} pairs:`);
    out(
      '| offered calls/s | completed lifecycles/s | calls→onCallReceived p50 / p95 / p99 ms | accept→onCallBegin p50 / p95 / p99 ms | errors | callbacks delivered | server CPU | server RSS MiB |',
    );
    out('|---|---|---|---|---|---|---|---|');
    for (const s of w.lifecycles.steps) {
      const r = s.callsToReceivedMs;
      const b = s.acceptToBeginMs;
      out(
        `| ${s.rate} | ${s.completedPerSecond} | ${r.p50} / ${r.p95} / ${r.p99} | ${b.p50} / ${b.p95} / ${b.p99} | ${s.errors + s.skipped} | ${s.callbacksDelivered} | ${s.serverCpuCores ?? ''} | ${s.serverRssMiB ?? ''} |`,
      );
    }
    if (w.ceiling) {
      const best = Math.max(...w.lifecycles.steps.map((s) => s.completedPerSecond));
      out(
        `Best: ${best} lifecycles/s = ${(3 * best).toFixed(1)} request round trips/s, ratio ${((3 * best) / w.ceiling.roundTripsPerSecond).toFixed(3)} of the echo ceiling; ${(4 * best).toFixed(1)} callbacks/s, ratio ${((4 * best) / w.ceiling.rawCallbacksPerSecond).toFixed(3)} of the raw callback ceiling.`,
      );
    }
  }
  if (w.idle) {
    const i = w.idle;
    out(
      `\n(b) idle connections: ${i.connected} of ${i.requested} connected (${i.failed} failed), ${i.stillOpenAfter20s} still open after 20 s of heartbeats; RSS ${i.baselineRssMiB} → ${i.rssMiB} MiB = ${i.rssPerConnectionKiB} KiB per connection; heartbeat CPU ${i.heartbeatCpuCores} cores at ${i.heartbeatsPerSecond} heartbeats/s`,
    );
  }
  if (w.group) {
    const g = w.group;
    out(
      `\n(c) group calls of 9 (all accept, two leave and join again, all hang up), ${g.groups} groups at once: ${g.callsPerSecond} calls/s, calls→onCallReceived p50/p95/p99 ${g.callsToReceivedMs.p50} / ${g.callsToReceivedMs.p95} / ${g.callsToReceivedMs.p99} ms, join→onUserJoin ${g.joinToUserJoinMs.p50} / ${g.joinToUserJoinMs.p95} / ${g.joinToUserJoinMs.p99} ms, errors ${g.errors}, server CPU ${g.serverCpuCores}`,
    );
  }
  if (w.burst) {
    const b = w.burst;
    out(
      `\n(d) burst: ${b.calls} calls sent within ${b.sentWithinSeconds} s; all ringing after ${b.allRingingAfterSeconds} s; calls→onCallReceived p50/p95/p99 ${b.callsToReceivedMs.p50} / ${b.callsToReceivedMs.p95} / ${b.callsToReceivedMs.p99} ms; errors ${b.errors}; StartCall callbacks ${b.startCallbacksDelivered} delivered after ${b.startCallbacksDoneAfterSeconds} s`,
    );
  }
}
