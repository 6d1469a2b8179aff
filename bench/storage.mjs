// Storage micro-benchmark (issue 8's optimisation log): the cost of one SQLite transaction that
// writes one outbox row, alone and when transactions arrive together (group commit), beside the
// floor of rows written 100 per transaction.
// Usage: npm run bench -- storage [--count 20000] [--json]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SqliteStorage } from '../dist/adapters/sqlite/storage.js';

const { values: opts } = parseArgs({
  options: { count: { type: 'string', default: '20000' }, json: { type: 'boolean', default: false } },
  allowPositionals: true,
});
const COUNT = Number(opts.count);
const dir = mkdtempSync(join(tmpdir(), 'dialtone-bench-storage-'));
const storage = SqliteStorage.open(join(dir, 'dialtone.db'));
const body = JSON.stringify({
  CallbackCommand: 'Call.CallbackAfterMemberChanged',
  CallId: '00000000-0000-4000-8000-000000000000',
  UserList: [{ User_Account: 'alice', Status: 'Calling' }],
  EventTime: 1740464128807,
});
let k = 0;
const entry = () => ({
  id: `msg_${k++}`,
  sdkAppId: 1400000000,
  callId: `call-${k}`,
  command: 'Call.CallbackAfterMemberChanged',
  url: 'http://127.0.0.1:9/cb?SdkAppid=1400000000',
  body,
  createdAt: Date.now(),
  ordered: true,
});

const results = {};
async function measure(name, n, run) {
  const started = performance.now();
  await run(n);
  results[name] = Number((((performance.now() - started) * 1000) / n).toFixed(1));
}

for (const concurrency of [1, 4, 16, 64]) {
  await measure(`transaction with one outbox insert, ${concurrency} at once (µs each)`, COUNT, async (n) => {
    for (let i = 0; i < n; i += concurrency) {
      await Promise.all(Array.from({ length: concurrency }, () => storage.transaction((tx) => tx.outbox.add(entry()))));
    }
  });
}
await measure('outbox insert, 100 per transaction (µs each; the floor)', COUNT, async (n) => {
  for (let i = 0; i < n; i += 100) {
    await storage.transaction(async (tx) => {
      for (let j = 0; j < 100; j++) await tx.outbox.add(entry());
    });
  }
});
await storage.close();
rmSync(dir, { recursive: true, force: true });

if (opts.json) console.log(JSON.stringify(results));
else {
  console.log(`\nStorage (SQLite, WAL, ${COUNT} rows per line)`);
  console.log('| measurement | µs |');
  console.log('|---|---|');
  for (const [name, us] of Object.entries(results)) console.log(`| ${name} | ${us} |`);
}
