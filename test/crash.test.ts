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
import { TestClient } from './helpers/client.js';
import { ALL_COMMANDS } from './helpers/harness.js';
import { Receiver, type ReceivedCallback } from './helpers/receiver.js';
import { rest } from './helpers/rest.js';
import { asServer as serverAt, startProcess as start } from './helpers/process.js';
import { waitFor } from './helpers/wait.js';

const SDKAPPID = 1400000321;
const KEY = 'crash-test-key';
const CALLS = 2000;
const PAIRS = 40;
const dataDir = mkdtempSync(join(tmpdir(), 'dialtone-crash-'));
const children: ChildProcess[] = [];

afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

function keyOf(cb: ReceivedCallback): string {
  const b = cb.body as {
    CallId?: string;
    CallInfo?: { CallId: string };
    CallRecord?: { CallId: string };
    ChangedUserList?: { User_Account: string; ActionType: string }[];
  };
  if (b.CallInfo) return `${b.CallInfo.CallId}:Start`;
  if (b.CallRecord) return `${b.CallRecord.CallId}:End`;
  return `${b.CallId}:${(b.ChangedUserList ?? []).map((c) => `${c.User_Account}:${c.ActionType}`).join(',')}`;
}

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

      const expected = new Set<string>();
      let completed = 0;
      let killed = false;
      const pair = async (i: number) => {
        const caller = await TestClient.connect(t.wsUrl, { sdkappid: String(SDKAPPID), userid: `a${i}`, usersig: t.userSig(`a${i}`) });
        const callee = await TestClient.connect(t.wsUrl, { sdkappid: String(SDKAPPID), userid: `b${i}`, usersig: t.userSig(`b${i}`) });
        try {
          for (let n = i; n < CALLS && !killed; n += PAIRS) {
            const r = await caller.request('calls', { userIdList: [`b${i}`], mediaType: 'Audio' }, 3000);
            if (!r.ok) throw new Error(`calls: ${r.code}`);
            const callId = r.result!.callId as string;
            expected.add(`${callId}:Start`);
            if (!(await callee.request('accept', { callId }, 3000)).ok) throw new Error('accept');
            expected.add(`${callId}:b${i}:Accept`);
            if (!(await callee.request('hangup', { callId }, 3000)).ok) throw new Error('hangup');
            expected.add(`${callId}:b${i}:Hangup`);
            expected.add(`${callId}:End`);
            if (++completed === CALLS / 2) {
              killed = true;
              first.child.kill('SIGKILL');
            }
          }
        } catch {
          // The server died under this pair: what it acknowledged is in `expected`.
        } finally {
          caller.ws.terminate();
          callee.ws.terminate();
        }
      };
      await Promise.all(Array.from({ length: PAIRS }, (_, i) => pair(i)));
      expect(killed).toBe(true);
      const beforeRestart = new Set(receiver.received.map(keyOf)).size;

      await startProcess();
      await waitFor(
        () => {
          const got = new Set(receiver.received.map(keyOf));
          return [...expected].every((k) => got.has(k));
        },
        60_000,
        `all ${expected.size} expected callbacks`,
      );

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
