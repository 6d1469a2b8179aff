/**
 * Identifiers and strings where they enter (SPEC §1 "Identifiers"): refused at the door, with one
 * clear sentence naming the field as the caller spelled it, and never reaching storage.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectUser, TestClient } from '../helpers/client.js';
import { rest } from '../helpers/rest.js';
import { startServer, type TestServer } from '../helpers/server.js';

let t: TestServer;
const clients: TestClient[] = [];
beforeEach(async () => {
  t = await startServer();
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await t.close();
});

async function connect(userId: string, extra: Record<string, string> = {}): Promise<TestClient> {
  const c = await connectUser(t, userId, extra);
  clients.push(c);
  return c;
}

const USER_ID_RULE = 'must be 1 to 64 characters with no comma, space or control character';
const LONE = '\ud800';
/** 64 code points, 128 UTF-16 units. */
const ASTRAL_64 = '😀'.repeat(64);

const robotCall = (over: Record<string, unknown> = {}) => ({
  Robot_Account: 'robot',
  CalleeList_Account: ['bob'],
  Timeout: 30000,
  CallInfo: { MediaType: 'Audio' },
  ...over,
});

async function noCallStarted(): Promise<void> {
  // A live call of the robot's would show up in a user's busy state: bob can still be called.
  const alice = await connect('alice');
  const reply = await alice.request('calls', { userIdList: ['bob'], mediaType: 'Audio' });
  expect(reply.ok).toBe(true);
  const again = await rest(t, 'call_engine_http_srv/start_call_by_robot', robotCall());
  expect(again.Response!.CallResult).toEqual([{ Callee_Account: 'bob', ResultCode: 1 }]);
}

describe('start_call_by_robot refuses bad identifiers by their REST names', () => {
  it('a callee id with an unpaired surrogate', async () => {
    const answer = await rest(t, 'call_engine_http_srv/start_call_by_robot', robotCall({ CalleeList_Account: ['bob', LONE] }));
    expect(answer).toMatchObject({ ActionStatus: 'FAIL', ErrorCode: 101002 });
    expect(answer.ErrorInfo).toBe(`CalleeList_Account[1] ${USER_ID_RULE}`);
    await noCallStarted();
  });

  it('a robot account with an unpaired surrogate, a comma or a control character', async () => {
    for (const bad of [`robot${LONE}`, 'ro,bot', 'ro bot', 'ro\u0000bot', '']) {
      const answer = await rest(t, 'call_engine_http_srv/start_call_by_robot', robotCall({ Robot_Account: bad }));
      expect(answer).toMatchObject({ ErrorCode: 101002, ErrorInfo: `Robot_Account ${USER_ID_RULE}` });
    }
  });

  it('UserData that is not well-formed Unicode', async () => {
    const answer = await rest(t, 'call_engine_http_srv/start_call_by_robot', robotCall({ UserData: `{"x":"${LONE}"}` }));
    expect(answer).toMatchObject({ ErrorCode: 101002, ErrorInfo: 'UserData must be well-formed Unicode (it has an unpaired surrogate)' });
  });

  it('names CalleeList_Account, not userIdList, in the call rules, and says it once', async () => {
    const twice = await rest(t, 'call_engine_http_srv/start_call_by_robot', robotCall({ CalleeList_Account: ['bob', 'carol', 'bob'] }));
    expect(twice).toMatchObject({ ErrorCode: 101002, ErrorInfo: 'CalleeList_Account[2] repeats CalleeList_Account[0]' });
    const self = await rest(t, 'call_engine_http_srv/start_call_by_robot', robotCall({ CalleeList_Account: ['bob', 'robot'] }));
    expect(self).toMatchObject({ ErrorCode: 101002, ErrorInfo: 'CalleeList_Account[1] is the caller' });
    const room = await rest(
      t,
      'call_engine_http_srv/start_call_by_robot',
      robotCall({ CallInfo: { MediaType: 'Audio', RoomId: 5, RoomIdType: 2 } }),
    );
    expect(room.ErrorCode).toBe(101002);
    expect(room.ErrorInfo).toContain('CallInfo.RoomId');
    expect(room.ErrorInfo).not.toMatch(/roomId|invalid parameter/);
  });

  it('plain sentences instead of schema jargon', async () => {
    const answer = await rest(t, 'call_engine_http_srv/start_call_by_robot', robotCall({ Timeout: 5 }));
    expect(answer).toMatchObject({ ErrorCode: 101002, ErrorInfo: 'Timeout must be an integer from 10000 to 600000' });
    const missing = await rest(t, 'call_engine_http_srv/start_call_by_robot', { Robot_Account: 'robot' });
    expect(missing).toMatchObject({ ErrorCode: 101002, ErrorInfo: 'CalleeList_Account is required' });
  });

  it('accepts identifiers of 64 code points from the astral planes and gives them back as sent', async () => {
    const callee = await connect(ASTRAL_64);
    const answer = await rest(
      t,
      'call_engine_http_srv/start_call_by_robot',
      robotCall({ Robot_Account: `r${ASTRAL_64.slice(2)}`, CalleeList_Account: [ASTRAL_64] }),
    );
    expect(answer).toMatchObject({ ErrorCode: 0 });
    const ring = await callee.nextEvent('onCallReceived');
    expect(ring.data).toMatchObject({ callerId: `r${ASTRAL_64.slice(2)}`, calleeIdList: [ASTRAL_64] });
    const info = await rest(t, 'call_engine_http_srv/get_call_info', { CallId: answer.Response!.CallId });
    expect(info.Response!.UserList).toEqual([
      { User_Account: `r${ASTRAL_64.slice(2)}`, Status: 'Calling' },
      { User_Account: ASTRAL_64, Status: 'Waiting' },
    ]);
  });
});

