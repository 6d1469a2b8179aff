/** The client SDK (`dialtone/client`) against the real server, in Node. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  ClientErrorCode,
  ClientEvent,
  DialtoneClient,
  DialtoneClientError,
  type ClientEventName,
  type ClientEvents,
  type WebSocketConstructor,
} from '../../src/sdk/client/index.js';
import { Harness } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';

let h: Harness;
const clients: DialtoneClient[] = [];
beforeEach(async () => {
  h = await Harness.create();
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await h.close();
});

/** A client that also records every event it emits. */
async function signIn(userId: string, device?: string) {
  const client = await DialtoneClient.init({
    server: h.t.url,
    sdkAppId: h.t.sdkAppId,
    userId,
    userSig: h.t.userSig(userId),
    platform: 'Web',
    ...(device ? { device } : {}),
    WebSocket: WebSocket as unknown as WebSocketConstructor,
  });
  clients.push(client);
  const events: { name: ClientEventName; data: unknown }[] = [];
  const names: ClientEventName[] = [
    'onCallReceived',
    'onCallBegin',
    'onCallEnd',
    'onCallNotConnected',
    'onUserReject',
    'onUserNoResponse',
    'onUserLineBusy',
    'onUserInviting',
    'onUserJoin',
    'onUserLeave',
    'onSignal',
    'onCallState',
    'onUserVideoAvailable',
    'onUserAudioAvailable',
    'onCallMediaTypeChanged',
    'onKickedOffline',
    'onUserSigExpired',
    'onConnectionStateChanged',
  ];
  for (const n of names) client.on(n, (data) => events.push({ name: n, data }));
  const next = async <E extends ClientEventName>(name: E): Promise<ClientEvents[E]> => {
    await waitFor(() => events.some((e) => e.name === name), 5000, `${userId} ${name}`);
    const i = events.findIndex((e) => e.name === name);
    return events.splice(i, 1)[0]!.data as ClientEvents[E];
  };
  // Handlers attached after init still hear the connection come up.
  expect(await next('onConnectionStateChanged')).toEqual({ state: 'connected' });
  return { client, events, next };
}

