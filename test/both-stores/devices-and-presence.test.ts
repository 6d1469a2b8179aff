/**
 * Multiple devices (SPEC §5.3), reconnection within the heartbeat expiry, ringing on connect,
 * kick-offline, UserSig expiry during a connection, signal relay, and timers across a restart.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeUserSig } from '../../src/auth/usersig.js';
import { connectUser, TestClient } from '../helpers/client.js';
import { eventsOf, Harness, ManualClock } from '../helpers/harness.js';
import { rest } from '../helpers/rest.js';
import { removeTestData, startServer } from '../helpers/server.js';
import { waitForAsync } from '../helpers/wait.js';

let h: Harness;
afterEach(async () => {
  await h.close();
});
/** For tests that closed their harness themselves. */
const NOTHING_TO_CLOSE = { close: async () => undefined } as unknown as Harness;

describe('multiple devices', () => {
  it('both devices ring; the first to accept wins; the other hears otherDeviceAccepted; one Accept callback', async () => {
    h = await Harness.create();
    const alice = await h.user('alice');
    const phone = await h.user('bob', { device: 'phone' });
    const laptop = await h.user('bob', { device: 'laptop' });
    const callId = await h.call(alice, ['bob']);
    await phone.nextEvent('onCallReceived');
    await laptop.nextEvent('onCallReceived');
    const [a, b] = await Promise.all([phone.request('accept', { callId }), laptop.request('accept', { callId })]);
    expect([a.ok, b.ok].sort()).toEqual([false, true]);
    const [winner, loser] = a.ok ? [phone, laptop] : [laptop, phone];
    expect((a.ok ? b : a).code).toBe(-1203);
    await winner.nextEvent('onCallBegin');
    expect((await loser.nextEvent('onCallNotConnected')).data).toMatchObject({ reason: 'otherDeviceAccepted', userId: 'bob' });
    expect(await h.callbacks(callId, 2)).toEqual(['Start', 'MC:bob:Accept']);
    // The call now follows the winning device only.
    await h.op(alice, 'hangup', { callId });
    await winner.nextEvent('onCallEnd');
    await h.ended(callId);
    expect(eventsOf(loser, callId)).toEqual(['onCallReceived', 'onCallNotConnected:otherDeviceAccepted']);
    expect(h.summary(callId).filter((s) => s === 'MC:bob:Accept')).toHaveLength(1);
  });

  it('a reject on one device rejects for the user; the other hears otherDeviceReject', async () => {
    h = await Harness.create();
    const alice = await h.user('alice');
    const phone = await h.user('bob', { device: 'phone' });
    const laptop = await h.user('bob', { device: 'laptop' });
    const callId = await h.call(alice, ['bob']);
    await laptop.nextEvent('onCallReceived');
    await h.op(phone, 'reject', { callId });
    expect((await laptop.nextEvent('onCallNotConnected')).data).toMatchObject({ reason: 'otherDeviceReject' });
    expect((await phone.nextEvent('onCallNotConnected')).data).toMatchObject({ reason: 'reject' });
    expect(await h.ended(callId)).toEqual(['Start', 'MC:bob:Reject', 'End:Reject']);
  });
});

