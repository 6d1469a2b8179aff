// `npm run bench [-- <name> [options]]`: runs the named benchmark, or all of them.
import { spawnSync } from 'node:child_process';

const BENCHES = {
  callbacks: 'bench/callbacks.mjs',
  cluster: 'bench/cluster.mjs',
  pace: 'bench/pace.mjs',
  'pg-statements': 'bench/pg-statements.mjs',
  signalling: 'bench/signalling.mjs',
  storage: 'bench/storage.mjs',
};
const [name, ...rest] = process.argv.slice(2);
const chosen = name && !name.startsWith('-') ? [name] : Object.keys(BENCHES);
const args = name && !name.startsWith('-') ? rest : process.argv.slice(2);
for (const b of chosen) {
  if (!BENCHES[b]) {
    console.error(`unknown benchmark "${b}"; choose one of: ${Object.keys(BENCHES).join(', ')}`);
    process.exit(2);
  }
  const r = spawnSync(process.execPath, [BENCHES[b], ...args], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
