/**
 * Issue 12, finding 1, end to end on the embedded store: timer rows no statement can address
 * (user id U+D800, which SQLite keeps as bytes that read back as U+FFFD) are left in the
 * database file by an earlier run. The server sets them aside at start, reports them at
 * `/metrics`, goes on firing the other timers on time, and shuts down promptly.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStorage } from '../../src/adapters/sqlite/storage.js';
import { Harness, eventsOf } from '../helpers/harness.js';
import { within } from '../../src/testing/within.js';

let h: Harness | undefined;
let dataDir: string | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('unaddressable timer rows left in the database file', () => {
  it('are quarantined at start; ring timeouts still fire and the server shuts down promptly', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'dialtone-quarantine-'));
    const planted = SqliteStorage.open(join(dataDir, 'dialtone.db'));
    await planted.transaction(async (tx) => {
      for (let i = 0; i < 150; i++) await tx.timers.set(1400000000, `gone-${i}`, 'offline', '\ud800', Date.now() - 60_000 + i);
    });
    await planted.close();

    h = await Harness.create({ dataDir });
    const alice = await h.user('alice');
    const bob = await h.user('bob');
    const callId = await h.call(alice, ['bob'], { timeout: 20 });
    await bob.nextEvent('onCallReceived');
    await within(h.advance(20_000), 5000, 'firing the due timers');
    await alice.nextEvent('onCallNotConnected');
    expect(eventsOf(alice, callId)).toEqual(['onUserNoResponse', 'onCallNotConnected:noResponse']);
    expect(await h.ended(callId)).toEqual(['Start', 'MC:bob:NotAnswer', 'End:NotAnswer']);

    const metrics = await (await fetch(`${h.t.url}/metrics`)).text();
    expect(metrics).toContain('dialtone_quarantined_rows_total{table="timers"} 150');
    expect(metrics).toContain('dialtone_quarantined_rows_total{table="outbox"} 0');

    const closing = h.close();
    h = undefined;
    await within(closing, 5000, 'shutting down');
  });
});
