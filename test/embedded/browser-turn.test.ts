/**
 * TURN, real (SPEC §4.1): a coturn started by the test on a free loopback port with
 * `use-auth-secret`, a Dialtone server holding its secret (`DIALTONE_TURN_URLS`/`_SECRET`), and
 * two pages of headless Chromium (fake camera and microphone) whose `CallMedia` is forced to
 * `iceTransportPolicy: 'relay'` and gets its ICE servers from Dialtone, not from the page. Video
 * flows only through the relay; with a wrong secret nothing connects, and `CallMedia` says so.
 * coturn missing fails the test (test/helpers/turn.ts): it is never skipped.
 */
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { startTurnServer, TURN_REALM, type TurnServer } from '../helpers/turn.js';
import { waitFor } from '../helpers/wait.js';

/** Real WebRTC in headless Chromium on two busy cores: connecting can take a while under a full test run. */
const MEDIA_TIMEOUT = 40_000;

let browser: Browser;
let turn: TurnServer | undefined;
let t: TestServer | undefined;
/** Closed before the servers, so no page keeps reconnecting to them while they shut down. */
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  for (const c of contexts.splice(0)) await c.close();
  await t?.close();
  await turn?.close();
  t = undefined;
  turn = undefined;
}, 60_000);

/** coturn, and a Dialtone server (dev mode, for `/dev/usersig`) giving out its credentials made with `secret`. */
async function servers(secret?: string): Promise<{ turn: TurnServer; t: TestServer }> {
  turn = await startTurnServer();
  t = await startServer({ config: { dev: true, turnUrls: [turn.url], turnSecret: secret ?? turn.secret } });
  return { turn, t };
}

/**
 * A page of the server's origin signed in as `userId`, with `window.dt`: the client, the call's
 * `CallMedia` (relay only, ICE servers left to the server), the configuration of every
 * `RTCPeerConnection` made, the media's `connectionState` and `iceError` events, and `stats()`:
 * video frames decoded and the candidate types of the selected pair.
 */
async function open(server: TestServer, userId: string, url = server.url): Promise<Page> {
  const context = await browser.newContext();
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error(`[${userId}] page error: ${err.message}`));
  await page.goto(`${url}/healthz`);
  await page.setContent('<div id="videos"></div>');
  // A module script, not an import() inside evaluate: the test's own transform would rewrite that.
  await page.addScriptTag({ type: 'module', content: "import * as sdk from '/sdk/dialtone-client.js'; window.sdk = sdk;" });
  await page.waitForFunction(() => (window as any).sdk);
  await page.evaluate(async (userId) => {
    const sdk = (window as any).sdk;
    const dt: any = { pcs: [], configs: [], states: [], iceErrors: [], connection: [] };
    (window as any).dt = dt;
    // Every connection CallMedia makes, with what it was made with.
    const Native = window.RTCPeerConnection;
    (window as any).RTCPeerConnection = class extends Native {
      constructor(config?: RTCConfiguration) {
        super(config);
        dt.pcs.push(this);
        dt.configs.push(config);
      }
    };
    const sig = await (await fetch(`/dev/usersig?userId=${encodeURIComponent(userId)}`)).json();
    const client = await sdk.DialtoneClient.init({ server: location.origin, sdkAppId: sig.sdkAppId, userId, userSig: sig.userSig });
    dt.client = client;
    client.on('onConnectionStateChanged', (e: any) => dt.connection.push(e.state));
    client.on('onCallReceived', (e: any) => (dt.incoming = e));
    client.on('onCallBegin', (e: any) => (dt.begun = e));
    dt.attach = async (callId: string, localStream?: MediaStream) => {
      const media = new sdk.CallMedia({
        client,
        callId,
        mediaType: 'Video',
        iceTransportPolicy: 'relay',
        ...(localStream ? { localStream } : {}),
        onRemoteStream: (from: string, stream: MediaStream) => {
          const video = document.createElement('video');
          Object.assign(video, { autoplay: true, playsInline: true, muted: true, width: 320, srcObject: stream });
          video.dataset.user = from;
          document.getElementById('videos')!.append(video);
        },
      });
      media.on('connectionState', (e: unknown) => dt.states.push(e)).on('iceError', (e: unknown) => dt.iceErrors.push(e));
      dt.media = media;
      await media.start();
    };
    dt.call = async (callee: string) => {
      const local = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
      const { callId } = await client.calls({ userIdList: [callee], mediaType: 'Video' });
      await dt.attach(callId, local);
    };
    dt.answer = async () => {
      await dt.attach(dt.incoming.callId);
      await client.accept(dt.incoming.callId);
    };
    dt.stats = async () => {
      const pc: RTCPeerConnection | undefined = dt.pcs.at(-1);
      if (!pc) return { framesDecoded: 0 };
      const all = [...(await pc.getStats()).values()] as any[];
      const byId = new Map(all.map((s) => [s.id, s]));
      const transport = all.find((s) => s.type === 'transport' && s.selectedCandidatePairId);
      const pair = transport ? byId.get(transport.selectedCandidatePairId) : undefined;
      const video = all.find((s) => s.type === 'inbound-rtp' && s.kind === 'video');
      return {
        framesDecoded: video?.framesDecoded ?? 0,
        local: pair ? byId.get(pair.localCandidateId)?.candidateType : undefined,
        remote: pair ? byId.get(pair.remoteCandidateId)?.candidateType : undefined,
        localCandidates: all.filter((s) => s.type === 'local-candidate').map((s) => s.candidateType),
      };
    };
  }, userId);
  return page;
}

