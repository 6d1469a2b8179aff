/**
 * `CallMedia`'s engine features in headless Chromium (Debian's, /usr/bin/chromium) with fake
 * camera and microphone, two pages in a real call through a real server: switching camera and
 * microphone without renegotiating, choosing the speaker, voice volume, network quality, and an
 * audio call switched to video. Each page loads the SDK bundle the server serves
 * (`/sdk/dialtone-client.js`) into a bare page of the server's origin. Screenshots go under
 * test-results/.
 */
import { mkdirSync } from 'node:fs';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.js';
import { Harness } from '../helpers/harness.js';

const ARTIFACTS = 'test-results/browser-media';
/** Real WebRTC in headless Chromium on two busy cores: connecting can take a while under a full test run. */
const MEDIA_TIMEOUT = 40_000;

let browser: Browser;
let h: Harness;
/** Browser contexts of the current test: closed before the server, so no page keeps reconnecting to it while it shuts down. */
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
});
beforeEach(async () => {
  h = await Harness.create({ dev: true });
});
afterEach(async () => {
  for (const c of contexts.splice(0)) await c.close();
  await h.close();
}, 60_000);

/**
 * A page of the server's origin signed in as `userId`, with `window.dt`: the client, the call's
 * `CallMedia` once there is one, every `volume` and `networkQuality` event it heard (with the
 * page's time), and (unless `play` is false) a `<video>` per remote member playing their stream (with sound).
 */
async function open(userId: string, play = true): Promise<Page> {
  const context = await browser.newContext();
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error(`[${userId}] page error: ${err.message}`));
  await page.goto(`${h.t.url}/healthz`);
  await page.setContent(`<button id="go">${userId}</button><div id="videos"></div>`);
  // A real click: the page may then play sound and run Web Audio (the autoplay policy).
  await page.click('#go');
  // A module script, not an import() inside evaluate: the test's own transform would rewrite that.
  await page.addScriptTag({ type: 'module', content: "import * as sdk from '/sdk/dialtone-client.js'; window.sdk = sdk;" });
  await page.waitForFunction(() => (window as any).sdk);
  await page.evaluate(
    async ([userId, play]) => {
      const sdk = (window as any).sdk;
      const sig = await (await fetch(`/dev/usersig?userId=${encodeURIComponent(userId)}`)).json();
      const client = await sdk.DialtoneClient.init({ server: location.origin, sdkAppId: sig.sdkAppId, userId, userSig: sig.userSig });
      const dt: any = { sdk, client, media: undefined, incoming: undefined, volumes: [], qualities: [] };
      (window as any).dt = dt;
      client.on('onCallReceived', (e: any) => (dt.incoming = e));
      dt.onVolume = (e: any) => dt.volumes.push({ ...e, at: performance.now() });
      dt.onQuality = (e: any) => dt.qualities.push({ ...e, at: performance.now() });
      // What CallMedia starts from here on (the client's own heartbeat started before): intervals
      // still running, and audio contexts made.
      dt.intervals = new Set();
      dt.contexts = [];
      const { setInterval: set, clearInterval: clear } = window;
      (window as any).setInterval = (...args: Parameters<typeof set>) => {
        const id = set(...args);
        dt.intervals.add(id);
        return id;
      };
      (window as any).clearInterval = (id: number) => {
        dt.intervals.delete(id);
        clear(id);
      };
      // A camera that opens only when the test says (`holdCamera` / `releaseCamera`): a slow camera.
      const getUserMedia = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
      navigator.mediaDevices.getUserMedia = async (c?: MediaStreamConstraints) => {
        if (dt.hold && c?.video && !c.audio) {
          dt.cameraWaiting = true;
          await dt.hold;
        }
        return getUserMedia(c);
      };
      dt.holdCamera = () => {
        dt.hold = new Promise<void>((r) => (dt.releaseCamera = r));
      };
      const Context = window.AudioContext;
      (window as any).AudioContext = class extends Context {
        constructor(...args: ConstructorParameters<typeof Context>) {
          super(...args);
          dt.contexts.push(this);
        }
      };
      dt.attach = async (callId: string, mediaType: string, localStream?: MediaStream) => {
        const media = new sdk.CallMedia({
          client,
          callId,
          mediaType,
          ...(localStream ? { localStream } : {}),
          onRemoteStream: (from: string, stream: MediaStream) => {
            if (!play) return;
            let video = document.querySelector<HTMLVideoElement>(`video[data-user="${from}"]`);
            if (!video) {
              video = document.createElement('video');
              video.dataset.user = from;
              video.autoplay = true;
              video.playsInline = true;
              video.width = 320;
              document.getElementById('videos')!.append(video);
            }
            if (video.srcObject !== stream) video.srcObject = stream;
          },
        });
        media.on('volume', dt.onVolume).on('networkQuality', dt.onQuality);
        dt.media = media;
        const stream = await media.start();
        // The local preview, as a call UI shows it.
        const preview = document.createElement('video');
        Object.assign(preview, { autoplay: true, playsInline: true, muted: true, width: 160, srcObject: stream });
        preview.dataset.user = 'self';
        document.getElementById('videos')!.append(preview);
      };
      dt.call = async (callee: string, mediaType: string) => {
        const local = await navigator.mediaDevices.getUserMedia({ audio: true, video: mediaType === 'Video' });
        const { callId } = await client.calls({ userIdList: [callee], mediaType });
        await dt.attach(callId, mediaType, local);
      };
      dt.answer = async () => {
        await dt.attach(dt.incoming.callId, dt.incoming.mediaType);
        await client.accept(dt.incoming.callId);
      };
    },
    [userId, play] as const,
  );
  return page;
}