describe('presence', () => {
  it('a callee who connects while a call rings for them gets onCallReceived at once', async () => {
    h = await Harness.create();
    const alice = await h.user('alice');
    const callId = await h.call(alice, ['bob']);
    const bob = await h.user('bob');
    expect((await bob.nextEvent('onCallReceived')).data).toMatchObject({ callId, callerId: 'alice' });
  });

  it('a member who reconnects within the expiry keeps the call and is told its state', async () => {
    h = await Harness.create();
    const alice = await h.user('alice');
    const bob = await h.user('bob', { device: 'phone' });
    const callId = await h.call(alice, ['bob']);
    await h.op(bob, 'accept', { callId });
    bob.ws.terminate();
    await h.advance(20_000);
    const back = await h.user('bob', { device: 'phone' });
    const state = await back.nextEvent('onCallState');
    expect(state.data).toMatchObject({
      callId,
      callerId: 'alice',
      status: 'Calling',
      members: [
        { userId: 'alice', status: 'Calling' },
        { userId: 'bob', status: 'Calling' },
      ],
    });
    await h.advance(20_000);
    expect(h.summary(callId)).toEqual(['Start', 'MC:bob:Accept']);
    // Events of the call reach the new connection.
    await h.op(alice, 'hangup', { callId });
    expect((await back.nextEvent('onCallEnd')).data).toMatchObject({ reason: 'hangup', userId: 'alice' });
  });

  it('a member reconnecting on another device moves the call there when the old one is gone', async () => {
    h = await Harness.create();
    const alice = await h.user('alice');
    const bob = await h.user('bob', { device: 'phone' });
    const callId = await h.call(alice, ['bob']);
    await h.op(bob, 'accept', { callId });
    bob.ws.terminate();
    await bob.closed();
    const tablet = await h.user('bob', { device: 'tablet' });
    await tablet.nextEvent('onCallState');
    await h.op(alice, 'hangup', { callId });
    await tablet.nextEvent('onCallEnd');
  });

  it('a member who does not come back within the expiry leaves as Offline', async () => {
    h = await Harness.create();
    const alice = await h.user('alice');
    const bob = await h.user('bob');
    const callId = await h.call(alice, ['bob']);
    await h.op(bob, 'accept', { callId });
    bob.ws.terminate();
    await bob.closed();
    await h.advance(31_000);
    expect(await h.ended(callId)).toEqual(['Start', 'MC:bob:Accept', 'MC:bob:Offline', 'End:Offline']);
    await alice.nextEvent('onCallEnd');
  });

  /**
   * Advances the clock a second at a time (at most 25 s, short of the 30 s expiry) until the call
   * ended; resolves with how far the clock moved. The close is handled asynchronously, so the
   * grace may be armed a step late: stepping never jumps past it.
   */
  async function advanceUntilEnded(callId: string): Promise<number> {
    for (let moved = 1_000; moved <= 25_000; moved += 1_000) {
      await h.advance(1_000);
      if (h.summary(callId).some((s) => s.startsWith('End:'))) return moved;
      await new Promise((r) => setImmediate(r));
    }
    throw new Error(`${callId} did not end within 25 s of the clock`);
  }

  it('a member whose page closes its socket (1000/1001) hangs up after the leave grace, not the expiry', async () => {
    for (const code of [1000, 1001]) {
      h = await Harness.create();
      const alice = await h.user('alice');
      const bob = await h.user('bob');
      const callId = await h.call(alice, ['bob']);
      await h.op(bob, 'accept', { callId });
      bob.ws.close(code);
      await bob.closed();
      const moved = await advanceUntilEnded(callId);
      // Default grace 3 s: not before it.
      expect(moved).toBeGreaterThanOrEqual(3_000);
      expect(await h.ended(callId)).toEqual(['Start', 'MC:bob:Accept', 'MC:bob:Hangup', 'End:NormalEnd']);
      expect((await alice.nextEvent('onCallEnd')).data).toMatchObject({ callId, reason: 'hangup', userId: 'bob' });
      await h.close();
    }
    h = NOTHING_TO_CLOSE;
  });

  it('a reload within the grace keeps the call: the same device is back and told its state', async () => {
    h = await Harness.create();
    const alice = await h.user('alice');
    const bob = await h.user('bob', { device: 'laptop' });
    const callId = await h.call(alice, ['bob']);
    await h.op(bob, 'accept', { callId });
    bob.ws.close(1001);
    await bob.closed();
    await h.advance(2_000);
    const back = await h.user('bob', { device: 'laptop' });
    expect((await back.nextEvent('onCallState')).data).toMatchObject({ callId, status: 'Calling' });
    await h.advance(10_000);
    expect(h.summary(callId)).toEqual(['Start', 'MC:bob:Accept']);
    await h.op(back, 'hangup', { callId });
    expect(await h.ended(callId)).toEqual(['Start', 'MC:bob:Accept', 'MC:bob:Hangup', 'End:NormalEnd']);
  });

  it('a socket that drops without a close frame, or any close with the grace off, waits for the expiry', async () => {
    for (const [grace, drop] of [
      [undefined, (c: TestClient) => c.ws.terminate()],
      [0, (c: TestClient) => c.ws.close(1000)],
    ] as const) {
      h = await Harness.create(grace === undefined ? {} : { leaveGraceMs: grace });
      const alice = await h.user('alice');
      const bob = await h.user('bob');
      const callId = await h.call(alice, ['bob']);
      await h.op(bob, 'accept', { callId });
      drop(bob);
      await bob.closed();
      for (let i = 0; i < 10; i++) await h.advance(1_000);
      expect(h.summary(callId)).toEqual(['Start', 'MC:bob:Accept']);
      await h.advance(21_000);
      expect(await h.ended(callId)).toEqual(['Start', 'MC:bob:Accept', 'MC:bob:Offline', 'End:Offline']);
      await h.close();
    }
    h = NOTHING_TO_CLOSE;
  });

  it('any frame or a WebSocket ping keeps a member alive', async () => {
    h = await Harness.create();
    const alice = await h.user('alice');
    const bob = await h.user('bob');
    const callId = await h.call(alice, ['bob']);
    await h.op(bob, 'accept', { callId });
    for (let i = 0; i < 6; i++) {
      await h.advance(10_000);
      await h.op(alice, 'ping', {});
      const pong = new Promise<void>((r) => bob.ws.once('pong', () => r()));
      bob.ws.ping();
      await pong;
      h.t.server.gateway.sweep();
    }
    expect(bob.closeCode).toBeUndefined();
    expect(h.summary(callId)).toEqual(['Start', 'MC:bob:Accept']);
  });

  it('a UserSig that expires during a connection: onUserSigExpired, then the socket closes', async () => {
    h = await Harness.create();
    const now = Math.floor(h.clock.now() / 1000);
    const shortSig = makeUserSig({ sdkAppId: h.t.sdkAppId, secretKey: h.t.secretKey, userId: 'eve', expireSeconds: 60, time: now });
    const eve = await TestClient.connect(h.t.wsUrl, { sdkappid: String(h.t.sdkAppId), userid: 'eve', usersig: shortSig });
    h.clients.push(eve);
    h.t.server.gateway.sweep();
    expect((await eve.request('ping')).ok).toBe(true);
    await h.advance(61_000);
    h.t.server.gateway.sweep();
    await eve.nextEvent('onUserSigExpired');
    expect((await eve.closed()).code).toBe(4003);
  });
});

