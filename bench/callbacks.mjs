// Callback delivery benchmark (issue 4):
//  (a) raw ceiling: a plain undici POST loop of the same bodies to the same receiver process, as
//      many in flight as the dispatcher allows one receiver (32);
//  (b) Dialtone's dispatcher draining a durable SQLite outbox of 100,000 callbacks;
//  (c) enqueue-to-receipt latency at a steady 1,000 callbacks/s through the real outbox.
// Usage: npm run bench -- callbacks [--count 100000] [--rate 1000] [--seconds 10] [--only drain] [--json]
// `--only` runs some of the phases: a comma-separated list of raw (a), drain (b), steady (c).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { Agent, request } from 'undici';
import { SqliteStorage } from '../dist/adapters/sqlite/storage.js';
import { DestinationPolicy } from '../dist/callbacks/destination.js';
import { UndiciSender } from '../dist/adapters/http/undici-sender.js';
import { Dispatcher } from '../dist/app/delivery/dispatcher.js';
import { rawPacedLatencies } from './lib/ceilings.mjs';
import { startReceiver } from './lib/receiver.mjs';

const { values: opts } = parseArgs({
  options: {
    count: { type: 'string', default: '100000' },
    rate: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '32' },
    only: { type: 'string', default: 'raw,drain,steady' },
    json: { type: 'boolean', default: false },
  },
  allowPositionals: true,
});
const COUNT = Number(opts.count);
const RATE = Number(opts.rate);
const SECONDS = Number(opts.seconds);
const CONCURRENCY = Number(opts.concurrency);
const PHASES = new Set(opts.only.split(','));
for (const p of PHASES) {
  if (!['raw', 'drain', 'steady'].includes(p)) {
    process.stderr.write(`unknown phase "${p}" in --only; choose among raw, drain, steady\n`);
    process.exit(2);
  }
}
const log = (...a) => process.stderr.write(`${a.join(' ')}\n`);

const body = (i, sentAt) =>
  JSON.stringify({
    CallbackCommand: 'Call.CallbackAfterMemberChanged',
    CallId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    UserList: [
      { User_Account: 'alice', Status: 'Calling' },
      { User_Account: 'bob', Status: 'Calling' },
    ],
    ChangedUserList: [{ User_Account: 'bob', ActionType: 'Accept' }],
    EventTime: 1740464128807,
    ...(sentAt !== undefined ? { sentAt } : {}),
  });
const now = () => performance.timeOrigin + performance.now();
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function raw(receiver) {
  await receiver.ask('reset');
  const agent = new Agent({ connections: CONCURRENCY, keepAliveTimeout: 60_000 });
  const url = `${receiver.url}?SdkAppid=1400000000&CallbackCommand=Call.CallbackAfterMemberChanged&contenttype=json&ClientIP=127.0.0.1&OptPlatform=Web`;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < COUNT) {
        const i = next++;
        const res = await request(url, {
          method: 'POST',
          dispatcher: agent,
          headers: { 'content-type': 'application/json; charset=utf-8', 'webhook-id': `msg_${i}` },
          body: body(i),
        });
        await res.body.text();
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await agent.close();
  return COUNT / seconds;
}

/** A fresh store whose app sends its callbacks to `receiverUrl` (each goes where the app's configuration says when sent). */
async function openStore(receiverUrl) {
  const dir = mkdtempSync(join(tmpdir(), 'dialtone-bench-'));
  const storage = SqliteStorage.open(join(dir, 'dialtone.db'));
  await storage.transaction((tx) =>
    tx.callbackConfig.set(1400000000, {
      url: receiverUrl,
      commands: ['Call.CallbackAfterStartCall', 'Call.CallbackAfterMemberChanged', 'Call.CallbackAfterEndCall'],
    }),
  );
  return { dir, storage };
}

function makeDispatcher(storage) {
  return new Dispatcher({
    storage,
    clock: { now: () => Date.now() },
    log: pino({ level: 'error' }),
    webhookSecretsOf: () => ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
    // The receiver listens on loopback, which an operator allows with DIALTONE_CALLBACK_ALLOW.
    sender: new UndiciSender({ destinations: new DestinationPolicy({ allow: ['127.0.0.0/8', '::1'] }) }),
  });
}

async function enqueue(storage, from, to, url, withSentAt) {
  await storage.transaction(async (tx) => {
    for (let i = from; i < to; i++) {
      await tx.outbox.add({
        id: `msg_${i}`,
        sdkAppId: 1400000000,
        // Four callbacks per call, as a 1-to-1 call that connects and ends has.
        callId: `call-${Math.floor(i / 4)}`,
        command: 'Call.CallbackAfterMemberChanged',
        url,
        body: body(i, withSentAt ? now() : undefined),
        createdAt: Date.now(),
        ordered: true,
      });
    }
  });
}

