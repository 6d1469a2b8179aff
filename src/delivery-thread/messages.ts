/**
 * The messages between the main thread and the callback delivery thread. Plain data only: they
 * are structured-cloned by `postMessage`.
 */
import type { App, AttemptOutcome, QuarantinedRow } from '../app/ports.js';
import type { CallbackCommand } from '../domain/types.js';

/** How the delivery thread reaches the store and what its dispatcher is set to (its `workerData`). */
export interface DeliveryThreadData {
  store: { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string; schema?: string };
  /** pino level of the thread's log lines (they are logged again by the main thread's logger). */
  logLevel: string;
  /** Every app as the main thread holds them, for the webhook secrets. */
  apps: App[];
  timeoutMs: number;
  retentionMs: number;
  leaseMs: number;
  recheckMs?: number;
  callbackAllow: string[];
  allowLoopback: boolean;
}

/** Main thread → delivery thread. */
export type ToDelivery =
  | { t: 'start' }
  | { t: 'wake' }
  | { t: 'config'; sdkAppId: number }
  | { t: 'apps'; apps: App[] }
  | { t: 'idle' | 'prune' | 'stop'; id: number };

/** One attempt, for the main thread's metrics. */
export interface AttemptReport {
  sdkAppId: number;
  command: CallbackCommand;
  outcome: AttemptOutcome;
  retryAt: number | undefined;
  createdAt: number;
}

/** Delivery thread → main thread. */
export type FromDelivery =
  | { t: 'ready' }
  | { t: 'failed'; error: string }
  | { t: 'log'; line: string }
  | { t: 'attempted'; reports: AttemptReport[] }
  | { t: 'quarantined'; rows: QuarantinedRow[] }
  | { t: 'reply'; id: number; value?: number; error?: string };
