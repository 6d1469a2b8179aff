/**
 * The callback dispatcher and outbox rows it cannot settle (issue 12, finding 1). SQLite keeps
 * each lone UTF-16 surrogate as the bytes it was given, so 150 distinct ids `msg_<U+D800..>` are
 * 150 rows that all read back as the same id `msg_\uFFFD\uFFFD\uFFFD`, which addresses none of
 * them: they must be set aside unsent, and the good callback behind them delivered.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { UndiciSender } from '../../src/adapters/http/undici-sender.js';
import { SqliteStorage, openDatabase } from '../../src/adapters/sqlite/storage.js';
import { Dispatcher } from '../../src/app/delivery/dispatcher.js';
import { DestinationPolicy } from '../../src/callbacks/destination.js';
import { Metrics } from '../../src/metrics.js';
import { Receiver } from '../helpers/receiver.js';
import { TEST_CALLBACK_ALLOW } from '../helpers/server.js';
import { within } from '../../src/testing/within.js';

const NOW = 1_700_000_000_000;
const APP = 1400000001;

describe('Dispatcher and unaddressable outbox rows', () => {
  let storage: SqliteStorage;
  let receiver: Receiver;
  afterEach(async () => {
    await receiver.close();
    await storage.close();
  });

  it('sets aside 150 of them unsent, delivers the good one, logs and counts each once, and stops promptly', async () => {
    storage = new SqliteStorage(openDatabase(':memory:'));
    receiver = await new Receiver().start();
    const entry = (id: string, n: number) => ({
      id,
      sdkAppId: APP,
      callId: `call-${n}`,
      command: 'Call.CallbackAfterStartCall' as const,
      url: `${receiver.url}?n=${n}`,
      body: `{"n":${n}}`,
      createdAt: NOW - 1000 + n,
      ordered: true,
    });
    await storage.transaction(async (tx) => {
      // A callback goes to the app's configuration as it is when it is sent (SPEC §6).
      await tx.callbackConfig.set(APP, { url: receiver.url, commands: ['Call.CallbackAfterStartCall'] });
      for (let i = 0; i < 150; i++) await tx.outbox.add(entry(`msg_${String.fromCharCode(0xd800 + i)}`, i));
      await tx.outbox.add(entry('msg_good', 150));
    });
    const lines: Record<string, unknown>[] = [];
    const log = pino({ level: 'error' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
    const metrics = new Metrics(storage, () => new Map());
    const dispatcher = new Dispatcher({
      storage,
      clock: { now: () => NOW },
      log,
      webhookSecretsOf: () => [],
      observer: metrics,
      quarantine: metrics,
      // The receiver is on loopback, as an operator's DIALTONE_CALLBACK_ALLOW would let it be.
      sender: new UndiciSender({ destinations: new DestinationPolicy({ allow: TEST_CALLBACK_ALLOW }) }),
    });

    dispatcher.start();
    await receiver.waitForCount(1);
    await within(dispatcher.idle(), 5000, 'idle');
    await within(dispatcher.stop(), 2000, 'stop');

    expect(receiver.received.map((r) => r.headers['webhook-id'])).toEqual(['msg_good']);
    const counted = await metrics.registry.getSingleMetric('dialtone_quarantined_rows_total')!.get();
    expect(counted.values.map((v) => [v.labels.table, v.value])).toEqual([
      ['timers', 0],
      ['outbox', 150],
    ]);
    expect(lines).toHaveLength(150);
    expect(lines[0]).toMatchObject({
      level: 50,
      table: 'outbox',
      key: { seq: 1, id: 'msg_\\ufffd\\ufffd\\ufffd', sdkAppId: APP, callId: 'call-0' },
    });
    const log150 = await storage.transaction((tx) => tx.outbox.list(APP, { status: 'failed' }, 0, 1000));
    expect(log150.total).toBe(150);
    expect(await storage.transaction((tx) => tx.outbox.pendingByApp())).toEqual(new Map());
  });
});
