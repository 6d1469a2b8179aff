/**
 * The seed end to end (issue 2): an app backend configures its callback with an administrator
 * UserSig made by tls-sig-api-v2, alice (Web) calls bob (Android) over WebSocket, bob rings,
 * and the backend receives exactly one `Call.CallbackAfterStartCall` as SPEC §3.1–3.3 say.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import vector from '../fixtures/vectors/callback-sign.json' with { type: 'json' };
import { callbackSign } from '../../src/auth/callback-sign.js';
import { connectUser, type TestClient } from '../helpers/client.js';
import { ALL_COMMANDS } from '../helpers/harness.js';
import { Receiver } from '../helpers/receiver.js';
import { rest } from '../helpers/rest.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { outboxOf } from '../helpers/outbox.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let t: TestServer;
let receiver: Receiver;
const clients: TestClient[] = [];

beforeEach(async () => {
  t = await startServer();
  receiver = await new Receiver().start();
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await t.close();
  await receiver.close();
});

async function connect(userId: string, platform: string): Promise<TestClient> {
  const c = await connectUser(t, userId, { platform });
  clients.push(c);
  return c;
}

describe('Call.CallbackAfterStartCall', () => {
  it('is sent once, exactly as the contract says, when alice calls bob', async () => {
    expect(await rest(t, 'call_config/set_callback', { Url: receiver.url, CallbackCommandList: ALL_COMMANDS })).toMatchObject({
      ActionStatus: 'OK',
      ErrorCode: 0,
    });
    const alice = await connect('alice', 'Web');
    const bob = await connect('bob', 'Android');

    const before = Date.now();
    const reply = await alice.request('calls', { userIdList: ['bob'], mediaType: 'Audio' });
    expect(reply.ok).toBe(true);
    const callId = reply.result!.callId as string;
    expect(callId).toMatch(UUID);

    const ring = await bob.nextEvent('onCallReceived');
    expect(ring.data).toEqual({
      callId,
      callerId: 'alice',
      calleeIdList: ['bob'],
      mediaType: 'Audio',
      info: { roomId: reply.result!.roomId, roomIdType: 2, userData: '', chatGroupId: '', timeout: 30 },
    });

    const [cb] = await receiver.waitForCount(1, 'Call.CallbackAfterStartCall');
    const after = Date.now();
    expect(cb!.method).toBe('POST');
    expect(cb!.path).toBe('/callback');
    expect(cb!.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(Object.fromEntries(cb!.query)).toEqual({
      SdkAppid: String(t.sdkAppId),
      CallbackCommand: 'Call.CallbackAfterStartCall',
      contenttype: 'json',
      ClientIP: '127.0.0.1',
      OptPlatform: 'Web',
    });
    const body = cb!.body;
    expect(Object.keys(body).sort()).toEqual(['CallInfo', 'CallbackCommand', 'EventTime', 'UserList']);
    expect(body.CallbackCommand).toBe('Call.CallbackAfterStartCall');
    expect(body.CallInfo).toEqual({ CallId: callId, MediaType: 'Audio', ChatGroupId: '', RoomId: reply.result!.roomId, RoomIdType: 2 });
    expect(typeof (body.CallInfo as { RoomId: unknown }).RoomId).toBe('string');
    expect(body.UserList).toEqual([
      { User_Account: 'alice', Status: 'Calling' },
      { User_Account: 'bob', Status: 'Waiting' },
    ]);
    expect(Number.isInteger(body.EventTime)).toBe(true);
    expect(body.EventTime as number).toBeGreaterThanOrEqual(before);
    expect(body.EventTime as number).toBeLessThanOrEqual(after);
    expect(cb!.headers['webhook-id']).toMatch(/^msg_/);

    // Exactly one: nothing else arrives for this call while it rings.
    await alice.request('ping');
    expect(receiver.ofCommand('Call.CallbackAfterStartCall')).toHaveLength(1);
  });

  it('carries RoomIdType 1 and the RoomId as a string for a numeric room', async () => {
    await rest(t, 'call_config/set_callback', { Url: receiver.url, CallbackCommandList: ALL_COMMANDS });
    const alice = await connect('alice', 'Web');
    await connect('bob', 'Android');
    const reply = await alice.request('calls', { userIdList: ['bob'], mediaType: 'Video', roomId: 4294967295, roomIdType: 1 });
    expect(reply.result).toMatchObject({ roomId: 4294967295, roomIdType: 1 });
    const [cb] = await receiver.waitForCount(1, 'Call.CallbackAfterStartCall');
    expect(cb!.body.CallInfo).toMatchObject({ MediaType: 'Video', RoomId: '4294967295', RoomIdType: 1 });
  });

  it('keeps the query parameters of the configured Url', async () => {
    await rest(t, 'call_config/set_callback', { Url: `${receiver.url}?tenant=acme`, CallbackCommandList: ALL_COMMANDS });
    const alice = await connect('alice', 'Web');
    await alice.request('calls', { userIdList: ['bob'], mediaType: 'Audio' });
    const [cb] = await receiver.waitForCount(1, 'Call.CallbackAfterStartCall');
    expect(cb!.query.get('tenant')).toBe('acme');
    expect(cb!.query.get('SdkAppid')).toBe(String(t.sdkAppId));
  });

  it('adds RequestTime and Sign = sha256(Token + RequestTime) when a token is enabled', async () => {
    expect(callbackSign(vector.token, vector.requestTime)).toBe(vector.sign);
    await rest(t, 'call_config/set_callback', { Url: receiver.url, CallbackCommandList: ALL_COMMANDS });
    expect(await rest(t, 'call_config/set_callback_token', { Token: 'xxxxyyyy', IsTokenEnable: true })).toMatchObject({ ErrorCode: 0 });
    const alice = await connect('alice', 'Web');
    await alice.request('calls', { userIdList: ['bob'], mediaType: 'Audio' });
    const [cb] = await receiver.waitForCount(1, 'Call.CallbackAfterStartCall');
    const requestTime = Number(cb!.query.get('RequestTime'));
    expect(Math.abs(requestTime - Date.now() / 1000)).toBeLessThanOrEqual(60);
    expect(cb!.query.get('Sign')).toBe(callbackSign('xxxxyyyy', requestTime));
  });

  it('has no Sign when the token is disabled', async () => {
    await rest(t, 'call_config/set_callback', { Url: receiver.url, CallbackCommandList: ALL_COMMANDS });
    await rest(t, 'call_config/set_callback_token', { Token: 'xxxxyyyy', IsTokenEnable: false });
    const alice = await connect('alice', 'Web');
    await alice.request('calls', { userIdList: ['bob'], mediaType: 'Audio' });
    const [cb] = await receiver.waitForCount(1, 'Call.CallbackAfterStartCall');
    expect(cb!.query.has('Sign')).toBe(false);
    expect(cb!.query.has('RequestTime')).toBe(false);
  });
});

describe('callbacks that must not be sent', () => {
  it('are not sent for a command missing from CallbackCommandList', async () => {
    await rest(t, 'call_config/set_callback', { Url: receiver.url, CallbackCommandList: ['Call.CallbackAfterEndCall'] });
    const alice = await connect('alice', 'Web');
    const r = await alice.request('calls', { userIdList: ['bob'], mediaType: 'Audio' });
    // Cancel: EndCall is on the list, StartCall and MemberChanged are not; EndCall arriving
    // proves the dispatcher has processed this call's earlier events.
    await alice.request('hangup', { callId: r.result!.callId });
    await receiver.waitForCount(1, 'Call.CallbackAfterEndCall');
    expect(receiver.received.map((c) => c.query.get('CallbackCommand'))).toEqual(['Call.CallbackAfterEndCall']);
  });

  it('are not sent after the configuration is deleted', async () => {
    await rest(t, 'call_config/set_callback', { Url: receiver.url, CallbackCommandList: ALL_COMMANDS });
    expect(await rest(t, 'call_config/delete_callback')).toMatchObject({ ErrorCode: 0 });
    const alice = await connect('alice', 'Web');
    await alice.request('calls', { userIdList: ['bob'], mediaType: 'Audio' });
    expect(await outboxOf(t.server, t.sdkAppId)).toHaveLength(0);
    expect(receiver.received).toHaveLength(0);
  });

  it("go to each app's own receiver only", async () => {
    const other = await new Receiver().start('/other');
    try {
      const otherApp = { sdkAppId: 1400000099, secretKey: 'other-app-key' };
      await t.server.apps.put({ ...otherApp, admins: ['administrator'] }, Date.now());
      // The other app configures its callback; ours has none.
      const asOther = {
        ...t,
        sdkAppId: otherApp.sdkAppId,
        secretKey: otherApp.secretKey,
        userSig: (u: string) => t.userSig(u, otherApp.sdkAppId, otherApp.secretKey),
      };
      expect(await rest(asOther, 'call_config/set_callback', { Url: other.url, CallbackCommandList: ALL_COMMANDS })).toMatchObject({
        ErrorCode: 0,
      });
      expect(await rest(t, 'call_config/get_callback')).toMatchObject({ ErrorCode: 100301 });

      const alice = await connect('alice', 'Web');
      await alice.request('calls', { userIdList: ['bob'], mediaType: 'Audio' });
      expect(await outboxOf(t.server, t.sdkAppId)).toHaveLength(0);

      // A call in the other app reaches the other receiver, and nothing reaches ours.
      await rest(t, 'call_config/set_callback', { Url: receiver.url, CallbackCommandList: [] });
      const carol = await connectUser(asOther, 'carol', { platform: 'iOS' });
      clients.push(carol);
      await carol.request('calls', { userIdList: ['dave'], mediaType: 'Video' });
      const [cb] = await other.waitForCount(1, 'Call.CallbackAfterStartCall');
      expect(cb!.query.get('SdkAppid')).toBe(String(otherApp.sdkAppId));
      expect(cb!.query.get('OptPlatform')).toBe('iOS');
      expect(other.received.every((c) => c.query.get('SdkAppid') === String(otherApp.sdkAppId))).toBe(true);
      expect(receiver.received).toHaveLength(0);
    } finally {
      await other.close();
    }
  });
});
