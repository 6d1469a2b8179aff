import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Projects: every test on the embedded SQLite store, and the tests in `test/both-stores/`
 * again on PostgreSQL + Redis (cluster mode), so both modes keep the same behaviour. Tests about
 * one mode only run once, in the sqlite project: `test/embedded/` (the SQLite file, restarting one
 * process, the browser demo) and `test/cluster/` (which start their own cluster processes). (The
 * storage contract, src/adapters/storage-contract.test.ts, is another thing: it runs both stores
 * itself, repository by repository, in the sqlite project.)
 */
const BOTH_STORES = ['test/both-stores/**/*.test.ts'];
/**
 * Tencent's call UI in real browsers (test/tuicallkit/): a project of its own, since it needs the
 * example app's own dependencies (examples/tuicallkit-vue; `.ci/run` installs them, and the tests
 * do when they are missing). `vitest run --project sqlite` leaves it out.
 */
const TUICALLKIT = ['test/tuicallkit/**/*.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 20_000,
    globalSetup: ['test/global-setup.ts'],
    // After each file: nothing it made in PostgreSQL, Redis or the temporary directory is left.
    setupFiles: ['test/no-leftovers.ts'],
    hookTimeout: 20_000,
    projects: [
      {
        extends: true,
        test: { name: 'sqlite', include: ['src/**/*.test.ts', 'test/**/*.test.ts'], exclude: [...configDefaults.exclude, ...TUICALLKIT] },
      },
      // Browser tests run one file after another: several browsers at once overload two cores.
      { extends: true, test: { name: 'tuicallkit', include: TUICALLKIT, fileParallelism: false } },
      { extends: true, test: { name: 'cluster', include: BOTH_STORES, env: { DIALTONE_TEST_STORE: 'cluster' } } },
    ],
  },
});
