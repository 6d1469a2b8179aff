/**
 * WAL checkpoints on a worker thread. better-sqlite3 is synchronous: a checkpoint run by a
 * commit on the main connection (SQLite's default, every 1000 pages) stops the event loop for an
 * fsync, about 10 ms here, so every socket and callback in the process waits. The main
 * connection therefore never checkpoints; a second connection on a worker thread does, PASSIVE,
 * which never blocks the writer.
 */
import { Worker } from 'node:worker_threads';

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 1000');
const run = () => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch (err) { parentPort.postMessage({ error: String(err) }); }
};
const timer = setInterval(run, workerData.everyMs);
parentPort.on('message', (m) => {
  if (m === 'stop') { clearInterval(timer); run(); db.close(); parentPort.postMessage({ stopped: true }); }
});
`;

/** Runs PASSIVE checkpoints of `file` every `everyMs` on a worker thread. */
export class Checkpointer {
  private readonly worker: Worker;

  constructor(file: string, driverPath: string, everyMs = 200) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, driver: driverPath, everyMs } });
    this.worker.unref();
  }

  /** Runs a last checkpoint and ends the worker. */
  async stop(): Promise<void> {
    const stopped = new Promise<void>((resolve) => {
      this.worker.once('message', () => resolve());
      this.worker.once('exit', () => resolve());
      this.worker.once('error', () => resolve());
    });
    this.worker.postMessage('stop');
    await stopped;
    await this.worker.terminate();
  }
}
