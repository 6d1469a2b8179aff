// The ceilings the benchmarks print beside Dialtone's figures, measured on the same machine in
// the same run: a bare `ws` echo server (what WebSocket round trips cost with no application
// behind them) and plain undici POSTs to the receiver (what callback delivery costs with no
// outbox behind it).
import { Agent, request } from 'undici';
import WebSocket from 'ws';
import { forkReady } from './processes.mjs';
import { SOURCE_ADDRESSES, summary } from './signalling-client.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A `calls` request frame, the size the echo ceiling sends. */
export const CALLS_FRAME = JSON.stringify({ id: 1, op: 'calls', args: { userIdList: ['b123'], mediaType: 'Audio' } });

/** A callback body of Dialtone's size and shape (no `sentAt`). */
export const CALLBACK_BODY = JSON.stringify({
  CallbackCommand: 'Call.CallbackAfterMemberChanged',
  CallId: '00000000-0000-4000-8000-000000000000',
  UserList: [
    { User_Account: 'alice', Status: 'Calling' },
    { User_Account: 'bob', Status: 'Calling' },
  ],
  ChangedUserList: [{ User_Account: 'bob', ActionType: 'Accept' }],
  EventTime: 1740464128807,
});

/**
 * Starts the echo server (its own process) and connects `sockets` clients to it from the
 * benchmark source addresses. Returns `{ pid, closedLoop(seconds), paced(rate, seconds), close() }`.
 */
export async function startEchoCeiling(sockets) {
  const echo = await forkReady('./echo-server.mjs');
  const url = `ws://127.0.0.1:${echo.ready.port}`;
  const clients = [];
  for (let i = 0; i < sockets; i += 200) {
    clients.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(200, sockets - i) }, (_, k) => {
          const ws = new WebSocket(url, { localAddress: SOURCE_ADDRESSES[(i + k) % SOURCE_ADDRESSES.length], perMessageDeflate: false });
          return new Promise((resolve, reject) => {
            ws.once('open', () => resolve(ws));
            ws.once('error', reject);
          });
        }),
      )),
    );
  }
  return {
    pid: echo.child.pid,
    /** Every socket keeps one frame in flight for `seconds`: round trips per second. */
    async closedLoop(seconds) {
      let count = 0;
      const deadline = performance.now() + seconds * 1000;
      await Promise.all(
        clients.map(
          (ws) =>
            new Promise((resolve) => {
              ws.on('message', () => {
                count++;
                if (performance.now() < deadline) ws.send(CALLS_FRAME);
                else resolve();
              });
              ws.send(CALLS_FRAME);
            }),
        ),
      );
      for (const ws of clients) ws.removeAllListeners('message');
      return Math.round(count / seconds);
    },
    /** Round trips paced at `rate`, spread over the sockets: latency summary (first fifth dropped). */
    async paced(rate, seconds) {
      const lat = [];
      const started = performance.now();
      for (let i = 0; i < rate * seconds; i++) {
        const due = started + (i * 1000) / rate;
        const wait = due - performance.now();
        if (wait > 1) await sleep(wait);
        const ws = clients[i % clients.length];
        const sent = performance.now();
        ws.once('message', () => lat.push(performance.now() - sent));
        ws.send(CALLS_FRAME);
      }
      await sleep(200);
      return summary(lat.slice(Math.floor(lat.length / 5)));
    },
    close() {
      for (const ws of clients) ws.terminate();
      echo.child.kill();
    },
  };
}

/** Plain undici POSTs of `body` to the receiver, `concurrency` in flight, for `seconds`: POSTs per second. */
export async function rawCallbackCeiling(receiver, { seconds, concurrency = 32, body = CALLBACK_BODY }) {
  await receiver.ask('reset');
  const agent = new Agent({ connections: concurrency, keepAliveTimeout: 60_000 });
  let count = 0;
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const res = await request(receiver.url, {
          method: 'POST',
          dispatcher: agent,
          headers: { 'content-type': 'application/json' },
          body,
        });
        await res.body.text();
        count++;
      }
    }),
  );
  await agent.close();
  return Math.round(count / ((performance.now() - started) / 1000));
}

/**
 * Plain undici POSTs paced at `rate` for `seconds`, no outbox and no dispatcher: send-to-receipt
 * latencies (ms, every sample) as the receiver measured them from each body's `sentAt`.
 * `bodyOf(i, sentAt)` makes body i; by default {@link CALLBACK_BODY} with `sentAt` added.
 */
export async function rawPacedLatencies(receiver, { rate, seconds, concurrency = 32, bodyOf }) {
  const makeBody = bodyOf ?? ((_i, sentAt) => `${CALLBACK_BODY.slice(0, -1)},"sentAt":${sentAt}}`);
  await receiver.ask('reset');
  const agent = new Agent({ connections: concurrency, keepAliveTimeout: 60_000 });
  const total = rate * seconds;
  const all = [];
  const poll = setInterval(() => receiver.ask('stats').then((s) => all.push(...s.latencies)), 200);
  const started = performance.now();
  const inflight = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const sentAt = performance.timeOrigin + performance.now();
    inflight.push(request(receiver.url, { method: 'POST', dispatcher: agent, body: makeBody(i, sentAt) }).then((r) => r.body.text()));
  }
  await Promise.all(inflight);
  clearInterval(poll);
  all.push(...(await receiver.ask('stats')).latencies);
  await agent.close();
  return all;
}
