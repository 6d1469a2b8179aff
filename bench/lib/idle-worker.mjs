// Holds `count` idle Dialtone connections that send the SDK's heartbeat (a `ping` request) every
// `heartbeatMs`, for the idle-connections workload; reports over IPC. One process holds at most
// what its file-descriptor limit allows, so the benchmark runs several.
import { SignallingClient } from './signalling-client.mjs';

const { url, sdkAppId, secretKey, prefix, count, heartbeatMs, sourceAddress } = JSON.parse(process.argv[2]);
const clients = [];
let failed = 0;
const BATCH = 200;
for (let i = 0; i < count; i += BATCH) {
  const batch = [];
  for (let k = i; k < Math.min(count, i + BATCH); k++) {
    batch.push(
      SignallingClient.connect(url, { sdkAppId, secretKey, userId: `${prefix}${k}`, sourceAddress }).then(
        (c) => clients.push(c),
        () => failed++,
      ),
    );
  }
  await Promise.all(batch);
}
// Heartbeats spread over the interval, as independent clients' would be (instead of each
// client's own, which would all start together).
for (const c of clients) clearInterval(c.heartbeat);
const timers = clients.map((c, i) =>
  setTimeout(
    () => {
      void c.request('ping');
      timers[i] = setInterval(() => void c.request('ping'), heartbeatMs);
    },
    Math.floor((i / clients.length) * heartbeatMs),
  ),
);
process.send({ type: 'ready', connected: clients.length, failed });
process.on('message', (m) => {
  if (m.type === 'stop') {
    for (const t of timers) clearInterval(t);
    const open = clients.filter((c) => !c.closed).length;
    for (const c of clients) c.close();
    process.send({ type: 'stopped', open });
    setTimeout(() => process.exit(0), 100);
  }
});