describe('DialtoneClient', () => {
  it('runs a whole call: calls, ring, accept, signal, invite, join, hangup', async () => {
    const alice = await signIn('alice');
    const bob = await signIn('bob');
    const carol = await signIn('carol');
    const dave = await signIn('dave');
    const { callId, roomIdType } = await alice.client.calls({ userIdList: ['bob'], mediaType: 'Video' });
    expect(roomIdType).toBe(2);
    expect(await bob.next('onCallReceived')).toMatchObject({ callId, callerId: 'alice', mediaType: 'Video' });
    await bob.client.accept(callId);
    expect(await alice.next('onCallBegin')).toMatchObject({ callId });
    expect(await alice.next('onUserJoin')).toEqual({ callId, userId: 'bob' });
    await alice.client.signal(callId, 'bob', { type: 'offer', sdp: 'x' });
    expect(await bob.next('onSignal')).toEqual({ callId, fromUserId: 'alice', data: { type: 'offer', sdp: 'x' } });
    expect(await alice.client.inviteUser(callId, ['carol'])).toEqual(['carol']);
    expect(await bob.next('onUserInviting')).toEqual({ callId, userId: 'carol' });
    await carol.next('onCallReceived');
    await carol.client.reject(callId);
    expect(await alice.next('onUserReject')).toEqual({ callId, userId: 'carol' });
    // Only users the call invited may join it (SPEC §5.2): dave never was; carol, who rejected, may come back.
    await expect(dave.client.join(callId)).rejects.toMatchObject({ code: ClientErrorCode.NOT_ALLOWED });
    await carol.client.join(callId);
    await carol.next('onCallBegin');
    await alice.client.hangup(callId);
    expect(await bob.next('onUserLeave')).toEqual({ callId, userId: 'alice' });
    await bob.client.hangup(callId);
    expect(await carol.next('onCallEnd')).toMatchObject({ callId, reason: 'hangup', userId: 'bob' });
  });

  it('ignore and no answer reach both sides as events', async () => {
    const alice = await signIn('alice');
    const bob = await signIn('bob');
    const first = await alice.client.calls({ userIdList: ['bob'], mediaType: 'Audio', timeout: 5 });
    await bob.next('onCallReceived');
    await bob.client.ignore(first.callId);
    expect(await alice.next('onUserLineBusy')).toEqual({ callId: first.callId, userId: 'bob' });
    expect(await alice.next('onCallNotConnected')).toMatchObject({ reason: 'lineBusy' });
    expect(await bob.next('onCallNotConnected')).toMatchObject({ reason: 'lineBusy' });
    const second = await alice.client.calls({ userIdList: ['bob'], mediaType: 'Audio', timeout: 5 });
    await bob.next('onCallReceived');
    await h.advance(5000);
    expect(await alice.next('onUserNoResponse')).toEqual({ callId: second.callId, userId: 'bob' });
    expect(await bob.next('onCallNotConnected')).toMatchObject({ reason: 'noResponse' });
  });

  it('rejects with typed errors carrying the server code', async () => {
    const alice = await signIn('alice');
    await alice.client.calls({ userIdList: ['bob'], mediaType: 'Audio' });
    const repeated = await alice.client.calls({ userIdList: ['carol'], mediaType: 'Audio' }).catch((e: unknown) => e);
    expect(repeated).toBeInstanceOf(DialtoneClientError);
    expect((repeated as DialtoneClientError).code).toBe(ClientErrorCode.REPEATED_CALL);
    await expect(alice.client.accept('nope')).rejects.toMatchObject({ code: ClientErrorCode.NOT_ALLOWED });
    await expect(alice.client.calls({ userIdList: [], mediaType: 'Audio' })).rejects.toMatchObject({ code: ClientErrorCode.INVALID_PARAM });
  });

  it("getIceServers resolves with the server's answer (none configured here)", async () => {
    const alice = await signIn('alice');
    expect(await alice.client.getIceServers()).toEqual({ iceServers: [], ttl: 0 });
  });

  it('getRecentCalls: the call just ended is first, in the REST record shape; a bad limit rejects with -1202', async () => {
    const alice = await signIn('alice');
    const bob = await signIn('bob');
    expect(await alice.client.getRecentCalls()).toEqual([]);
    const { callId } = await alice.client.calls({ userIdList: ['bob'], mediaType: 'Audio' });
    await bob.next('onCallReceived');
    await bob.client.reject(callId);
    // The record is committed before the events of the call's end go out.
    expect(await alice.next('onCallNotConnected')).toMatchObject({ reason: 'reject' });
    const [latest, ...rest] = await bob.client.getRecentCalls({ limit: 1 });
    expect(rest).toEqual([]);
    expect(latest).toEqual(await h.record(callId));
    expect(latest).toMatchObject({ CallId: callId, Caller_Account: 'alice', CallResult: 'Reject', AcceptTime: 0 });
    await expect(alice.client.getRecentCalls({ limit: 51 })).rejects.toMatchObject({ code: ClientErrorCode.INVALID_PARAM });
  });

  it('fails init with the UserSig error code', async () => {
    const err = await DialtoneClient.init({
      server: h.t.url,
      sdkAppId: h.t.sdkAppId,
      userId: 'alice',
      userSig: h.t.userSig('alice', h.t.sdkAppId, 'wrong-key'),
      WebSocket: WebSocket as unknown as WebSocketConstructor,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DialtoneClientError);
    expect((err as DialtoneClientError).code).toBe(70009);
  });

  it('reconnects after a network loss within the expiry, and the call survives', async () => {
    const alice = await signIn('alice');
    const bob = await signIn('bob', 'phone');
    const { callId } = await alice.client.calls({ userIdList: ['bob'], mediaType: 'Video' });
    await bob.next('onCallReceived');
    await bob.client.accept(callId);
    await alice.next('onCallBegin');
    // Cut bob's connection from the server side, as a network loss would.
    for (const conn of h.t.server.connections.devicesOf(h.t.sdkAppId, 'bob')) conn.socket.terminate();
    expect(await bob.next('onConnectionStateChanged')).toEqual({ state: 'reconnecting', reason: 'connectionLost' });
    expect(await bob.next('onConnectionStateChanged')).toEqual({ state: 'connected' });
    expect(await bob.next('onCallState')).toMatchObject({ callId, status: 'Calling' });
    await h.advance(31_000);
    await alice.client.hangup(callId);
    expect(await bob.next('onCallEnd')).toMatchObject({ callId, reason: 'hangup' });
    expect(await h.ended(callId)).toEqual(['Start', 'MC:bob:Accept', 'MC:alice:Hangup', 'End:NormalEnd']);
  });

  it('sets media state and switches the media type, keeping currentCall up to date on both sides', async () => {
    const alice = await signIn('alice');
    const bob = await signIn('bob');
    expect(alice.client.currentCall).toBeNull();
    await expect(alice.client.setMediaState({ camera: false })).rejects.toMatchObject({ code: ClientErrorCode.NOT_ALLOWED });
    const { callId } = await alice.client.calls({ userIdList: ['bob'], mediaType: 'Video' });
    expect(alice.client.currentCall).toMatchObject({ callId, callerId: 'alice', status: 'Calling', mediaType: 'Video' });
    await bob.next('onCallReceived');
    expect(bob.client.currentCall).toMatchObject({ callId, status: 'Waiting' });
    // Before anyone answered: the caller's camera goes off (the callee learns it on entering).
    await alice.client.setMediaState({ camera: false });
    await bob.client.accept(callId);
    expect(await bob.next('onCallBegin')).toMatchObject({
      callId,
      callerId: 'alice',
      members: [
        { userId: 'alice', status: 'Calling', camera: false },
        { userId: 'bob', status: 'Calling' },
      ],
    });
    expect(bob.client.currentCall?.members[0]).toEqual({ userId: 'alice', status: 'Calling', camera: false });
    await alice.next('onCallBegin');

    await bob.client.setMediaState({ microphone: false });
    expect(await alice.next('onUserAudioAvailable')).toEqual({ callId, userId: 'bob', available: false });
    expect(alice.client.currentCall?.members).toEqual([
      { userId: 'alice', status: 'Calling', camera: false },
      { userId: 'bob', status: 'Calling', microphone: false },
    ]);
    expect(bob.client.currentCall?.members[1]).toEqual({ userId: 'bob', status: 'Calling', microphone: false });
    await alice.client.setMediaState({ callId, camera: true, microphone: true });
    expect(await bob.next('onUserVideoAvailable')).toEqual({ callId, userId: 'alice', available: true });
    expect(await bob.next('onUserAudioAvailable')).toEqual({ callId, userId: 'alice', available: true });
    expect(bob.client.currentCall?.members[0]).toEqual({ userId: 'alice', status: 'Calling', camera: true, microphone: true });
    await expect(alice.client.setMediaState({})).rejects.toMatchObject({ code: ClientErrorCode.INVALID_PARAM });

    await bob.client.switchMediaType({ mediaType: 'Audio' });
    const changed = { callId, oldMediaType: 'Video', newMediaType: 'Audio' };
    expect(await alice.next('onCallMediaTypeChanged')).toEqual(changed);
    expect(await bob.next('onCallMediaTypeChanged')).toEqual(changed);
    expect(alice.client.currentCall?.mediaType).toBe('Audio');
    expect(bob.client.currentCall?.mediaType).toBe('Audio');
    // No echo of one's own media state.
    expect(alice.events.some((e) => e.name === 'onUserVideoAvailable')).toBe(false);

    await alice.client.hangup(callId);
    expect(alice.client.currentCall).toBeNull();
    await bob.next('onCallEnd');
    expect(bob.client.currentCall).toBeNull();
    expect((await h.record(callId)).MediaType).toBe('Audio');
  });

  it('switchMediaType is refused on a group call', async () => {
    const alice = await signIn('alice');
    const bob = await signIn('bob');
    const carol = await signIn('carol');
    const { callId } = await alice.client.calls({ userIdList: ['bob', 'carol'], mediaType: 'Video' });
    await bob.next('onCallReceived');
    await carol.next('onCallReceived');
    await bob.client.accept(callId);
    await expect(alice.client.switchMediaType({ callId, mediaType: 'Audio' })).rejects.toMatchObject({ code: ClientErrorCode.NOT_ALLOWED });
  });

  it('a page that reloads mid-call: currentCall is set when init resolves, onCallState reaches handlers attached after', async () => {
    const alice = await signIn('alice');
    const bob = await signIn('bob', 'laptop');
    const { callId } = await alice.client.calls({ userIdList: ['bob'], mediaType: 'Video' });
    await bob.next('onCallReceived');
    await bob.client.accept(callId);
    await alice.next('onCallBegin');
    for (const conn of h.t.server.connections.devicesOf(h.t.sdkAppId, 'bob')) conn.socket.terminate();
    // The reloaded page: a new client of the same device, handlers attached only after init.
    const again = await DialtoneClient.init({
      server: h.t.url,
      sdkAppId: h.t.sdkAppId,
      userId: 'bob',
      userSig: h.t.userSig('bob'),
      device: 'laptop',
      WebSocket: WebSocket as unknown as WebSocketConstructor,
    });
    clients.push(again);
    expect(again.currentCall).toMatchObject({ callId, status: 'Calling', callerId: 'alice' });
    const seen: string[] = [];
    again.on('onConnectionStateChanged', ({ state }) => seen.push(state));
    again.on('onCallState', (e) => seen.push(`state:${e.callId}:${e.status}`));
    await waitFor(() => seen.length === 2, 5000, 'the held events');
    // The server answers the connection's first frame only after telling it where its calls stand.
    expect(seen).toEqual([`state:${callId}:Calling`, 'connected']);
  });

  it('destroy() in a call hangs up first: the other side hears it at once', async () => {
    const alice = await signIn('alice');
    const bob = await signIn('bob');
    const { callId } = await alice.client.calls({ userIdList: ['bob'], mediaType: 'Audio' });
    await bob.next('onCallReceived');
    await bob.client.accept(callId);
    await alice.next('onCallBegin');
    bob.client.destroy();
    // No clock moved: not the leave grace, not the expiry.
    expect(await alice.next('onCallEnd')).toMatchObject({ callId, reason: 'hangup', userId: 'bob' });
    expect(await h.ended(callId)).toEqual(['Start', 'MC:bob:Accept', 'MC:bob:Hangup', 'End:NormalEnd']);
  });

  it('surfaces onKickedOffline and stops', async () => {
    const first = await signIn('bob', 'phone');
    await signIn('bob', 'phone');
    await first.next('onKickedOffline');
    expect(await first.next('onConnectionStateChanged')).toEqual({ state: 'disconnected', reason: 'kicked' });
    await expect(first.client.ping()).rejects.toMatchObject({ code: ClientErrorCode.NOT_CONNECTED });
  });

  it('renewUserSig: a new UserSig takes over the connection; the call goes on past the old one', async () => {
    const { makeUserSig } = await import('../../src/auth/usersig.js');
    const sig = (expireSeconds: number) =>
      makeUserSig({
        sdkAppId: h.t.sdkAppId,
        secretKey: h.t.secretKey,
        userId: 'bob',
        expireSeconds,
        time: Math.floor(h.clock.now() / 1000),
      });
    const alice = await signIn('alice');
    const bob = await DialtoneClient.init({
      server: h.t.url,
      sdkAppId: h.t.sdkAppId,
      userId: 'bob',
      userSig: sig(60),
      WebSocket: WebSocket as unknown as WebSocketConstructor,
    });
    clients.push(bob);
    const states: string[] = [];
    bob.on(ClientEvent.onConnectionStateChanged, ({ state, reason }) => states.push(reason ? `${state}:${reason}` : state));
    bob.on(ClientEvent.onUserSigExpired, () => states.push('expired'));
    const ringing = new Promise((resolve) => bob.once(ClientEvent.onCallReceived, resolve));
    const { callId } = await alice.client.calls({ userIdList: ['bob'], mediaType: 'Audio' });
    await ringing;
    await bob.accept(callId);
    await alice.next('onCallBegin');
    // A refused UserSig changes nothing.
    await expect(bob.renewUserSig('not a usersig')).rejects.toBeInstanceOf(DialtoneClientError);
    await bob.ping();
    await bob.renewUserSig(sig(3600));
    await h.advance(61_000);
    // Both show life at the new time (the sweep drops silent sockets too), then the sweep runs.
    await Promise.all([bob.ping(), alice.client.ping()]);
    h.t.server.gateway.sweep();
    await bob.ping();
    expect(states).not.toContain('expired');
    expect(states.filter((s) => s.startsWith('disconnected'))).toEqual([]);
    expect(bob.currentCall).toMatchObject({ callId, status: 'Calling' });
    await bob.hangup(callId);
    expect(await alice.next('onCallEnd')).toMatchObject({ callId, reason: 'hangup', userId: 'bob' });
  });

  it('a second accept of the same call while the first is on its way is refused locally', async () => {
    const alice = await signIn('alice');
    const bob = await signIn('bob');
    const { callId } = await alice.client.calls({ userIdList: ['bob'], mediaType: 'Audio' });
    await bob.next('onCallReceived');
    const [first, second] = await Promise.allSettled([bob.client.accept(callId), bob.client.accept(callId)]);
    expect(first.status).toBe('fulfilled');
    expect(second).toMatchObject({ status: 'rejected', reason: { code: ClientErrorCode.NOT_ALLOWED } });
    expect(await h.callbacks(callId, 2)).toEqual(['Start', 'MC:bob:Accept']);
  });

  it('once, event-name constants, and a throwing handler reported as the error event without stopping the others', async () => {
    const alice = await signIn('alice');
    const bob = await signIn('bob');
    const seen: string[] = [];
    const errors: ClientEvents['error'][] = [];
    const boom = new Error('boom');
    bob.client.once(ClientEvent.onCallReceived, () => seen.push('once'));
    bob.client.on(ClientEvent.onCallReceived, () => {
      throw boom;
    });
    bob.client.on(ClientEvent.onCallReceived, () => seen.push('after the throw'));
    bob.client.on(ClientEvent.error, (e) => errors.push(e));
    const quiet = console.error;
    console.error = () => undefined;
    try {
      for (let i = 0; i < 2; i++) {
        const { callId } = await alice.client.calls({ userIdList: ['bob'], mediaType: 'Audio' });
        await bob.next('onCallReceived');
        await alice.client.hangup(callId);
        await bob.next('onCallNotConnected');
      }
    } finally {
      console.error = quiet;
    }
    expect(seen).toEqual(['once', 'after the throw', 'after the throw']);
    expect(errors).toEqual([
      { event: 'onCallReceived', error: boom },
      { event: 'onCallReceived', error: boom },
    ]);
    expect(Object.keys(ClientEvent)).toEqual(Object.values(ClientEvent));
  });
});

describe('browser bundle', () => {
  it('is served at /sdk/dialtone-client.js as an ES module exporting DialtoneClient', async () => {
    const res = await fetch(`${h.t.url}/sdk/dialtone-client.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/javascript/);
    const code = await res.text();
    expect(code).toMatch(/export\s*\{[^}]*DialtoneClient/);
    expect(code).not.toMatch(/from\s*["']ws["']/);
  });
});

describe('session end', () => {
  it('surfaces onUserSigExpired when the UserSig runs out during the connection', async () => {
    const { makeUserSig } = await import('../../src/auth/usersig.js');
    const now = Math.floor(h.clock.now() / 1000);
    const client = await DialtoneClient.init({
      server: h.t.url,
      sdkAppId: h.t.sdkAppId,
      userId: 'eve',
      userSig: makeUserSig({ sdkAppId: h.t.sdkAppId, secretKey: h.t.secretKey, userId: 'eve', expireSeconds: 60, time: now }),
      WebSocket: WebSocket as unknown as WebSocketConstructor,
    });
    clients.push(client);
    const seen: string[] = [];
    client.on('onUserSigExpired', () => seen.push('expired'));
    client.on('onConnectionStateChanged', ({ state }) => seen.push(state));
    await h.advance(61_000);
    h.t.server.gateway.sweep();
    await waitFor(() => seen.includes('disconnected'), 5000, 'disconnected');
    // `connected` too: it is held until handlers could attach after init.
    expect(seen).toEqual(['connected', 'expired', 'disconnected']);
    await expect(client.ping()).rejects.toMatchObject({ code: ClientErrorCode.NOT_CONNECTED });
  });
});

describe('device limit', () => {
  it('rejects init on an eleventh device with the server code', async () => {
    for (let i = 0; i < 10; i++) await signIn('bob', `d${i}`);
    const err = await DialtoneClient.init({
      server: h.t.url,
      sdkAppId: h.t.sdkAppId,
      userId: 'bob',
      userSig: h.t.userSig('bob'),
      device: 'd10',
      WebSocket: WebSocket as unknown as WebSocketConstructor,
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ClientErrorCode.NOT_ALLOWED, message: expect.stringContaining('10 devices') });
  });
});