/** alice calls bob, bob answers: both pages' media relay only. `bobUrl`: where bob's page reaches the server. */
async function call(server: TestServer, bobUrl = server.url): Promise<{ alice: Page; bob: Page }> {
  const alice = await open(server, 'alice');
  const bob = await open(server, 'bob', bobUrl);
  await alice.evaluate(() => (window as any).dt.call('bob'));
  await bob.waitForFunction(() => (window as any).dt.incoming);
  await bob.evaluate(() => (window as any).dt.answer());
  return { alice, bob };
}

/** Waits until `page` has decoded `frames` video frames (from a relay-only connection: through the TURN server); its stats then. */
async function videoThroughRelay(page: Page, frames = 30) {
  // waitForFunction does not await a promise: the page reads its stats on a timer of its own.
  await page.evaluate(() => {
    const dt = (window as any).dt;
    dt.reading = setInterval(async () => (dt.latest = await dt.stats()), 200);
  });
  try {
    await page.waitForFunction((n) => ((window as any).dt.latest?.framesDecoded ?? 0) >= n, frames, {
      timeout: MEDIA_TIMEOUT,
      polling: 200,
    });
  } finally {
    await page.evaluate(() => clearInterval((window as any).dt.reading));
  }
  return page.evaluate(() => (window as any).dt.stats());
}

/** The TURN entry of the configuration `page`'s first connection was made with. */
async function turnConfig(page: Page) {
  await page.waitForFunction(() => (window as any).dt.configs.length > 0, undefined, { timeout: MEDIA_TIMEOUT });
  return page.evaluate(() => {
    const config: RTCConfiguration = (window as any).dt.configs[0];
    return { policy: config.iceTransportPolicy, turn: config.iceServers!.find((s) => String(s.urls).startsWith('turn:')) };
  });
}