describe('signal', () => {
  it('relays data to another member of the call, and refuses anyone else', async () => {
    h = await Harness.create();
    const alice = await h.user('alice');
    const bob = await h.user('bob');
    const mallory = await h.user('mallory');
    const callId = await h.call(alice, ['bob']);
    await h.op(bob, 'accept', { callId });
    const offer = { type: 'offer', sdp: 'v=0…' };
    await h.op(alice, 'signal', { callId, toUserId: 'bob', data: offer });
    expect((await bob.nextEvent('onSignal')).data).toEqual({ callId, fromUserId: 'alice', data: offer });
    expect(await mallory.request('signal', { callId, toUserId: 'bob', data: 'x' })).toMatchObject({ ok: false, code: -1203 });
    expect(await alice.request('signal', { callId, toUserId: 'mallory', data: 'x' })).toMatchObject({ ok: false, code: -1203 });
    expect(await alice.request('signal', { callId, toUserId: 'alice', data: 'x' })).toMatchObject({ ok: false, code: -1203 });
    expect(await alice.request('signal', { callId: 'nope', toUserId: 'bob', data: 'x' })).toMatchObject({ ok: false, code: -1203 });
    expect(mallory.events).toEqual([]);
  });
});

describe('timers survive a restart', () => {
  it('a ring timeout armed before a restart fires once after it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'dialtone-restart-'));
    const clock = new ManualClock();
    try {
      // alice's heartbeat expiry (she left with the old server) runs out after the ring timeout,
      // so the ring timeout is what ends the call, whichever mode re-arms her expiry.
      h = await Harness.create({ dataDir, clock, heartbeatExpiryMs: 60_000 });
      const alice = await h.user('alice');
      const callId = await h.call(alice, ['bob'], { timeout: 30 });
      await h.callbacks(callId, 1);
      await h.t.server.dispatcher.idle();
      for (const c of h.clients) c.close();
      // The server has seen alice go (in a cluster, off the bus too) before it stops, so her
      // expiry is armed now, not taken over later by the next process.
      const server = h.t.server;
      const gone = async () => server.connections.size === 0 && ((await server.bus?.deviceCount(h.t.sdkAppId, 'alice')) ?? 0) === 0;
      await waitForAsync(gone, 5000, 'alice to be gone from the server');
      await h.t.server.close();

      clock.advance(45_000);
      const t2 = await startServer({
        dataDir,
        keepDataDir: true,
        config: { heartbeatExpiryMs: 60_000 },
        overrides: { clock, sweepIntervalMs: 0 },
      });
      try {
        await t2.server.timers.runDue();
        const record = await rest(t2, 'call_record_http_srv/get_record_by_callid', { CallId: callId });
        expect(record.Response!.CallRecord).toMatchObject({ CallResult: 'NotAnswer' });
        expect(await t2.server.timers.runDue()).toBe(0);
        await h.receiver.waitForCount(3);
        expect(h.summary(callId)).toEqual(['Start', 'MC:bob:NotAnswer', 'End:NotAnswer']);
      } finally {
        await t2.close();
      }
    } finally {
      await h.receiver.close();
      h = NOTHING_TO_CLOSE;
      await removeTestData(dataDir);
    }
  });

  it('members in a call when the server stopped get one expiry to come back', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'dialtone-restart-'));
    const clock = new ManualClock();
    try {
      h = await Harness.create({ dataDir, clock });
      const alice = await h.user('alice');
      const bob = await h.user('bob');
      const callId = await h.call(alice, ['bob']);
      await h.op(bob, 'accept', { callId });
      await h.t.server.dispatcher.idle();
      for (const c of h.clients) c.close();
      await h.t.server.close();

      const t2 = await startServer({ dataDir, keepDataDir: true, overrides: { clock, sweepIntervalMs: 0 } });
      try {
        const alice2 = await connectUser(t2, 'alice');
        expect((await alice2.nextEvent('onCallState')).data).toMatchObject({ callId, status: 'Calling' });
        clock.advance(31_000);
        await t2.server.timers.runDue();
        // bob never came back: he leaves as Offline and the call ends.
        expect((await alice2.nextEvent('onCallEnd')).data).toMatchObject({ reason: 'offline', userId: 'bob' });
        alice2.close();
      } finally {
        await t2.close();
      }
    } finally {
      await h.receiver.close();
      h = NOTHING_TO_CLOSE;
      await removeTestData(dataDir);
    }
  });
});

describe('heartbeat wiring in real time', () => {
  it('drops a silent socket on its own, and a member who stays away leaves as Offline', async () => {
    const t = await startServer({ config: { heartbeatExpiryMs: 1000 } });
    h = NOTHING_TO_CLOSE;
    try {
      const alice = await connectUser(t, 'alice');
      const bob = await connectUser(t, 'bob');
      const reply = await alice.request('calls', { userIdList: ['bob'], mediaType: 'Audio' });
      await bob.request('accept', { callId: reply.result!.callId });
      // alice keeps pinging; bob says nothing more.
      const pinger = setInterval(() => alice.ws.ping(), 200);
      try {
        expect((await bob.closed(5000)).code).toBe(1006);
        expect((await alice.nextEvent('onCallEnd', 5000)).data).toMatchObject({ reason: 'offline', userId: 'bob' });
      } finally {
        clearInterval(pinger);
        alice.close();
      }
    } finally {
      await t.close();
    }
  });
});
