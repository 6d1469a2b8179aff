/** Reads the delivery log through the storage port, so tests run the same on SQLite and PostgreSQL. */
import type { AttemptRecord, OutboxFilter, OutboxRecord } from '../../src/app/ports.js';
import type { DialtoneServer } from '../../src/server.js';

/** An app's callbacks, newest first. */
export async function outboxOf(server: DialtoneServer, sdkAppId: number, filter: OutboxFilter = {}): Promise<OutboxRecord[]> {
  return (await server.storage.transaction((tx) => tx.outbox.list(sdkAppId, filter, 0, 10_000))).entries;
}

/** Every attempt at an app's callbacks, oldest first. */
export async function attemptsOf(server: DialtoneServer, sdkAppId: number): Promise<(AttemptRecord & { callbackId: string })[]> {
  const all: (AttemptRecord & { callbackId: string })[] = [];
  for (const entry of await outboxOf(server, sdkAppId)) {
    const got = await server.storage.transaction((tx) => tx.outbox.get(sdkAppId, entry.id));
    for (const a of got?.attempts ?? []) all.push({ ...a, callbackId: entry.id });
  }
  return all.sort((a, b) => a.startedAt - b.startedAt);
}
