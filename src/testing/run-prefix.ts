/**
 * The name prefix of everything this test run creates in the shared PostgreSQL and Redis.
 * PostgreSQL and Redis are shared by every run on the machine, so each run names its schemas
 * and keys `t_<run>_…` and its teardown deletes only that prefix, never another run's.
 */
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Hex id of this run, set by `test/global-setup.ts`. */
    testRunId: string;
  }
}

/** Matches a run id: 8 lower-case hex digits. */
export const RUN_ID = /^[0-9a-f]{8}$/;

/** A new run id. */
export function newRunId(): string {
  return randomBytes(4).toString('hex');
}

/** This run's prefix, `t_<run>_`. */
export function runPrefix(): string {
  const run = inject('testRunId');
  if (!RUN_ID.test(run ?? '')) throw new Error('no test run id: run the tests through vitest (test/global-setup.ts provides it)');
  return `t_${run}_`;
}
