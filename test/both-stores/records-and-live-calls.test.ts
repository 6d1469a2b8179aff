/** Call records (SPEC §2.3) and live-call REST (§2.4) through real HTTP. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Harness } from '../helpers/harness.js';
import { rest } from '../helpers/rest.js';

let h: Harness;
beforeEach(async () => {
  h = await Harness.create();
});
afterEach(async () => {
  await h.close();
});

const DAY = 24 * 3600 * 1000;

/** Starts a robot call to `callee` and ends it with end_call: a `Cancel` record. */
async function cancelledCall(callee: string): Promise<string> {
  const started = await rest(h.t, 'call_engine_http_srv/start_call_by_robot', {
    Robot_Account: 'robot',
    CalleeList_Account: [callee],
    Timeout: 30000,
    CallInfo: { MediaType: 'Audio' },
  });
  const callId = started.Response!.CallId as string;
  expect(await rest(h.t, 'call_engine_http_srv/end_call', { CallId: callId })).toMatchObject({ ErrorCode: 0 });
  return callId;
}

describe('get_record_by_callid', () => {
  it('returns the record once the call ended, 101050 before and for unknown ids', async () => {
    const alice = await h.user('alice');
    const callId = await h.call(alice, ['bob']);
    expect(await rest(h.t, 'call_record_http_srv/get_record_by_callid', { CallId: callId })).toMatchObject({
      ActionStatus: 'FAIL',
      ErrorCode: 101050,
    });
    await h.op(alice, 'hangup', { callId });
    const answer = await rest(h.t, 'call_record_http_srv/get_record_by_callid', { CallId: callId });
    expect(answer).toMatchObject({ ErrorCode: 0, Response: { CallRecord: { CallId: callId, CallResult: 'Cancel' } } });
    expect(await rest(h.t, 'call_record_http_srv/get_record_by_callid', { CallId: 'nope' })).toMatchObject({ ErrorCode: 101050 });
    expect(await rest(h.t, 'call_record_http_srv/get_record_by_callid', {})).toMatchObject({ ErrorCode: 101002 });
  });

  it("never shows another app's record", async () => {
    const callId = await cancelledCall('bob');
    await h.t.server.apps.put({ sdkAppId: 1400000777, secretKey: 'k7', admins: ['administrator'] }, Date.now());
    const other = { ...h.t, sdkAppId: 1400000777, userSig: (u: string) => h.t.userSig(u, 1400000777, 'k7') };
    expect(await rest(other, 'call_record_http_srv/get_record_by_callid', { CallId: callId })).toMatchObject({ ErrorCode: 101050 });
    expect(await rest(other, 'call_engine_http_srv/end_call', { CallId: callId })).toMatchObject({ ErrorCode: 101004 });
  });
});

