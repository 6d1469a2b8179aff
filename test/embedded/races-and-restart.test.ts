/**
 * Races (SPEC §5.2 under concurrency: each ends in one consistent state with one set of
 * callbacks) and a SIGKILL restart during ringing (SPEC §5.5: timers survive and fire once).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connectUser } from '../helpers/client.js';
import { ALL_COMMANDS, Harness } from '../helpers/harness.js';
import { asServer, killProcess, startProcess, type ServerProcess } from '../helpers/process.js';
import { Receiver } from '../helpers/receiver.js';
import { rest } from '../helpers/rest.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('races', () => {
  it('two callees accept at the same instant: both join, one Accept each', async () => {
    h = await Harness.create();
    const alice = await h.user('alice');
    const bob = await h.user('bob');
    const carol = await h.user('carol');
    const callId = await h.call(alice, ['bob', 'carol']);
    const [b, c] = await Promise.all([bob.request('accept', { callId }), carol.request('accept', { callId })]);
    expect([b.ok, c.ok]).toEqual([true, true]);
    const info = await rest(h.t, 'call_engine_http_srv/get_call_info', { CallId: callId });
    expect(info.Response!.UserList).toEqual([
      { User_Account: 'alice', Status: 'Calling' },
      { User_Account: 'bob', Status: 'Calling' },
      { User_Account: 'carol', Status: 'Calling' },
    ]);
    const lines = await h.callbacks(callId, 3);
    expect(lines.slice(1).sort()).toEqual(['MC:bob:Accept', 'MC:carol:Accept']);
  });

  it('accept and the caller’s hangup at the same instant: either connected then ended, or cancelled', async () => {
    for (let i = 0; i < 5; i++) {
      h = await Harness.create();
      const alice = await h.user('alice');
      const bob = await h.user('bob');
      const callId = await h.call(alice, ['bob']);
      const [acc, hang] = await Promise.all([bob.request('accept', { callId }), alice.request('hangup', { callId })]);
      expect(hang.ok).toBe(true);
      const lines = await h.ended(callId);
      const record = await h.record(callId);
      if (acc.ok) {
        expect(lines).toEqual(['Start', 'MC:bob:Accept', 'MC:alice:Hangup', 'End:NormalEnd']);
        expect(record.CallResult).toBe('NormalEnd');
      } else {
        expect(acc.code).toBe(-1203);
        expect(lines).toEqual(['Start', 'MC:bob:Cancel_Invite', 'End:Cancel']);
        expect(record).toMatchObject({ CallResult: 'Cancel', AcceptTime: 0 });
      }
      await h.close();
      h = undefined;
    }
  });

  it('a ring timeout firing while an accept arrives: either answered or not, never both', async () => {
    for (let i = 0; i < 5; i++) {
      h = await Harness.create();
      const alice = await h.user('alice');
      const bob = await h.user('bob');
      const callId = await h.call(alice, ['bob'], { timeout: 10 });
      await h.t.server.dispatcher.idle();
      h.clock.advance(10_000);
      const [acc] = await Promise.all([bob.request('accept', { callId }), h.t.server.timers.runDue()]);
      if (acc.ok) {
        await h.op(bob, 'hangup', { callId });
        expect(await h.ended(callId)).toEqual(['Start', 'MC:bob:Accept', 'MC:bob:Hangup', 'End:NormalEnd']);
      } else {
        expect(acc.code).toBe(-1203);
        expect(await h.ended(callId)).toEqual(['Start', 'MC:bob:NotAnswer', 'End:NotAnswer']);
      }
      await h.close();
      h = undefined;
    }
  });
});

describe('restart after SIGKILL', () => {
  it('a ring timeout armed before the kill still fires: the reconnected caller hears no response, EndCall NotAnswer', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'dialtone-kill-'));
    const receiver = await new Receiver().start();
    const sdkAppId = 1400000444;
    const key = 'restart-key';
    const procs: ServerProcess[] = [];
    try {
      const first = await startProcess(dataDir, sdkAppId, key);
      procs.push(first);
      const t = asServer(first.url, sdkAppId, key);
      await rest(t, 'call_config/set_callback', { Url: receiver.url, CallbackCommandList: ALL_COMMANDS });
      const alice = await connectUser(t, 'alice');
      const reply = await alice.request('calls', { userIdList: ['bob'], mediaType: 'Audio', timeout: 10 });
      const callId = reply.result!.callId as string;
      first.child.kill('SIGKILL');
      await alice.closed();

      const second = await startProcess(dataDir, sdkAppId, key);
      procs.push(second);
      const t2 = asServer(second.url, sdkAppId, key);
      const alice2 = await connectUser(t2, 'alice');
      expect((await alice2.nextEvent('onCallState')).data).toMatchObject({ callId, status: 'Calling' });
      expect((await alice2.nextEvent('onUserNoResponse', 15_000)).data).toEqual({ callId, userId: 'bob' });
      expect((await alice2.nextEvent('onCallNotConnected')).data).toMatchObject({ callId, reason: 'noResponse' });
      const ends = await receiver.waitForCount(1, 'Call.CallbackAfterEndCall', 10_000);
      expect(ends.map((e) => (e.body.CallRecord as { CallResult: string }).CallResult)).toEqual(['NotAnswer']);
      expect(receiver.ofCommand('Call.CallbackAfterMemberChanged').map((c) => c.body.ChangedUserList)).toEqual([
        [{ User_Account: 'bob', ActionType: 'NotAnswer' }],
      ]);
      alice2.close();
    } finally {
      await Promise.all(procs.map((p) => killProcess(p.child)));
      await receiver.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
