/**
 * Test servers leave nothing behind (issue 12): once closed, no data directory and, in the
 * cluster project, no schema and no Redis key named after it, whatever was going on when it
 * closed. A test that keeps the data across a restart removes it with `removeTestData`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connectUser, type TestClient } from '../helpers/client.js';
import { remaining } from '../../src/testing/leftovers.js';
import { clusterConfig, removeTestData, startServer, type TestServer } from '../helpers/server.js';

const clients: TestClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.ws.terminate();
});

/** What is left of the data of the test server that used `dataDir`. */
function remainingOf(dataDir: string): Promise<string[]> {
  const cluster = clusterConfig(dataDir);
  return remaining([dataDir], cluster ? [cluster.databaseSchema!] : []);
}

/** Connects alice and bob, and has alice ring bob: registered devices, a ring timer, queued callbacks. */
async function ringing(t: TestServer): Promise<void> {
  const alice = await connectUser(t, 'alice');
  const bob = await connectUser(t, 'bob');
  clients.push(alice, bob);
  expect((await alice.request('calls', { userIdList: ['bob'], mediaType: 'Audio' })).ok).toBe(true);
  await bob.nextEvent('onCallReceived');
}

describe('a test server', () => {
  it('leaves nothing once closed with clients connected, a call ringing and a client connecting as it closes', async () => {
    const t = await startServer();
    await ringing(t);
    expect(await remainingOf(t.dataDir)).not.toEqual([]);
    const late = connectUser(t, 'carol').then(
      (c) => clients.push(c),
      () => undefined,
    );
    await t.close();
    await late;
    expect(await remainingOf(t.dataDir)).toEqual([]);
  });

  it('keeps its data for a restart when told to, and removeTestData then removes all of it', async () => {
    const first = await startServer({ keepDataDir: true });
    await ringing(first);
    await first.close();
    const second = await startServer({ dataDir: first.dataDir, keepDataDir: true });
    clients.push(await connectUser(second, 'alice'));
    await second.close();
    expect(await remainingOf(first.dataDir)).not.toEqual([]);

    await removeTestData(first.dataDir);
    expect(await remainingOf(first.dataDir)).toEqual([]);
  });
});
