// Benchmark callback receiver, run as its own process: answers the success envelope and reports
// to its parent, over IPC, how many callbacks arrived and (for bodies carrying `sentAt`, epoch ms
// with sub-ms precision) the latency from enqueue to receipt.
import { createServer } from 'node:http';

const OK = JSON.stringify({ ActionStatus: 'OK', ErrorInfo: '', ErrorCode: 0 });
let count = 0;
let latencies = [];

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    count++;
    const now = performance.timeOrigin + performance.now();
    const body = Buffer.concat(chunks).toString();
    const at = body.indexOf('"sentAt":');
    if (at >= 0) latencies.push(now - Number.parseFloat(body.slice(at + 9)));
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': OK.length });
    res.end(OK);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send({ type: 'ready', port: server.address().port }));
process.on('message', (m) => {
  if (m.type === 'stats') {
    process.send({ type: 'stats', count, latencies });
    latencies = [];
  } else if (m.type === 'reset') {
    count = 0;
    latencies = [];
    process.send({ type: 'reset' });
  }
});
