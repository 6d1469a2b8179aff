/**
 * Setup file of every test file: once the file's own teardown has run, nothing it made in the
 * shared PostgreSQL and Redis, and no data directory of its test servers, may be left.
 */
import { afterAll, expect } from 'vitest';
import { leftovers } from '../src/testing/leftovers.js';

// Registered before the file's own hooks, so (hooks run as a stack) it runs after them all.
afterAll(async () => {
  expect(await leftovers(), 'left behind by this test file after its teardown').toEqual([]);
});