async function drain(receiver) {
  const { dir, storage } = await openStore(receiver.url);
  const url = `${receiver.url}?SdkAppid=1400000000&CallbackCommand=Call.CallbackAfterMemberChanged&contenttype=json&ClientIP=127.0.0.1&OptPlatform=Web`;
  for (let i = 0; i < COUNT; i += 10_000) await enqueue(storage, i, Math.min(COUNT, i + 10_000), url, false);
  await receiver.ask('reset');
  const dispatcher = makeDispatcher(storage);
  const started = performance.now();
  // CPU of this process (the dispatcher, its store and its checkpointer thread), not the receiver's.
  const cpuBefore = process.cpuUsage();
  dispatcher.start();
  for (;;) {
    const { count } = await receiver.ask('stats');
    if (count >= COUNT) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  await dispatcher.idle();
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const pending = await storage.transaction((tx) => tx.outbox.pendingByApp());
  await dispatcher.stop();
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
  return {
    perSecond: COUNT / seconds,
    cpuUsPerCallback: (cpu.user + cpu.system) / COUNT,
    pending: [...pending.values()].reduce((a, b) => a + b, 0),
  };
}

async function steady(receiver) {
  const { dir, storage } = await openStore(receiver.url);
  const url = `${receiver.url}?SdkAppid=1400000000&CallbackCommand=Call.CallbackAfterMemberChanged&contenttype=json&ClientIP=127.0.0.1&OptPlatform=Web`;
  const dispatcher = makeDispatcher(storage);
  dispatcher.start();
  await receiver.ask('reset');
  const total = RATE * SECONDS;
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    // Paced: callback i is enqueued at i / RATE seconds, each in its own transaction, as a call
    // change would write it, and the dispatcher is woken as the use cases wake it.
    const due = started + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    await enqueue(storage, i, i + 1, url, true);
    dispatcher.wake();
  }
  for (;;) {
    const { count } = await receiver.ask('stats').then((s) => ({ count: s.count, latencies: s.latencies }));
    if (count >= total) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const { latencies } = await receiver.ask('stats');
  await dispatcher.stop();
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
  return latencies;
}

/** Baseline of (c): the same paced rate as bare undici POSTs, no outbox, no dispatcher. */
const rawSteady = (receiver) => rawPacedLatencies(receiver, { rate: RATE, seconds: SECONDS, concurrency: CONCURRENCY, bodyOf: body });

async function steadyLatencies(receiver) {
  // Collect every latency: the receiver hands them over and forgets them on each `stats`.
  const all = [];
  const poll = setInterval(() => receiver.ask('stats').then((s) => all.push(...s.latencies)), 200);
  const last = await steady(receiver);
  clearInterval(poll);
  all.push(...last);
  return all;
}

const receiver = await startReceiver();
try {
  let ceiling;
  if (PHASES.has('raw')) {
    log(`(a) raw undici POST loop: ${COUNT} requests, concurrency ${CONCURRENCY}…`);
    ceiling = await raw(receiver);
  }
  let drained;
  if (PHASES.has('drain')) {
    log(`(b) dispatcher draining a durable outbox of ${COUNT}…`);
    drained = await drain(receiver);
  }
  let rawLat, lat;
  if (PHASES.has('steady')) {
    log(`(c) baseline: bare undici POSTs paced at ${RATE}/s for ${SECONDS} s…`);
    rawLat = (await rawSteady(receiver)).sort((a, b) => a - b);
    log(`(c) steady ${RATE}/s through the durable outbox for ${SECONDS} s…`);
    lat = (await steadyLatencies(receiver)).sort((a, b) => a - b);
  }
  const latencies = (sorted) => {
    // The first tenth is the warm-up.
    const warm = sorted.slice(Math.floor(sorted.length * 0.1));
    return {
      p50: Number(pct(warm, 50).toFixed(2)),
      p95: Number(pct(warm, 95).toFixed(2)),
      p99: Number(pct(warm, 99).toFixed(2)),
      samples: sorted.length,
    };
  };
  const result = {
    ...(ceiling !== undefined ? { rawCeilingPerSecond: Math.round(ceiling) } : {}),
    ...(drained !== undefined
      ? { dispatcherDrainPerSecond: Math.round(drained.perSecond), drainCpuUsPerCallback: Number(drained.cpuUsPerCallback.toFixed(1)) }
      : {}),
    ...(ceiling !== undefined && drained !== undefined ? { ratioToCeiling: Number((drained.perSecond / ceiling).toFixed(3)) } : {}),
    ...(lat !== undefined ? { steadyRatePerSecond: RATE, latencyMs: latencies(lat), baselineLatencyMs: latencies(rawLat) } : {}),
    targets: { ratio: '>= 0.5', p99Ms: '<= 15' },
  };
  if (opts.json) console.log(JSON.stringify(result));
  else {
    console.log('\nCallback delivery (issue 4)');
    console.log(`| figure | measured | baseline / target |`);
    console.log(`|---|---|---|`);
    if (ceiling !== undefined)
      console.log(`| (a) raw undici POST loop, same bodies, same receiver | ${result.rawCeilingPerSecond}/s | ceiling |`);
    if (drained !== undefined) {
      const against =
        result.ratioToCeiling !== undefined
          ? `ratio ${result.ratioToCeiling} of (a); target >= 0.5 ${result.ratioToCeiling >= 0.5 ? 'MET' : 'NOT MET'}`
          : 'no ratio: (a) not run';
      console.log(`| (b) dispatcher draining ${COUNT} durable callbacks | ${result.dispatcherDrainPerSecond}/s | ${against} |`);
      console.log(`| (b) CPU of the dispatcher's process per callback drained | ${result.drainCpuUsPerCallback} µs | lower is better |`);
    }
    if (lat !== undefined) {
      const b = result.baselineLatencyMs;
      console.log(
        `| (c) baseline: bare undici POST at ${RATE}/s, send-to-receipt (p50 / p95 / p99) | ${b.p50} / ${b.p95} / ${b.p99} ms | floor of this machine |`,
      );
      console.log(
        `| (c) durable outbox at ${RATE}/s, enqueue-to-receipt (p50 / p95 / p99) | ${result.latencyMs.p50} / ${result.latencyMs.p95} / ${result.latencyMs.p99} ms | p99 target <= 15 ms ${result.latencyMs.p99 <= 15 ? 'MET' : 'NOT MET'} |`,
      );
    }
  }
} finally {
  receiver.child.kill();
}