/** alice calls bob with `mediaType`, bob answers; `bobPlays` false: bob's page plays nothing it receives. */
async function connect(mediaType: 'Audio' | 'Video', bobPlays = true): Promise<{ alice: Page; bob: Page }> {
  const alice = await open('alice');
  const bob = await open('bob', bobPlays);
  await alice.evaluate((m) => (window as any).dt.call('bob', m), mediaType);
  await bob.waitForFunction(() => (window as any).dt.incoming);
  await bob.evaluate(() => (window as any).dt.answer());
  return { alice, bob };
}

/** Waits until `page`'s video of `from` has shown `frames` more frames than when called: video really flowing. */
async function videoFlowing(page: Page, from: string, frames = 10): Promise<void> {
  const handle = await page.evaluateHandle((from) => {
    const state = { seen: 0, start: -1 };
    const watch = () => {
      const v = document.querySelector<HTMLVideoElement>(`video[data-user="${from}"]`);
      if (v && v.readyState >= 2 && v.videoWidth > 0) {
        const n = v.getVideoPlaybackQuality().totalVideoFrames;
        if (state.start < 0) state.start = n;
        state.seen = n - state.start;
      }
      if (!(state as any).done) requestAnimationFrame(watch);
    };
    watch();
    return state;
  }, from);
  await page.waitForFunction(([s, n]) => (s as { seen: number }).seen >= (n as number), [handle, frames] as const, {
    timeout: MEDIA_TIMEOUT,
    polling: 100,
  });
  await handle.evaluate((s) => ((s as any).done = true));
}

/** Waits for a `volume` event of `userId` above 0 heard after page time `after` (ms); returns its volume. */
async function loud(page: Page, userId: string, after = 0): Promise<number> {
  const found = await page.waitForFunction(
    ([u, t]) => (window as any).dt.volumes.find((e: any) => e.userId === u && e.at > t && e.volume > 0),
    [userId, after] as const,
    { timeout: MEDIA_TIMEOUT, polling: 100 },
  );
  return ((await found.jsonValue()) as { volume: number }).volume;
}

