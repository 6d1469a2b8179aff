/**
 * The callback delivery thread: a {@link Dispatcher} with its own connection to the store and
 * its own undici pool, on an event loop that does nothing else, so that attempts turn around in
 * the receiver's time rather than in the time of a loop busy with signalling. Metrics and log
 * lines go back to the main thread, which owns `/metrics` and the log.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import { PgStorage } from '../adapters/postgres/storage.js';
import { SqliteStorage } from '../adapters/sqlite/storage.js';
import { UndiciSender } from '../adapters/http/undici-sender.js';
import { AppRegistry } from '../app/app-registry.js';
import { Dispatcher } from '../app/delivery/dispatcher.js';
import type { App, Storage } from '../app/ports.js';
import { DestinationPolicy } from '../callbacks/destination.js';
import type { AttemptReport, DeliveryThreadData, FromDelivery, ToDelivery } from './messages.js';

const port = parentPort!;
const data = workerData as DeliveryThreadData;
const post = (m: FromDelivery) => port.postMessage(m);

const log = pino({ level: data.logLevel, base: null, timestamp: false }, { write: (line: string) => post({ t: 'log', line }) });

// Attempts are reported in one message per turn: thousands a second, each its own message,
// would cost the main thread more than the metrics themselves.
let reports: AttemptReport[] = [];
function flushReports(): void {
  if (reports.length === 0) return;
  post({ t: 'attempted', reports });
  reports = [];
}

let snapshot: App[] = data.apps;
const apps = new AppRegistry({ list: async () => snapshot, upsert: async () => undefined });

async function openStore(): Promise<Storage> {
  if (data.store.kind === 'sqlite') return SqliteStorage.open(data.store.file, { checkpoints: false });
  return PgStorage.open({ url: data.store.url, ...(data.store.schema ? { schema: data.store.schema } : {}), log });
}

async function main(): Promise<void> {
  await apps.load();
  const storage = await openStore();
  const dispatcher = new Dispatcher({
    storage,
    clock: { now: () => Date.now() },
    log,
    sender: new UndiciSender({
      timeoutMs: data.timeoutMs,
      destinations: new DestinationPolicy({ allow: data.callbackAllow, allowLoopback: data.allowLoopback }),
    }),
    webhookSecretsOf: apps.webhookSecretsOf,
    timeoutMs: data.timeoutMs,
    retentionMs: data.retentionMs,
    leaseMs: data.leaseMs,
    ...(data.recheckMs !== undefined ? { recheckMs: data.recheckMs } : {}),
    observer: {
      attempted(sdkAppId, command, outcome, retryAt, createdAt) {
        if (reports.length === 0) setImmediate(flushReports);
        reports.push({ sdkAppId, command, outcome, retryAt, createdAt });
      },
    },
    quarantine: { quarantined: (rows) => post({ t: 'quarantined', rows: [...rows] }) },
  });

  const reply = (id: number, value?: number) => {
    flushReports();
    post({ t: 'reply', id, ...(value !== undefined ? { value } : {}) });
  };
  const fail = (id: number, err: unknown) => post({ t: 'reply', id, error: err instanceof Error ? err.message : String(err) });

  port.on('message', (m: ToDelivery) => {
    switch (m.t) {
      case 'wake':
        return dispatcher.wake();
      case 'config':
        return dispatcher.configChanged(m.sdkAppId);
      case 'apps':
        snapshot = m.apps;
        return void apps.load();
      case 'start':
        return dispatcher.start();
      case 'idle':
        return void dispatcher.idle().then(
          () => reply(m.id),
          (err: unknown) => fail(m.id, err),
        );
      case 'prune':
        return void dispatcher.prune().then(
          (n) => reply(m.id, n),
          (err: unknown) => fail(m.id, err),
        );
      case 'stop':
        return void dispatcher
          .stop()
          .then(() => storage.close())
          .then(
            () => {
              reply(m.id);
              port.close();
            },
            (err: unknown) => fail(m.id, err),
          );
    }
  });
  post({ t: 'ready' });
}

main().catch((err: unknown) => post({ t: 'failed', error: err instanceof Error ? err.message : String(err) }));
