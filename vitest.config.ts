import { defineConfig } from 'vitest/config';

/**
 * Two projects: every test on the embedded SQLite store, and the conformance suite again on
 * PostgreSQL + Redis (cluster mode), so both modes keep the same behaviour. Tests that are about
 * one mode only (the SQLite file, restarting one process, the browser demo) run once. (The
 * storage suite, src/adapters/storage-conformance.test.ts, is another thing: it runs both stores
 * itself, repository by repository, in the sqlite project.)
 */
const CONFORMANCE = [
  'test/rest-api.test.ts',
  'test/call-config.test.ts',
  'test/start-call-callback.test.ts',
  'test/start-call-by-robot.test.ts',
  'test/ws-gateway.test.ts',
  'test/callback-isolation.test.ts',
  'test/lifecycle-single.test.ts',
  'test/lifecycle-group.test.ts',
  'test/devices-and-presence.test.ts',
  'test/records-and-live-calls.test.ts',
  'test/hardening.test.ts',
  'test/delivery.test.ts',
  'test/sdk-client.test.ts',
  'test/receiver.test.ts',
  'test/cli.test.ts',
  'test/test-server-teardown.test.ts',
  'test/identifiers.test.ts',
  'test/fuzz.test.ts',
  'test/callback-destinations.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 20_000,
    globalSetup: ['test/global-setup.ts'],
    // After each file: nothing it made in PostgreSQL, Redis or the temporary directory is left.
    setupFiles: ['test/no-leftovers.ts'],
    hookTimeout: 20_000,
    projects: [
      { extends: true, test: { name: 'sqlite', include: ['src/**/*.test.ts', 'test/**/*.test.ts'] } },
      { extends: true, test: { name: 'cluster', include: CONFORMANCE, env: { DIALTONE_TEST_STORE: 'cluster' } } },
    ],
  },
});
