/**
 * `getRecentCalls` (SPEC §4) over real WebSockets, on both stores: a user's own records only,
 * of their own app, newest first, in the REST API's record shape, `limit` checked.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CallRecord } from '../../src/domain/types.js';
import { connectUser, type TestClient } from '../helpers/client.js';
import { Harness } from '../helpers/harness.js';

let h: Harness;
beforeEach(async () => {
  h = await Harness.create();
});
afterEach(async () => {
  await h.close();
});

async function recent(client: TestClient, args: Record<string, unknown> = {}): Promise<CallRecord[]> {
  return (await h.op(client, 'getRecentCalls', args)).calls as CallRecord[];
}

describe('getRecentCalls', () => {
  it("lists the user's own records, newest first, as the REST API gives them", async () => {
    const alice = await h.user('alice');
    const bob = await h.user('bob');
    const carol = await h.user('carol');
    const dave = await h.user('dave');
    // Nothing yet: an empty list, not an error.
    expect(await recent(alice)).toEqual([]);

    const rejected = await h.call(alice, ['bob']);
    await h.op(bob, 'reject', { callId: rejected });
    await h.ended(rejected);
    await h.advance(1_000);
    const talked = await h.call(carol, ['alice'], { mediaType: 'Audio' });
    await h.op(alice, 'accept', { callId: talked });
    await h.advance(5_000);
    await h.op(carol, 'hangup', { callId: talked });
    await h.ended(talked);
    await h.advance(1_000);
    const group = await h.call(bob, ['carol', 'dave']);
    await h.op(carol, 'accept', { callId: group });
    await h.op(dave, 'reject', { callId: group });
    await h.op(bob, 'hangup', { callId: group });
    await h.ended(group);
    // A call still ringing has no record yet.
    const live = await h.call(dave, ['alice']);

    expect((await recent(alice)).map((r) => r.CallId)).toEqual([talked, rejected]);
    expect((await recent(bob)).map((r) => r.CallId)).toEqual([group, rejected]);
    expect((await recent(carol)).map((r) => r.CallId)).toEqual([group, talked]);
    // dave rejected the group call: he was a member, so it is his record too.
    expect((await recent(dave)).map((r) => r.CallId)).toEqual([group]);
    // Exactly the REST API's records.
    for (const r of await recent(alice)) expect(r).toEqual(await h.record(r.CallId));
    expect((await recent(alice))[0]).toMatchObject({
      Caller_Account: 'carol',
      MediaType: 'Audio',
      CallType: 'SingleCall',
      CallResult: 'NormalEnd',
      CalleeList_Account: ['carol', 'alice'],
    });
    expect((await recent(alice))[0]!.EndTime - (await recent(alice))[0]!.AcceptTime).toBeGreaterThanOrEqual(5);
    await h.op(dave, 'hangup', { callId: live });
  });

  it('answers the `limit` most recent (default 20, at most 50), and refuses other limits with -1202', async () => {
    const alice = await h.user('alice');
    const ids: string[] = [];
    for (let i = 0; i < 22; i++) {
      const callId = await h.call(alice, [`u${i}`]);
      await h.op(alice, 'hangup', { callId });
      ids.push(callId);
      await h.advance(1_000);
    }
    const newestFirst = ids.reverse();
    expect((await recent(alice)).map((r) => r.CallId)).toEqual(newestFirst.slice(0, 20));
    expect((await recent(alice, { limit: 3 })).map((r) => r.CallId)).toEqual(newestFirst.slice(0, 3));
    expect((await recent(alice, { limit: 50 })).map((r) => r.CallId)).toEqual(newestFirst);
    for (const limit of [0, 51, 1.5, '3', null]) {
      const reply = await alice.request('getRecentCalls', { limit });
      expect(reply).toMatchObject({ ok: false, code: -1202, message: expect.stringContaining('limit') });
    }
  });

  it("never lists another app's records, even for a user of the same id", async () => {
    const alice = await h.user('alice');
    const callId = await h.call(alice, ['bob']);
    await h.op(alice, 'hangup', { callId });
    await h.t.server.apps.put({ sdkAppId: 1400000777, secretKey: 'k7', admins: ['administrator'] }, Date.now());
    const other = await connectUser({ ...h.t, sdkAppId: 1400000777, userSig: (u: string) => h.t.userSig(u, 1400000777, 'k7') }, 'alice');
    try {
      expect((await recent(alice)).map((r) => r.CallId)).toEqual([callId]);
      expect(await recent(other)).toEqual([]);
    } finally {
      other.close();
    }
  });
});
