// 1-to-1 call lifecycles driven over real WebSocket clients: calls → onCallReceived → accept →
// onCallBegin → hangup → onCallEnd, paced at a rate or back to back (closed loop).
import { connectMany } from './signalling-client.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Connects `n` caller/callee pairs (`a<i>` calls `b<i>`). With several server URLs, a pair's
 * caller and callee are on different servers, so every event crosses between processes.
 */
export async function connectPairs(urls, auth, n) {
  const callers = await connectMany(urls[0], auth, 'a', n, (i) => urls[i % urls.length]);
  const callees = await connectMany(urls[0], auth, 'b', n, (i) => urls[(i + 1) % urls.length]);
  return callers.map((caller, i) => ({ caller, callee: callees[i], i }));
}

/** Closes every client of the pairs. */
export function closePairs(pairs) {
  for (const p of pairs) {
    p.caller.close();
    p.callee.close();
  }
}

/**
 * One lifecycle of a pair; pushes calls→onCallReceived to `lat.received` and
 * accept→onCallBegin to `lat.begin` (ms). Resolves true when every step succeeded.
 */
export async function lifecycle(pair, lat) {
  const { caller, callee } = pair;
  const ringing = callee.event('onCallReceived');
  const sent = performance.now();
  const r = await caller.request('calls', { userIdList: [callee.userId], mediaType: 'Audio' });
  if (!r.ok) return false;
  const callId = r.result.callId;
  const rang = await ringing;
  if (!rang || rang.data.callId !== callId) return false;
  lat.received.push(rang.at - sent);
  const begin = caller.event('onCallBegin', callId);
  const acceptSent = performance.now();
  const a = await callee.request('accept', { callId });
  const began = await begin;
  if (!a.ok || !began) return false;
  lat.begin.push(began.at - acceptSent);
  const end = caller.event('onCallEnd', callId);
  const h = await callee.request('hangup', { callId });
  if (!h.ok || !(await end)) return false;
  return true;
}

/**
 * Starts `rate × seconds` lifecycles, lifecycle n at n / rate seconds, each on a free pair (none
 * free: counted as skipped), and resolves once every one has finished. Latencies of lifecycles
 * started in the first `warmupMs` are left out. `lastDoneAt` is when the last one finished
 * (epoch ms, `Date.now()`, the clock the receiver stamps with).
 */
export async function runPaced(pairs, { rate, seconds, warmupMs = 1000 }) {
  const free = [...pairs];
  const lat = { received: [], begin: [] };
  let completed = 0;
  let measuredCompleted = 0;
  let errors = 0;
  let skipped = 0;
  let lastDone = Date.now();
  const inFlight = new Set();
  const started = performance.now();
  const warmupEnd = started + warmupMs;
  const total = Math.round(rate * seconds);
  for (let n = 0; n < total; n++) {
    const due = started + (n * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const pair = free.pop();
    if (!pair) {
      skipped++;
      continue;
    }
    const measured = performance.now() >= warmupEnd;
    const sample = measured ? lat : { received: [], begin: [] };
    const p = lifecycle(pair, sample).then((ok) => {
      if (ok) {
        completed++;
        if (measured) measuredCompleted++;
      } else errors++;
      lastDone = Date.now();
      pair.caller.drain();
      pair.callee.drain();
      free.push(pair);
      inFlight.delete(p);
    });
    inFlight.add(p);
  }
  await Promise.all(inFlight);
  return {
    rate,
    offered: total,
    completed,
    measuredCompleted,
    errors,
    skipped,
    lat,
    seconds: (performance.now() - started) / 1000,
    lastDoneAt: lastDone,
  };
}

/**
 * Every pair runs lifecycles back to back until `stop()`; `completed()` and `errors()` count
 * them so far, `done` resolves once every pair has stopped.
 */
export function runClosed(pairs) {
  let completed = 0;
  let errors = 0;
  let stopping = false;
  const lat = { received: [], begin: [] };
  const done = Promise.all(
    pairs.map(async (pair) => {
      while (!stopping) {
        if (await lifecycle(pair, lat)) completed++;
        else errors++;
        pair.caller.drain();
        pair.callee.drain();
      }
    }),
  );
  return {
    completed: () => completed,
    errors: () => errors,
    stop() {
      stopping = true;
      return done;
    },
    done,
    lat,
  };
}