describe('TURN through Dialtone', () => {
  it('two relay-only pages get their TURN credentials from Dialtone and video flows through coturn', async () => {
    const { turn, t } = await servers();
    const { alice, bob } = await call(t);
    for (const [page, user] of [
      [alice, 'alice'],
      [bob, 'bob'],
    ] as const) {
      const { policy, turn: entry } = await turnConfig(page);
      expect(policy).toBe('relay');
      expect(entry).toMatchObject({ urls: [turn.url], username: expect.stringMatching(new RegExp(`^\\d+:${user}$`)) });
      // Valid the default 6 hours from now.
      expect(Number((entry!.username as string).split(':')[0]) - Date.now() / 1000).toBeCloseTo(21_600, -2);
    }

    const [atAlice, atBob] = [await videoThroughRelay(alice), await videoThroughRelay(bob)];
    // The selected pairs join two relayed candidates: the media goes through coturn both ways.
    expect(atAlice).toMatchObject({ local: 'relay', remote: 'relay' });
    expect(atBob).toMatchObject({ local: 'relay', remote: 'relay' });
    for (const page of [alice, bob]) {
      expect(await page.evaluate(() => (window as any).dt.states)).toContainEqual({ userId: expect.any(String), state: 'connected' });
      expect(await page.evaluate(() => (window as any).dt.iceErrors)).toEqual([]);
    }
    // coturn allocated a relay for each user, with the credentials Dialtone made.
    for (const user of ['alice', 'bob']) {
      await waitFor(
        () => new RegExp(`realm <${TURN_REALM}> user <\\d+:${user}>: incoming packet ALLOCATE processed, success`).test(turn.log()),
        MEDIA_TIMEOUT,
        `coturn's log of ${user}'s allocation`,
      );
    }
  }, 120_000);

  it('with a secret coturn does not share, nothing connects and CallMedia reports the failure and the 401', async () => {
    const { turn, t } = await servers('not-the-turn-secret');
    const { alice, bob } = await call(t);
    // The call itself connects: only its media cannot.
    await alice.waitForFunction(() => (window as any).dt.begun);
    for (const [page, other] of [
      [alice, 'bob'],
      [bob, 'alice'],
    ] as const) {
      await page.waitForFunction((u) => (window as any).dt.states.some((s: any) => s.userId === u && s.state === 'failed'), other, {
        timeout: MEDIA_TIMEOUT,
        polling: 100,
      });
      const errors = (await page.evaluate(() => (window as any).dt.iceErrors)) as { userId: string; url: string; errorCode: number }[];
      expect(errors).toContainEqual(
        expect.objectContaining({ userId: other, errorCode: 401, url: expect.stringContaining(turn.url.slice('turn:'.length)) }),
      );
      const stats = await page.evaluate(() => (window as any).dt.stats());
      expect(stats).toMatchObject({ framesDecoded: 0, localCandidates: [] });
      expect(await page.evaluate(() => (window as any).dt.states.map((s: any) => s.state))).not.toContain('connected');
    }
    // coturn refused both users' credentials (401 once they were given), and allocated nothing.
    for (const user of ['alice', 'bob']) {
      const refused = new RegExp(`realm <${TURN_REALM}> user <\\d+:${user}>: incoming packet \\w+ processed, error 401`);
      await waitFor(() => refused.test(turn.log()), MEDIA_TIMEOUT, `coturn's log of ${user}'s refusal`);
    }
    expect(turn.log()).not.toMatch(/ALLOCATE processed, success/);
  }, 120_000);

  it("one page's network cut for 10 s (signalling and relay) and back: both reconnect and video flows again", async () => {
    const { turn, t } = await servers();
    const proxy = await startTcpProxy(Number(new URL(t.url).port));
    try {
      const { alice, bob } = await call(t, proxy.url);
      await videoThroughRelay(alice);
      await videoThroughRelay(bob);

      // bob's network goes: his WebSocket (through the proxy) and all relayed media (coturn frozen).
      const cutAt = Date.now();
      proxy.cut();
      turn.pause();
      await bob.waitForFunction(() => (window as any).dt.connection.includes('reconnecting'), undefined, { timeout: MEDIA_TIMEOUT });
      // alice sees bob's connection go down (what a page shows as "reconnecting…").
      await alice.waitForFunction(
        () => (window as any).dt.states.some((e: any) => e.userId === 'bob' && (e.state === 'disconnected' || e.state === 'failed')),
        undefined,
        { timeout: MEDIA_TIMEOUT },
      );
      // The outage lasts 10 s in all.
      await waitFor(() => Date.now() - cutAt >= 10_000, 15_000, 'ten seconds of outage');
      const before = await Promise.all(
        [alice, bob].map((p) => p.evaluate(async () => (await (window as any).dt.stats()).framesDecoded as number)),
      );
      proxy.restore();
      turn.resume();

      // bob signs back in (same device: the call is still his) and the connection recovers.
      await bob.waitForFunction(() => (window as any).dt.connection.at(-1) === 'connected', undefined, { timeout: MEDIA_TIMEOUT });
      for (const [page, other] of [
        [alice, 'bob'],
        [bob, 'alice'],
      ] as const) {
        await page.waitForFunction(
          (u) => (window as any).dt.states.filter((e: any) => e.userId === u).at(-1)?.state === 'connected',
          other,
          {
            timeout: MEDIA_TIMEOUT,
          },
        );
      }
      // New frames on the same call, both ways, through the relay.
      const [atAlice, atBob] = [await videoThroughRelay(alice, before[0]! + 30), await videoThroughRelay(bob, before[1]! + 30)];
      expect(atAlice).toMatchObject({ local: 'relay', remote: 'relay' });
      expect(atBob).toMatchObject({ local: 'relay', remote: 'relay' });
      // Nobody left the call.
      for (const page of [alice, bob]) expect(await page.evaluate(() => (window as any).dt.client.currentCall?.status)).toBe('Calling');
    } finally {
      await proxy.close();
    }
  }, 150_000);
});