describe('get_record_by_filter', () => {
  it('pages newest first, 10 per page by default, empty past the end', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      ids.push(await cancelledCall(`u${i}`));
      await h.advance(1000);
    }
    const first = await rest(h.t, 'call_record_http_srv/get_record_by_filter', {});
    expect(first.Response).toMatchObject({ TotalNum: 12, Page: 1 });
    const list = first.Response!.CallRecordList as { CallId: string }[];
    expect(list.map((r) => r.CallId)).toEqual(ids.slice(2).reverse());
    const second = await rest(h.t, 'call_record_http_srv/get_record_by_filter', { Page: 2 });
    expect((second.Response!.CallRecordList as { CallId: string }[]).map((r) => r.CallId)).toEqual(ids.slice(0, 2).reverse());
    const past = await rest(h.t, 'call_record_http_srv/get_record_by_filter', { Page: 3, NumberPerPage: 10 });
    expect(past.Response).toEqual({ TotalNum: 12, Page: 3, CallRecordList: [] });
    const small = await rest(h.t, 'call_record_http_srv/get_record_by_filter', { NumberPerPage: 5, Page: 3 });
    expect((small.Response!.CallRecordList as unknown[]).length).toBe(2);
  });

  it('filters by time, CallResult and CallType', async () => {
    const t0 = Math.floor(h.clock.now() / 1000);
    const cancel = await cancelledCall('a');
    await h.advance(10_000);
    const alice = await h.user('alice');
    const bob = await h.user('bob');
    const carol = await h.user('carol');
    const single = await h.call(alice, ['bob']);
    await h.op(bob, 'reject', { callId: single });
    await h.advance(10_000);
    const group = await h.call(alice, ['bob', 'carol']);
    await h.op(bob, 'accept', { callId: group });
    await h.op(carol, 'accept', { callId: group });
    await h.op(alice, 'hangup', { callId: group });
    await h.op(bob, 'hangup', { callId: group });
    const ids = async (body: Record<string, unknown>) =>
      ((await rest(h.t, 'call_record_http_srv/get_record_by_filter', body)).Response!.CallRecordList as { CallId: string }[]).map(
        (r) => r.CallId,
      );
    expect(await ids({})).toEqual([group, single, cancel]);
    expect(await ids({ CallResult: 'Reject' })).toEqual([single]);
    expect(await ids({ CallType: 'MultiCall' })).toEqual([group]);
    expect(await ids({ CallType: 'SingleCall', CallResult: 'Cancel' })).toEqual([cancel]);
    expect(await ids({ StartTime: t0 + 5, EndTime: t0 + 15 })).toEqual([single]);
    expect(await rest(h.t, 'call_record_http_srv/get_record_by_filter', { CallResult: 'Weird' })).toMatchObject({ ErrorCode: 101002 });
    expect(await rest(h.t, 'call_record_http_srv/get_record_by_filter', { NumberPerPage: 101 })).toMatchObject({ ErrorCode: 101002 });
    expect(await rest(h.t, 'call_record_http_srv/get_record_by_filter', { Page: 0 })).toMatchObject({ ErrorCode: 101002 });
  });

  it('covers the last 7 days: older records drop out, an earlier StartTime is clamped', async () => {
    const old = await cancelledCall('old');
    await h.advance(7 * DAY - 60_000);
    const recent = await cancelledCall('recent');
    const ids = async (body: Record<string, unknown>) =>
      ((await rest(h.t, 'call_record_http_srv/get_record_by_filter', body)).Response!.CallRecordList as { CallId: string }[]).map(
        (r) => r.CallId,
      );
    expect(await ids({})).toEqual([recent, old]);
    await h.advance(120_000);
    expect(await ids({})).toEqual([recent]);
    expect(await ids({ StartTime: 0 })).toEqual([recent]);
    expect(await rest(h.t, 'call_record_http_srv/get_record_by_callid', { CallId: old })).toMatchObject({ ErrorCode: 0 });
  });
});

describe('get_call_info and end_call', () => {
  it('shows a live call with each member Calling or Waiting; 101004 once it ended', async () => {
    const alice = await h.user('alice');
    const bob = await h.user('bob');
    const callId = await h.call(alice, ['bob', 'carol'], { roomId: 77, chatGroupId: 'grp' });
    await h.op(bob, 'accept', { callId });
    const info = await rest(h.t, 'call_engine_http_srv/get_call_info', { CallId: callId });
    expect(info.Response).toEqual({
      CallInfo: { CallId: callId, MediaType: 'Video', ChatGroupId: 'grp', RoomId: '77', RoomIdType: 1 },
      UserList: [
        { User_Account: 'alice', Status: 'Calling' },
        { User_Account: 'bob', Status: 'Calling' },
        { User_Account: 'carol', Status: 'Waiting' },
      ],
    });
    await rest(h.t, 'call_engine_http_srv/end_call', { CallId: callId });
    expect(await rest(h.t, 'call_engine_http_srv/get_call_info', { CallId: callId })).toMatchObject({ ErrorCode: 101004 });
    expect(await rest(h.t, 'call_engine_http_srv/end_call', { CallId: callId })).toMatchObject({ ErrorCode: 101004 });
    expect(await rest(h.t, 'call_engine_http_srv/get_call_info', { CallId: 'nope' })).toMatchObject({ ErrorCode: 101004 });
    expect(await rest(h.t, 'call_engine_http_srv/get_call_info', { CallId: 5 })).toMatchObject({ ErrorCode: 101002 });
  });
});