describe('other REST commands and the query', () => {
  it('set_callback refuses a Url that is not well-formed', async () => {
    const answer = await rest(t, 'call_config/set_callback', { Url: `http://127.0.0.1/${LONE}`, CallbackCommandList: [] });
    expect(answer).toMatchObject({ ErrorCode: 100002, ErrorInfo: 'Url must be well-formed Unicode (it has an unpaired surrogate)' });
    expect(await rest(t, 'call_config/get_callback')).toMatchObject({ ErrorCode: 100301 });
  });

  it('dialtone_admin/create_app refuses an administrator id with a space', async () => {
    const answer = await rest(t, 'dialtone_admin/create_app', { Admins: ['ops', 'bad admin'] });
    expect(answer).toMatchObject({ ErrorCode: 100002, ErrorInfo: `Admins[1] ${USER_ID_RULE}` });
  });

  it('refuses an identifier in the query that is not a user id with 60002', async () => {
    const answer = await rest(t, 'call_config/get_callback', {}, { identifier: 'admin\u0007' });
    expect(answer).toMatchObject({ ErrorCode: 60002, ErrorInfo: `identifier ${USER_ID_RULE}` });
  });

  it('the dev sign-in endpoint issues UserSigs for user ids only', async () => {
    const dev = await startServer({ config: { dev: true } });
    try {
      const bad = await fetch(`${dev.url}/dev/usersig?userId=${encodeURIComponent('al ice')}`);
      expect(bad.status).toBe(400);
      expect(await bad.json()).toEqual({ error: `userId ${USER_ID_RULE}` });
      const good = await fetch(`${dev.url}/dev/usersig?userId=${encodeURIComponent(ASTRAL_64)}`);
      expect(await good.json()).toMatchObject({ userId: ASTRAL_64 });
    } finally {
      await dev.close();
    }
  });

  it('says a default message once', async () => {
    const answer = await rest(t, 'call_config/no_such_command');
    expect(answer).toMatchObject({ ErrorCode: 60009 });
    expect(answer.ErrorInfo).toBe('unknown service or command call_config/no_such_command');
  });
});

