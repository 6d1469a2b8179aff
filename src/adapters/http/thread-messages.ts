/** The messages between {@link ThreadSender} and its thread: plain data, structured-cloned. */
import type { CallbackRequest, CallbackResponse } from '../../app/ports.js';

/** The thread's `workerData`: how its {@link UndiciSender} is set up. */
export interface SenderThreadData {
  timeoutMs: number;
  /** Most requests of one app at its receiver at once. */
  perAppInFlight: number;
  /** Most requests at receivers at once, all apps together (the connection pool's size). */
  maxInFlight: number;
  callbackAllow: string[];
  allowLoopback: boolean;
}

/** Main thread → sending thread. */
export type ToSenderThread = { t: 'send'; requests: { id: number; request: CallbackRequest }[] } | { t: 'close' };

/** Sending thread → main thread. */
export type FromSenderThread = { t: 'ready' } | { t: 'answers'; answers: { id: number; response: CallbackResponse }[] } | { t: 'closed' };
