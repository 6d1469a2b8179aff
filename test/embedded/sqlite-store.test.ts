/** The embedded store: one SQLite file whose secrets (app keys, webhook secrets) stay private. */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server.js';

let t: TestServer;
beforeEach(async () => {
  t = await startServer();
});
afterEach(async () => {
  await t.close();
});

describe('secrets at rest', () => {
  it('keeps the database readable by its owner only', () => {
    expect(statSync(join(t.dataDir, 'dialtone.db')).mode & 0o777).toBe(0o600);
    expect(statSync(t.dataDir).mode & 0o077).toBe(0);
  });
});
