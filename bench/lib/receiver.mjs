// Starts the benchmark callback receiver (bench/receiver.mjs) as a child process, for the benches
// that deliver callbacks to it.
import { fork } from 'node:child_process';

/**
 * Forks the receiver and resolves once it listens: `{ child, url, ask }`, where `url` is its
 * callback endpoint and `ask(type)` sends it a message (`'stats'`, `'reset'`) and resolves with
 * its answer of the same type. Questions are asked one at a time: the receiver hands each
 * latency sample over once, so two answers must never go to one question.
 */
export function startReceiver() {
  const child = fork(new URL('../receiver.mjs', import.meta.url), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const once = (type) =>
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
  let chain = Promise.resolve();
  const ask = (type) => {
    const answer = chain.then(() => once(type));
    chain = answer.then(
      () => undefined,
      () => undefined,
    );
    return answer;
  };
  return new Promise((resolve) => child.once('message', (m) => resolve({ child, url: `http://127.0.0.1:${m.port}/callback`, ask })));
}

/**
 * Collects the receiver's samples every `everyMs` until `stop()`, which resolves with all of
 * them (`latencies`, `lags`) and the last `count` and `lastAt`.
 */
export function collectSamples(receiver, everyMs = 200) {
  const latencies = [];
  const lags = [];
  let last = { count: 0, lastAt: 0 };
  const take = (s) => {
    for (const v of s.latencies) latencies.push(v);
    for (const v of s.lags) lags.push(v);
    last = s;
    return s;
  };
  const poll = setInterval(() => void receiver.ask('stats').then(take), everyMs);
  return {
    /** The receiver's count now (its samples are kept). */
    count: async () => take(await receiver.ask('stats')).count,
    async stop() {
      clearInterval(poll);
      take(await receiver.ask('stats'));
      return { latencies, lags, count: last.count, lastAt: last.lastAt };
    },
  };
}
