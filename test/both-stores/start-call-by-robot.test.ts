/** `start_call_by_robot` (SPEC §2.4): a server-side caller with no connection. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectUser, type TestClient } from '../helpers/client.js';
import { Receiver } from '../helpers/receiver.js';
import { rest } from '../helpers/rest.js';
import { startServer, type TestServer } from '../helpers/server.js';

let t: TestServer;
let receiver: Receiver;
const clients: TestClient[] = [];
beforeEach(async () => {
  t = await startServer();
  receiver = await new Receiver().start();
  await rest(t, 'call_config/set_callback', { Url: receiver.url, CallbackCommandList: ['Call.CallbackAfterStartCall'] });
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await t.close();
  await receiver.close();
});

const robotCall = (over: Record<string, unknown> = {}) => ({
  Robot_Account: 'robot',
  CalleeList_Account: ['bob'],
  Timeout: 30000,
  CallInfo: { MediaType: 'Audio' },
  ...over,
});

describe('start_call_by_robot', () => {
  it('rings the callees and sends StartCall with OptPlatform RESTAPI', async () => {
    const bob = await connectUser(t, 'bob', { platform: 'iOS' });
    clients.push(bob);
    const answer = await rest(
      t,
      'call_engine_http_srv/start_call_by_robot',
      robotCall({ UserData: '{"order":42}', CallInfo: { MediaType: 'Video', RoomId: 1234, RoomIdType: 1 } }),
    );
    expect(answer).toMatchObject({ ActionStatus: 'OK', ErrorCode: 0 });
    const callId = answer.Response!.CallId as string;
    expect(answer.Response!.CallResult).toEqual([{ Callee_Account: 'bob', ResultCode: 0 }]);
    const ring = await bob.nextEvent('onCallReceived');
    expect(ring.data).toMatchObject({
      callId,
      callerId: 'robot',
      mediaType: 'Video',
      info: { roomId: 1234, roomIdType: 1, userData: '{"order":42}', timeout: 30 },
    });
    const [cb] = await receiver.waitForCount(1);
    expect(cb!.query.get('OptPlatform')).toBe('RESTAPI');
    expect(cb!.query.get('ClientIP')).toBe('127.0.0.1');
    expect(cb!.body).toMatchObject({
      CallInfo: { CallId: callId, MediaType: 'Video', RoomId: '1234', RoomIdType: 1 },
      UserList: [
        { User_Account: 'robot', Status: 'Calling' },
        { User_Account: 'bob', Status: 'Waiting' },
      ],
    });
  });

  it('is never busy itself, and reports busy callees with ResultCode 1', async () => {
    const first = await rest(t, 'call_engine_http_srv/start_call_by_robot', robotCall());
    expect(first.ErrorCode).toBe(0);
    const second = await rest(t, 'call_engine_http_srv/start_call_by_robot', robotCall({ CalleeList_Account: ['bob', 'carol'] }));
    expect(second).toMatchObject({ ErrorCode: 0 });
    expect(second.Response!.CallResult).toEqual([
      { Callee_Account: 'bob', ResultCode: 1 },
      { Callee_Account: 'carol', ResultCode: 0 },
    ]);
  });

  it.each([
    ['a Timeout under 10000 ms', robotCall({ Timeout: 9999 })],
    ['a Timeout over 600000 ms', robotCall({ Timeout: 600001 })],
    ['no CalleeList_Account', robotCall({ CalleeList_Account: undefined })],
    ['a bad MediaType', robotCall({ CallInfo: { MediaType: 'Fax' } })],
    ['UserData over 1000 bytes', robotCall({ UserData: 'é'.repeat(501) })],
    ['nine callees', robotCall({ CalleeList_Account: ['1', '2', '3', '4', '5', '6', '7', '8', '9'] })],
    ['the robot among the callees', robotCall({ CalleeList_Account: ['robot'] })],
  ])('refuses %s with 101002', async (_name, body) => {
    expect(await rest(t, 'call_engine_http_srv/start_call_by_robot', body)).toMatchObject({ ActionStatus: 'FAIL', ErrorCode: 101002 });
  });
});
