/**
 * Crash test (SPEC §6 "No loss"): 2,000 1-to-1 calls (calls, accept, hangup) against a server
 * process that is SIGKILLed in the middle and restarted. Every callback of every acknowledged
 * operation must reach the receiver at least once; duplicates are allowed (at-least-once) and
 * counted.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { callbackKey, callsWithKill, waitForCallbacks } from '../helpers/callbacks.js';
import { connectUser } from '../helpers/client.js';
import { ALL_COMMANDS } from '../helpers/harness.js';
import { Receiver } from '../helpers/receiver.js';
import { rest } from '../helpers/rest.js';
import { asServer as serverAt, killProcess, startProcess as start } from '../helpers/process.js';

const SDKAPPID = 1400000321;
const KEY = 'crash-test-key';
const CALLS = 2000;
const PAIRS = 40;
const dataDir = mkdtempSync(join(tmpdir(), 'dialtone-crash-'));
const children: ChildProcess[] = [];

afterAll(async () => {
  await Promise.all(children.map(killProcess));
  rmSync(dataDir, { recursive: true, force: true });
});

async function startProcess() {
  const p = await start(dataDir, SDKAPPID, KEY);
  children.push(p.child);
  return p;
}
const asServer = (url: string) => serverAt(url, SDKAPPID, KEY);

describe('crash', () => {
  it('loses no callback of an acknowledged operation when the server is SIGKILLed mid-load', async () => {
    const receiver = await new Receiver().start();
    try {
      const first = await startProcess();
      const t = asServer(first.url);
      expect(await rest(t, 'call_config/set_callback', { Url: receiver.url, CallbackCommandList: ALL_COMMANDS })).toMatchObject({
        ErrorCode: 0,
      });

      const { expected, completed, killed } = await callsWithKill({
        calls: CALLS,
        pairs: PAIRS,
        timeoutMs: 3000,
        connect: (_, userId) => connectUser(t, userId),
        kill: () => first.child.kill('SIGKILL'),
      });
      expect(killed).toBe(true);
      const beforeRestart = new Set(receiver.received.map(callbackKey)).size;

      await startProcess();
      await waitForCallbacks(receiver, expected, `all ${expected.size} expected callbacks`);

      const ids = receiver.received.map((c) => String(c.headers['webhook-id']));
      const duplicates = ids.length - new Set(ids).size;
      console.log(
        `crash test: ${completed} calls completed before the kill, ${expected.size} callbacks acknowledged, ` +
          `${beforeRestart} distinct received before the restart, ${receiver.received.length} received in all, ${duplicates} duplicates`,
      );
      expect(completed).toBeGreaterThanOrEqual(CALLS / 2);
    } finally {
      await receiver.close();
    }
  }, 120_000);
});
