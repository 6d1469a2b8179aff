// Starts the benchmark callback receiver (bench/receiver.mjs) as a child process, for the benches
// that deliver callbacks to it.
import { fork } from 'node:child_process';

/**
 * Forks the receiver and resolves once it listens: `{ child, url, ask }`, where `url` is its
 * callback endpoint and `ask(type)` sends it a message (`'stats'`, `'reset'`) and resolves with
 * its answer of the same type.
 */
export function startReceiver() {
  const child = fork(new URL('../receiver.mjs', import.meta.url), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ask = (type) =>
    new Promise((resolve) => {
      const on = (m) => {
        if (m.type === type) {
          child.off('message', on);
          resolve(m);
        }
      };
      child.on('message', on);
      child.send({ type });
    });
  return new Promise((resolve) => child.once('message', (m) => resolve({ child, url: `http://127.0.0.1:${m.port}/callback`, ask })));
}
