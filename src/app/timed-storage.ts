/**
 * A {@link Storage} that reports how long each transaction took (the
 * `dialtone_store_transaction_seconds` histogram), around the store the server opened.
 */
import type { Storage, StorageStats, Tx } from './ports.js';

/** `inner`, with `observe(seconds)` told of every transaction's duration, committed or not. */
export function timedStorage(inner: Storage, observe: (seconds: number) => void): Storage {
  return {
    apps: inner.apps,
    recoverClaims: () => inner.recoverClaims(),
    async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
      const started = performance.now();
      try {
        return await inner.transaction(fn);
      } finally {
        observe((performance.now() - started) / 1000);
      }
    },
    stats: (): StorageStats => inner.stats(),
    ping: () => inner.ping(),
    close: () => inner.close(),
  };
}