describe('CallMedia in the browser', () => {
  it('switches camera and microphone without renegotiating, chooses the speaker, and lists devices', async () => {
    const { alice, bob } = await connect('Video');
    await videoFlowing(alice, 'bob');
    await videoFlowing(bob, 'alice');

    const devices = await alice.evaluate(() => (window as any).dt.sdk.CallMedia.enumerateDevices());
    // Chromium's fake devices: one camera, three microphones (a default and two), three outputs.
    expect(devices.cameras.length).toBeGreaterThanOrEqual(1);
    expect(devices.microphones.length).toBeGreaterThanOrEqual(2);
    expect(devices.speakers.length).toBeGreaterThanOrEqual(2);
    expect(devices.cameras.every((d: { kind: string }) => d.kind === 'videoinput')).toBe(true);
    // A plug or unplug (the browser's devicechange, dispatched here: fake devices never change)
    // brings the new list.
    const changed = await alice.evaluate(
      () =>
        new Promise<{ cameras: unknown[]; microphones: unknown[]; speakers: unknown[] }>((resolve) => {
          (window as any).dt.media.on('devicechange', resolve);
          navigator.mediaDevices.dispatchEvent(new Event('devicechange'));
        }),
    );
    expect(changed).toEqual(devices);

    // The fake camera is the only one: the switch opens it again, which is the same path (a new
    // track replaces the old on the sender; the old one is stopped).
    const receivedBefore = await bob.evaluate(() => (window as any).dt.media.remoteStreams.get('alice').getVideoTracks()[0].id);
    const camera = await alice.evaluate(async (cameras: { deviceId: string }[]) => {
      const media = (window as any).dt.media;
      const current = media.cameraId;
      const target = (cameras.find((c) => c.deviceId !== current) ?? cameras[0]!).deviceId;
      const old: MediaStreamTrack = media.localStream.getVideoTracks()[0];
      await media.setCamera(false);
      const track: MediaStreamTrack = await media.switchCamera(target);
      const result = {
        target,
        oldEnded: old.readyState === 'ended',
        newLive: track.readyState === 'live',
        newIsOld: track === old,
        offWhileOff: track.enabled === false,
        local: media.localStream.getVideoTracks().map((t: MediaStreamTrack) => t.id),
        newId: track.id,
        cameraId: media.cameraId,
      };
      await media.setCamera(true);
      return { ...result, onAfter: track.enabled };
    }, devices.cameras);
    expect(camera).toMatchObject({ oldEnded: true, newLive: true, newIsOld: false, offWhileOff: true, onAfter: true });
    expect(camera.local).toEqual([camera.newId]);
    expect(camera.cameraId).toBe(camera.target);
    // bob receives on the same track (no new negotiation), and the picture keeps moving; so does
    // alice's own preview of her local stream.
    await videoFlowing(bob, 'alice', 20);
    await videoFlowing(alice, 'self');
    expect(await bob.evaluate(() => (window as any).dt.media.remoteStreams.get('alice').getVideoTracks()[0].id)).toBe(receivedBefore);
    await bob.screenshot({ path: `${ARTIFACTS}/bob-after-alice-switched-camera.png` });

    // The microphone: another fake input; bob still hears alice on the same track.
    const mic = await alice.evaluate(async (mics: { deviceId: string }[]) => {
      const media = (window as any).dt.media;
      const old: MediaStreamTrack = media.localStream.getAudioTracks()[0];
      const target = mics.find((m) => m.deviceId !== 'default' && m.deviceId !== media.microphoneId)!.deviceId;
      const track: MediaStreamTrack = await media.switchMicrophone(target);
      return {
        target,
        oldEnded: old.readyState === 'ended',
        live: track.readyState === 'live' && track.enabled,
        local: media.localStream.getAudioTracks().length,
        microphoneId: media.microphoneId,
        at: performance.now(),
      };
    }, devices.microphones);
    expect(mic).toMatchObject({ oldEnded: true, live: true, local: 1, microphoneId: mic.target });
    const bobNow = await bob.evaluate(() => performance.now());
    expect(await loud(bob, 'alice', bobNow)).toBeGreaterThan(0);
    expect(await loud(alice, 'alice', mic.at)).toBeGreaterThan(0);

    // The speaker: bob's player of alice's stream plays through the chosen output.
    // Device ids are per page context: bob lists his own.
    const { speakers } = await bob.evaluate(() => (window as any).dt.sdk.enumerateDevices());
    const speaker = speakers.find((d: { deviceId: string }) => d.deviceId !== 'default');
    const sink = await bob.evaluate(async (id: string) => {
      const media = (window as any).dt.media;
      const ok = await media.setSpeaker(id);
      const video = document.querySelector<HTMLVideoElement & { sinkId: string }>('video[data-user="alice"]')!;
      let refused = '';
      await media.setSpeaker('no-such-speaker').catch((e: Error) => (refused = e.message));
      return { ok, sinkId: video.sinkId, speakerId: media.speakerId, refused };
    }, speaker.deviceId);
    expect(sink).toEqual({
      ok: true,
      sinkId: speaker.deviceId,
      // A refused device changes nothing.
      speakerId: speaker.deviceId,
      refused: expect.stringContaining('cannot play through device "no-such-speaker"'),
    });
    // An element added later (kept out of the document) takes the chosen speaker.
    await bob.evaluate(() => {
      const dt = (window as any).dt;
      dt.spare = new Audio();
      dt.media.addOutput(dt.spare);
    });
    await bob.waitForFunction((id) => (window as any).dt.spare.sinkId === id, speaker.deviceId);
  }, 120_000);

  it('voice volume of both members and network quality arrive; measuring stops with the last listener', async () => {
    const { alice, bob } = await connect('Video', false);
    await videoFlowing(alice, 'bob');
    // The fake microphone beeps: alice hears bob's beeps and her own.
    expect(await loud(alice, 'bob')).toBeGreaterThan(0);
    expect(await loud(alice, 'alice')).toBeGreaterThan(0);
    // bob's page plays nothing of alice (as an engine playing audio its own way might): measured all the same.
    expect(await bob.evaluate(() => document.querySelectorAll('video:not([data-user="self"]), audio').length)).toBe(0);
    expect(await loud(bob, 'alice')).toBeGreaterThan(0);
    const volumes = await alice.evaluate(() => (window as any).dt.volumes as { userId: string; volume: number }[]);
    expect(volumes.every((v) => Number.isInteger(v.volume) && v.volume >= 0 && v.volume <= 100)).toBe(true);
    expect(new Set(volumes.map((v) => v.userId))).toEqual(new Set(['alice', 'bob']));

    // Network quality every 2 s by default; once connected, loopback is excellent to poor at worst:
    // each side's grade of the other, and of its own uplink (from the other's receiver reports).
    for (const [page, user] of [
      [alice, 'bob'],
      [bob, 'alice'],
      [alice, 'alice'],
      [bob, 'bob'],
    ] as const) {
      const q = await page.waitForFunction((u) => (window as any).dt.qualities.find((e: any) => e.userId === u && e.quality !== 0), user, {
        timeout: MEDIA_TIMEOUT,
        polling: 200,
      });
      const { quality } = (await q.jsonValue()) as { quality: number };
      expect(quality).toBeGreaterThanOrEqual(1);
      expect(quality).toBeLessThanOrEqual(3);
    }
    // Every 2 s by default.
    const at = await alice.waitForFunction(
      () => {
        const at = ((window as any).dt.qualities as { userId: string; at: number }[]).filter((e) => e.userId === 'bob').map((e) => e.at);
        return at.length >= 2 ? at : undefined;
      },
      undefined,
      { timeout: MEDIA_TIMEOUT, polling: 200 },
    );
    const [first, second] = (await at.jsonValue()) as number[];
    expect(second! - first!).toBeGreaterThan(1500);
    await alice.screenshot({ path: `${ARTIFACTS}/alice-measuring.png` });

    // Measuring runs only while listened to: the volume timer and audio context go with the last
    // volume listener, the network timer with stop().
    const running = await alice.evaluate(() => {
      const dt = (window as any).dt;
      return { intervals: dt.intervals.size, contexts: dt.contexts.map((c: AudioContext) => c.state) };
    });
    expect(running.intervals).toBe(2);
    expect(running.contexts).toEqual(['running']);
    await alice.evaluate(() => {
      const dt = (window as any).dt;
      dt.media.off('volume', dt.onVolume);
    });
    await alice.waitForFunction(() => (window as any).dt.contexts.every((c: AudioContext) => c.state === 'closed'));
    expect(await alice.evaluate(() => (window as any).dt.intervals.size)).toBe(1);
    await alice.evaluate(() => (window as any).dt.media.stop());
    expect(await alice.evaluate(() => (window as any).dt.intervals.size)).toBe(0);
  }, 120_000);

  it('an audio call switched to video shows video both ways, and again after going back to audio', async () => {
    const { alice, bob } = await connect('Audio');
    // Connected: each hears the other.
    expect(await loud(alice, 'bob')).toBeGreaterThan(0);
    expect(await loud(bob, 'alice')).toBeGreaterThan(0);
    for (const page of [alice, bob]) {
      expect(await page.evaluate(() => (window as any).dt.media.localStream.getVideoTracks().length)).toBe(0);
    }

    await alice.evaluate(() => (window as any).dt.client.switchMediaType({ mediaType: 'Video' }));
    await videoFlowing(bob, 'alice');
    await videoFlowing(alice, 'bob');
    for (const page of [alice, bob]) {
      expect(await page.evaluate(() => (window as any).dt.media.mediaType)).toBe('Video');
      expect(await page.evaluate(() => (window as any).dt.media.localStream.getVideoTracks().length)).toBe(1);
    }
    await alice.screenshot({ path: `${ARTIFACTS}/alice-audio-call-now-video.png` });
    await bob.screenshot({ path: `${ARTIFACTS}/bob-audio-call-now-video.png` });

    // Back to audio (cameras released), then video again, on the transceivers added the first time.
    await bob.evaluate(() => (window as any).dt.client.switchMediaType({ mediaType: 'Audio' }));
    for (const page of [alice, bob]) {
      await page.waitForFunction(() => (window as any).dt.media.localStream.getVideoTracks().length === 0);
    }
    await bob.evaluate(() => (window as any).dt.client.switchMediaType({ mediaType: 'Video' }));
    await videoFlowing(bob, 'alice');
    await videoFlowing(alice, 'bob');
    await bob.screenshot({ path: `${ARTIFACTS}/bob-video-again.png` });
  }, 120_000);

  it("the answerer's camera opens late: alice's video reaches bob at once, bob's follows when his camera opens", async () => {
    const { alice, bob } = await connect('Audio');
    expect(await loud(alice, 'bob')).toBeGreaterThan(0);
    // bob answers alice's offers; his camera opens only once alice's video already reaches him.
    await bob.evaluate(() => (window as any).dt.holdCamera());
    await alice.evaluate(() => (window as any).dt.client.switchMediaType({ mediaType: 'Video' }));
    await bob.waitForFunction(() => (window as any).dt.cameraWaiting);
    await videoFlowing(bob, 'alice');
    await bob.evaluate(() => (window as any).dt.releaseCamera());
    await videoFlowing(alice, 'bob');
    await videoFlowing(bob, 'alice');
    await alice.screenshot({ path: `${ARTIFACTS}/alice-after-bob-slow-camera.png` });
  }, 120_000);

  it("the offerer's camera opens late: bob's video reaches alice at once, alice's follows when her camera opens", async () => {
    const { alice, bob } = await connect('Audio');
    expect(await loud(bob, 'alice')).toBeGreaterThan(0);
    // alice offers to bob; bob's camera is ready first, and bob switches.
    await alice.evaluate(() => (window as any).dt.holdCamera());
    await bob.evaluate(() => (window as any).dt.client.switchMediaType({ mediaType: 'Video' }));
    await alice.waitForFunction(() => (window as any).dt.cameraWaiting);
    await videoFlowing(alice, 'bob');
    await alice.evaluate(() => (window as any).dt.releaseCamera());
    await videoFlowing(bob, 'alice');
    await videoFlowing(alice, 'bob');
    await bob.screenshot({ path: `${ARTIFACTS}/bob-after-alice-slow-camera.png` });
  }, 120_000);
});