describe('WebSocket calls refuses bad identifiers by their WebSocket names', () => {
  it('a callee id with an unpaired surrogate, and nothing is stored', async () => {
    const alice = await connect('alice');
    const reply = await alice.request('calls', { userIdList: ['bob', LONE], mediaType: 'Audio' });
    expect(reply).toMatchObject({ ok: false, code: -1202, message: `userIdList[1] ${USER_ID_RULE}` });
    // alice is not in a call: she can start one.
    expect((await alice.request('calls', { userIdList: ['bob'], mediaType: 'Audio' })).ok).toBe(true);
  });

  it('a signal whose data holds an unpaired surrogate deep inside', async () => {
    const alice = await connect('alice');
    const reply = await alice.request('signal', { callId: 'c', toUserId: 'bob', data: { sdp: ['ok', { x: `v=0${LONE}` }] } });
    expect(reply).toMatchObject({
      ok: false,
      code: -1202,
      message: 'data.sdp[1].x must be well-formed Unicode (it has an unpaired surrogate)',
    });
  });

  it('names fields once, in call rules too', async () => {
    const alice = await connect('alice');
    const reply = await alice.request('calls', { userIdList: ['bob', 'bob'], mediaType: 'Audio' });
    expect(reply).toMatchObject({ ok: false, code: -1202, message: 'userIdList[1] repeats userIdList[0]' });
  });

  it('a string roomId or chatGroupId with a control character', async () => {
    const alice = await connect('alice');
    expect(await alice.request('calls', { userIdList: ['bob'], mediaType: 'Audio', roomId: 'r\u0001' })).toMatchObject({
      ok: false,
      code: -1202,
      message: expect.stringMatching(/^roomId /),
    });
    expect(await alice.request('calls', { userIdList: ['bob'], mediaType: 'Audio', chatGroupId: 'g\u007f' })).toMatchObject({
      ok: false,
      code: -1202,
      message: 'chatGroupId must be 1 to 64 characters with no control character',
    });
  });

  it('accepts 64 astral code points as a user id, room id and group id, and gives them back as sent', async () => {
    const alice = await connect('alice');
    const callee = await connect(ASTRAL_64, { device: ASTRAL_64 });
    const reply = await alice.request('calls', { userIdList: [ASTRAL_64], mediaType: 'Audio', roomId: ASTRAL_64, chatGroupId: ASTRAL_64 });
    expect(reply).toMatchObject({ ok: true, result: { roomId: ASTRAL_64, roomIdType: 2 } });
    const ring = await callee.nextEvent('onCallReceived');
    expect(ring.data).toMatchObject({ calleeIdList: [ASTRAL_64], info: { roomId: ASTRAL_64, chatGroupId: ASTRAL_64 } });
  });
});

describe('WebSocket connect', () => {
  it.each([
    ['a userid with a space', { userid: 'al ice' }, /^-1202 userid must be 1 to 64 characters/],
    ['a userid with a comma', { userid: 'al,ice' }, /^-1202 userid /],
    ['a userid with a control character', { userid: 'al\u0085ice' }, /^-1202 userid /],
    ['a userid of 65 code points', { userid: 'a'.repeat(65) }, /^-1202 userid /],
    ['no userid', { userid: undefined }, /^-1202 userid /],
    [
      'a device with a NUL',
      { userid: 'alice', device: 'ph\u0000one' },
      /^-1202 device must be 1 to 64 characters with no control character/,
    ],
    ['an empty device', { userid: 'alice', device: '' }, /^-1202 device /],
  ])('closes with 4001 and -1202 for %s', async (_name, params, reason) => {
    const c = await TestClient.connect(t.wsUrl, {
      sdkappid: String(t.sdkAppId),
      usersig: t.userSig(params.userid ?? 'alice'),
      ...params,
    });
    clients.push(c);
    const closed = await c.closed();
    expect(closed.code).toBe(4001);
    expect(closed.reason).toMatch(reason);
  });
});

describe('WebSocket frames over the size limit', () => {
  it('are answered with -1202 naming the size and the limit, and the socket stays open', async () => {
    const alice = await connect('alice');
    const frame = JSON.stringify({ id: 'big', op: 'ping', args: { pad: 'x'.repeat(70_000) } });
    alice.sendRaw(frame);
    expect(await alice.replyTo('big')).toEqual({
      id: 'big',
      ok: false,
      code: -1202,
      message: `frame is ${Buffer.byteLength(frame)} bytes; the limit is 65536`,
    });
    expect(await alice.request('ping')).toMatchObject({ ok: true });
    expect(alice.closeCode).toBeUndefined();
  });

  it('close the socket with 1009 past the hard cap of 1 MiB', async () => {
    const alice = await connect('alice');
    alice.sendRaw('x'.repeat(1024 * 1024 + 1));
    expect((await alice.closed()).code).toBe(1009);
    // Nobody else notices.
    const bob = await connect('bob');
    expect(await bob.request('ping')).toMatchObject({ ok: true });
  });
});
