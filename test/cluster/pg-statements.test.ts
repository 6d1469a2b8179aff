/**
 * What a call costs PostgreSQL (issue 14): a real `dialtone serve` on PostgreSQL, reached through
 * a proxy that counts the statements on the wire (`npm run bench -- pg-statements`), runs 1-to-1
 * lifecycles with all three callback commands on. Each step of a lifecycle (start, accept,
 * hang up) is one read and one write, and a lifecycle costs at most 12 statements, BEGIN and
 * COMMIT not counted. It counts, it does not time: the bound holds however fast the machine is.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { TEST_DATABASE_URL, randomSchema, requireDatabase } from '../../src/testing/postgres.js';

interface Report {
  lifecycles: number;
  errors: number;
  callbacks: number;
  statementsPerLifecycle: number;
  transactions: { shape: string; perLifecycle: number; count: number }[];
}

/** Runs the counting bench (on the built server) and resolves to its JSON report. */
function countStatements(args: string[]): Promise<Report> {
  const child = spawn(process.execPath, ['bench/pg-statements.mjs', '--json', ...args], {
    env: { ...process.env, DATABASE_URL: TEST_DATABASE_URL },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`pg-statements exited with ${code}: ${err}`));
      resolve(JSON.parse(out.trim().split('\n').at(-1)!) as Report);
    });
  });
}

describe('PostgreSQL statements per call lifecycle', () => {
  it('is one read and one write per step, and at most 12 per lifecycle with its 4 callbacks delivered', async () => {
    await requireDatabase();
    // The bench drops the schema it was given when it ends.
    const schema = randomSchema();
    const report = await countStatements(['--schema', schema, '--lifecycles', '300', '--warmup', '30', '--rate', '0', '--pairs', '20']);
    expect(report).toMatchObject({ lifecycles: 300, errors: 0, callbacks: 1200 });
    const steps = report.transactions.filter((t) => /^dt_calls_(busy|get) /.test(t.shape));
    expect(steps.map((t) => [t.shape.split(' → ').length, t.count])).toEqual([
      [2, 300],
      [2, 300],
      [2, 300],
    ]);
    expect(report.statementsPerLifecycle).toBeLessThanOrEqual(12);
  }, 120_000);
});
