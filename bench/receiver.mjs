// Benchmark callback receiver, run as its own process: answers the success envelope and reports
// to its parent, over IPC, how many callbacks arrived, when the last one did, and two latencies
// read from the body with indexOf (no JSON parse, so the receiver stays cheap):
// - `sentAt` (epoch ms with sub-ms precision, bodies the benchmarks make themselves): enqueue or
//   send to receipt;
// - `EventTime` (epoch ms, the last key of every Dialtone callback body): the callback lag, from
//   the event to its receipt.
import { createServer } from 'node:http';

const OK = JSON.stringify({ ActionStatus: 'OK', ErrorInfo: '', ErrorCode: 0 });
const EVENT_TIME = '"EventTime":';
let count = 0;
let lastAt = 0;
let latencies = [];
let lags = [];

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    count++;
    const now = performance.timeOrigin + performance.now();
    // EventTime comes from the server's Date.now(): compared with the same clock.
    lastAt = Date.now();
    const body = Buffer.concat(chunks).toString();
    const at = body.indexOf('"sentAt":');
    if (at >= 0) latencies.push(now - Number.parseFloat(body.slice(at + 9)));
    else {
      const e = body.lastIndexOf(EVENT_TIME);
      if (e >= 0) lags.push(lastAt - Number.parseInt(body.slice(e + EVENT_TIME.length), 10));
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': OK.length });
    res.end(OK);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send({ type: 'ready', port: server.address().port }));
process.on('message', (m) => {
  if (m.type === 'stats') {
    // The samples are handed over once: a parent that wants them all collects every answer.
    process.send({ type: 'stats', count, lastAt, latencies, lags });
    latencies = [];
    lags = [];
  } else if (m.type === 'reset') {
    count = 0;
    lastAt = 0;
    latencies = [];
    lags = [];
    process.send({ type: 'reset' });
  }
});
