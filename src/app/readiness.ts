/**
 * Readiness (`/readyz`): whether this process can do its work now, check by check, so that an
 * orchestrator stops sending it traffic while it cannot and an operator sees which part failed.
 */
import type { ClusterBus, Storage } from './ports.js';

/** How long the store may take to answer the readiness query before it counts as down, ms. */
export const STORE_CHECK_TIMEOUT_MS = 2_000;

/** One check's state: `ok`, or `failing` with why. */
export interface CheckState {
  state: 'ok' | 'failing';
  /** Why it fails; absent when ok. */
  error?: string;
}

/** What `/readyz` answers. */
export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, CheckState>;
}

/** What readiness looks at. */
export interface ReadinessDeps {
  storage: Storage;
  /** Present in cluster mode (Redis); one process alone has no bus to check. */
  bus?: ClusterBus | undefined;
  /** Whether the callback delivery worker runs. */
  deliveryRunning(): boolean;
  /** Whether the timer worker runs. */
  timersRunning(): boolean;
  /** Whether the store's migrations have run (the server starts only after they did). */
  migrated(): boolean;
}

/** Runs every check; ready when all are ok. Never rejects: a failing check is part of the answer. */
export async function checkReadiness(deps: ReadinessDeps): Promise<ReadinessReport> {
  const checks: Record<string, CheckState> = {};
  checks.store = await storeState(deps.storage);
  checks.migrations = deps.migrated() ? { state: 'ok' } : { state: 'failing', error: 'migrations have not run' };
  if (deps.bus) {
    const problem = deps.bus.problem();
    checks.redis = problem === undefined ? { state: 'ok' } : { state: 'failing', error: problem };
  }
  checks.delivery = deps.deliveryRunning() ? { state: 'ok' } : { state: 'failing', error: 'the callback delivery worker is not running' };
  checks.timers = deps.timersRunning() ? { state: 'ok' } : { state: 'failing', error: 'the timer worker is not running' };
  return { ready: Object.values(checks).every((c) => c.state === 'ok'), checks };
}

async function storeState(storage: Storage): Promise<CheckState> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${STORE_CHECK_TIMEOUT_MS} ms`)), STORE_CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([storage.ping(), timeout]);
    return { state: 'ok' };
  } catch (err) {
    return { state: 'failing', error: `the store does not answer: ${(err as Error).message}` };
  } finally {
    clearTimeout(timer);
  }
}
