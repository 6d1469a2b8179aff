/**
 * `dialtone/receiver` against a real Dialtone server: the callbacks of a real 1-to-1 call
 * (start, accept, hang up), sent with a token and a webhook secret, all verify into their typed
 * commands; altered copies are refused with the right reason; and the server counts the
 * ready-made Node handler's answers as delivered.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CallbackVerificationError,
  nodeHandler,
  verifyCallback,
  type CallbackInput,
  type DialtoneCallback,
  type VerifyOptions,
} from '../../src/receiver/index.js';
import { ALL_COMMANDS, Harness } from '../helpers/harness.js';
import type { ReceivedCallback } from '../helpers/receiver.js';
import { rest } from '../helpers/rest.js';
import { waitFor } from '../helpers/wait.js';

const TOKEN = 'receiver-test-token';

/** What the receiver library is given for one received callback. */
function inputOf(cb: ReceivedCallback): CallbackInput {
  return { url: `${cb.path}?${cb.query.toString()}`, headers: cb.headers, rawBody: cb.rawBody };
}

async function reasonOf(input: CallbackInput, options: VerifyOptions): Promise<string> {
  try {
    await verifyCallback(input, options);
    return 'accepted';
  } catch (error) {
    if (error instanceof CallbackVerificationError) return error.reason;
    throw error;
  }
}

/** A 1-to-1 call that connects and ends: StartCall, MemberChanged Accept, MemberChanged Hangup, EndCall. */
async function oneToOneCall(h: Harness): Promise<string> {
  const alice = await h.user('alice');
  const bob = await h.user('bob');
  const callId = await h.call(alice, ['bob']);
  await h.op(bob, 'accept', { callId });
  await h.op(bob, 'hangup', { callId });
  return callId;
}

describe('the callbacks of a real call', () => {
  let h: Harness;
  let secret: string;
  let callId: string;
  let received: ReceivedCallback[];
  let options: (cb: ReceivedCallback) => VerifyOptions;

  beforeAll(async () => {
    h = await Harness.create();
    expect(await rest(h.t, 'call_config/set_callback_token', { Token: TOKEN, IsTokenEnable: true })).toMatchObject({ ErrorCode: 0 });
    secret = (await rest(h.t, 'call_config/get_webhook_secret')).Response!.Secret as string;
    callId = await oneToOneCall(h);
    await h.ended(callId);
    received = h.callbacksOf(callId);
    // The receiver's clock is the arrival time of each callback.
    options = (cb) => ({ sdkAppId: h.t.sdkAppId, token: TOKEN, webhookSecret: secret, now: () => cb.at });
  });
  afterAll(async () => {
    await h.close();
  });

  it('all verify, with the token and the webhook secret, into their typed commands', async () => {
    expect(received).toHaveLength(4);
    const verified: DialtoneCallback[] = [];
    for (const cb of received) verified.push(await verifyCallback(inputOf(cb), options(cb)));
    expect(verified.map((v) => v.command)).toEqual([
      'Call.CallbackAfterStartCall',
      'Call.CallbackAfterMemberChanged',
      'Call.CallbackAfterMemberChanged',
      'Call.CallbackAfterEndCall',
    ]);
    const [start, accepted, hungUp, end] = verified;
    for (const [i, v] of verified.entries()) {
      expect(v).toMatchObject({ sdkAppId: h.t.sdkAppId, callId, webhookId: String(received[i]!.headers['webhook-id']) });
      expect(v.query).toMatchObject({ SdkAppid: String(h.t.sdkAppId), contenttype: 'json', OptPlatform: 'Web', Sign: expect.any(String) });
    }
    expect(start).toMatchObject({
      callInfo: { CallId: callId, MediaType: 'Video' },
      userList: [
        { User_Account: 'alice', Status: 'Calling' },
        { User_Account: 'bob', Status: 'Waiting' },
      ],
    });
    expect(accepted).toMatchObject({ changedUserList: [{ User_Account: 'bob', ActionType: 'Accept' }] });
    expect(hungUp).toMatchObject({ changedUserList: [{ User_Account: 'bob', ActionType: 'Hangup' }] });
    expect(end).toMatchObject({
      callRecord: {
        CallId: callId,
        Caller_Account: 'alice',
        CallType: 'SingleCall',
        CallResult: 'NormalEnd',
        CalleeList_Account: ['alice', 'bob'],
      },
    });
    expect(new Set(verified.map((v) => v.webhookId)).size).toBe(4);
  });

  it('a tampered copy is refused: signature', async () => {
    const cb = received[0]!;
    const tampered = { ...inputOf(cb), rawBody: cb.rawBody.replace('"alice"', '"mallory"') };
    expect(tampered.rawBody).not.toBe(cb.rawBody);
    expect(await reasonOf(tampered, options(cb))).toBe('signature');
  });

  it('the wrong token is refused: sign', async () => {
    const cb = received[1]!;
    expect(await reasonOf(inputOf(cb), { ...options(cb), token: 'not-the-token' })).toBe('sign');
  });

  it('the wrong SdkAppid is refused: sdkappid', async () => {
    const cb = received[3]!;
    expect(await reasonOf(inputOf(cb), { ...options(cb), sdkAppId: h.t.sdkAppId + 1 })).toBe('sdkappid');
  });
});

describe('nodeHandler as the callback endpoint', () => {
  it("receives a real call's callbacks typed, and Dialtone counts every answer as delivered", async () => {
    const h = await Harness.create();
    const got: DialtoneCallback[] = [];
    const secret = (await rest(h.t, 'call_config/get_webhook_secret')).Response!.Secret as string;
    const server: Server = createServer(
      nodeHandler({ sdkAppId: h.t.sdkAppId, webhookSecret: secret, onCallback: (cb) => void got.push(cb) }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`;
      await rest(h.t, 'call_config/set_callback', { Url: url, CallbackCommandList: ALL_COMMANDS });
      const callId = await oneToOneCall(h);
      await waitFor(() => got.length >= 4, 5000, 'four callbacks at the node handler');
      await h.t.server.dispatcher.idle();
      expect(got.map((cb) => [cb.command, cb.callId])).toEqual([
        ['Call.CallbackAfterStartCall', callId],
        ['Call.CallbackAfterMemberChanged', callId],
        ['Call.CallbackAfterMemberChanged', callId],
        ['Call.CallbackAfterEndCall', callId],
      ]);
      const delivered = await rest(h.t, 'call_config/list_deliveries', { Status: 'delivered' });
      expect(delivered.Response).toMatchObject({ TotalNum: 4 });
      expect((await rest(h.t, 'call_config/list_deliveries', { Status: 'failed' })).Response).toMatchObject({ TotalNum: 0 });
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await h.close();
    }
  });
});
