// A minimal app-backend callback receiver: prints each callback and answers the success
// envelope. Usage: node examples/print-callbacks.mjs [port]   (default 9000)
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 9000);
createServer((req, res) => {
  let body = '';
  req.on('data', (chunk) => (body += chunk));
  req.on('end', () => {
    const url = new URL(req.url, 'http://localhost');
    console.log(`${req.method} ${url.pathname} ${url.searchParams.get('CallbackCommand')}`);
    console.log(`  query:       ${url.search}`);
    console.log(`  webhook-id:  ${req.headers['webhook-id']}`);
    console.log(`  body:        ${body}`);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ActionStatus: 'OK', ErrorInfo: '', ErrorCode: 0 }));
  });
}).listen(port, '127.0.0.1', () => console.log(`receiving callbacks on http://127.0.0.1:${port}/callback`));
