/** Telling received callbacks apart (which call, what happened in it), for tests that match many of them. */
import type { TestClient } from './client.js';
import type { ReceivedCallback, Receiver } from './receiver.js';
import { waitFor } from './wait.js';

/** The call a callback is about, whichever its command. */
export function callIdOf(cb: ReceivedCallback): string {
  const b = cb.body as { CallId?: string; CallInfo?: { CallId: string }; CallRecord?: { CallId: string } };
  return b.CallInfo?.CallId ?? b.CallRecord?.CallId ?? b.CallId!;
}

/** What a callback says happened: `Start`, `End:<CallResult>`, or the changed users as `user:Action,…`. */
export function describeCallback(cb: ReceivedCallback): string {
  const b = cb.body as {
    CallRecord?: { CallResult: string };
    ChangedUserList?: { User_Account: string; ActionType: string }[];
  };
  if (cb.body.CallbackCommand === 'Call.CallbackAfterStartCall') return 'Start';
  if (b.CallRecord) return `End:${b.CallRecord.CallResult}`;
  return (b.ChangedUserList ?? []).map((c) => `${c.User_Account}:${c.ActionType}`).join(',');
}

/** `<callId>:<what happened>`: the same for every delivery of one callback, different between callbacks. */
export function callbackKey(cb: ReceivedCallback): string {
  return `${callIdOf(cb)}:${describeCallback(cb)}`;
}

/**
 * One 1-to-1 call from `caller` to `calleeId` (connected as `callee`): started, accepted, hung up.
 * As soon as the server acknowledges a step, the keys ({@link callbackKey}) of the callbacks it
 * then owes are added to `expected`; throws at the first step that fails.
 */
async function callAcceptHangup(
  caller: TestClient,
  callee: TestClient,
  calleeId: string,
  expected: Set<string>,
  timeoutMs: number,
): Promise<void> {
  const started = await caller.request('calls', { userIdList: [calleeId], mediaType: 'Audio' }, timeoutMs);
  if (!started.ok) throw new Error(`calls: ${started.code}`);
  const callId = started.result!.callId as string;
  expected.add(`${callId}:Start`);
  if (!(await callee.request('accept', { callId }, timeoutMs)).ok) throw new Error('accept');
  expected.add(`${callId}:${calleeId}:Accept`);
  if (!(await callee.request('hangup', { callId }, timeoutMs)).ok) throw new Error('hangup');
  expected.add(`${callId}:${calleeId}:Hangup`);
  expected.add(`${callId}:End:NormalEnd`);
}

/** What {@link callsWithKill} did. */
export interface KillRun {
  /** Keys ({@link callbackKey}) of every callback the servers owe for the steps they acknowledged. */
  expected: Set<string>;
  /** Calls that went through all three steps. */
  completed: number;
  /** Whether `kill` ran. */
  killed: boolean;
}

/**
 * `calls` 1-to-1 calls (started, accepted, hung up) by `pairs` caller/callee pairs at once, `a<i>`
 * calling `b<i>`; `kill` runs once half of them have completed. After the kill, pair `i` stops when
 * `stopsAfterKill(i)` (default: every pair stops). A pair also stops at its first failed step:
 * the server died under it, and what it acknowledged up to then is in `expected`.
 */
export async function callsWithKill(opts: {
  calls: number;
  pairs: number;
  /** Timeout of each request. */
  timeoutMs: number;
  connect: (pair: number, userId: string) => Promise<TestClient>;
  kill: () => void;
  stopsAfterKill?: (pair: number) => boolean;
}): Promise<KillRun> {
  const { calls, pairs, timeoutMs, connect, kill, stopsAfterKill = () => true } = opts;
  const run: KillRun = { expected: new Set(), completed: 0, killed: false };
  const pair = async (i: number) => {
    const caller = await connect(i, `a${i}`);
    const callee = await connect(i, `b${i}`);
    try {
      for (let n = i; n < calls && !(run.killed && stopsAfterKill(i)); n += pairs) {
        await callAcceptHangup(caller, callee, `b${i}`, run.expected, timeoutMs);
        if (++run.completed === calls / 2) {
          run.killed = true;
          kill();
        }
      }
    } catch {
      // The server died under this pair: what it acknowledged is in `expected`.
    } finally {
      caller.ws.terminate();
      callee.ws.terminate();
    }
  };
  await Promise.all(Array.from({ length: pairs }, (_, i) => pair(i)));
  return run;
}

/** Waits up to a minute until `receiver` has got every callback of `expected` (keys of {@link callbackKey}) at least once. */
export async function waitForCallbacks(receiver: Receiver, expected: Set<string>, what: string): Promise<void> {
  await waitFor(
    () => {
      const got = new Set(receiver.received.map(callbackKey));
      return [...expected].every((k) => got.has(k));
    },
    60_000,
    what,
  );
}
