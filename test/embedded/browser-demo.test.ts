/**
 * The demo page end to end in headless Chromium (Debian's, at /usr/bin/chromium) with fake
 * camera and microphone: people really call each other, with real WebRTC media between pages.
 * Screenshots of the in-call view are saved under test-results/.
 */
import type { Page } from 'playwright-core';
import { beforeEach, describe, expect, it } from 'vitest';
import { Harness } from '../helpers/harness.js';
import { ARTIFACTS, dial, remoteVideosPlaying, signIn as signInAs, useDemo } from '../helpers/demo.js';

const world = useDemo();
const signIn = (userId: string) => signInAs(world, userId);
/** The current test's harness (the world's, set before each test). */
let h: Harness;
beforeEach(() => {
  h = world.h;
});

describe('demo page', () => {
  it('alice video-calls bob, bob accepts, both see each other, alice hangs up', async () => {
    const alice = await signIn('alice');
    const bob = await signIn('bob');
    await dial(alice, 'bob');
    await bob.waitForSelector('body[data-state=incoming]');
    expect(await bob.textContent('#incoming-from')).toContain('alice');
    await bob.click('#accept');
    await remoteVideosPlaying(alice, 1);
    await remoteVideosPlaying(bob, 1);
    await alice.screenshot({ path: `${ARTIFACTS}/alice-in-call.png` });
    await bob.screenshot({ path: `${ARTIFACTS}/bob-in-call.png` });
    await alice.click('#hangup');
    await alice.waitForSelector('body[data-state=idle]');
    await bob.waitForSelector('body[data-state=idle]');
    expect(await bob.textContent('#status')).toContain('Call ended by alice');
    const callId = h.receiver.received.find((r) => r.query.get('CallbackCommand') === 'Call.CallbackAfterStartCall')!.body.CallInfo as {
      CallId: string;
    };
    expect(await h.ended(callId.CallId)).toEqual(['Start', 'MC:bob:Accept', 'MC:alice:Hangup', 'End:NormalEnd']);
    // The call is first in bob's recent calls, from the server's records.
    await bob.waitForSelector(`#recent-list li:first-child[data-call-id="${callId.CallId}"]`);
    expect(await bob.textContent('#recent-list li:first-child .who')).toBe('alice');
  }, 60_000);

  it("alice's camera goes off and on: bob sees her avatar, then her video; switched to audio, both pages show the audio call", async () => {
    const alice = await signIn('alice');
    const bob = await signIn('bob');
    await dial(alice, 'bob');
    await bob.waitForSelector('body[data-state=incoming]');
    await bob.click('#accept');
    await remoteVideosPlaying(alice, 1);
    await remoteVideosPlaying(bob, 1);
    const aliceTile = 'figure.remote[data-user="alice"]';
    expect(await bob.isVisible(`${aliceTile} .avatar`)).toBe(false);

    await alice.click('#camera');
    await bob.waitForSelector(`${aliceTile}.camera-off .avatar`, { state: 'visible' });
    expect(await bob.textContent(`${aliceTile} .avatar .initial`)).toBe('A');
    expect(await bob.textContent(`${aliceTile} .avatar .name`)).toBe('alice');
    // Not a black video under it: the video is hidden while the avatar shows.
    expect(await bob.$eval(`${aliceTile} video`, (v) => getComputedStyle(v).visibility)).toBe('hidden');
    // alice's own camera is really off, and her own tile says so.
    expect(
      await alice.$eval('#local-video', (v) => (v as HTMLVideoElement & { srcObject: MediaStream }).srcObject.getVideoTracks()[0]!.enabled),
    ).toBe(false);
    expect(await alice.isVisible('figure.local .avatar')).toBe(true);
    await bob.screenshot({ path: `${ARTIFACTS}/bob-sees-alice-camera-off.png` });

    await alice.click('#camera');
    await bob.waitForSelector(`${aliceTile}:not(.camera-off) video`, { state: 'visible' });
    expect(await bob.isVisible(`${aliceTile} .avatar`)).toBe(false);

    // The switch is offered in a connected 1-to-1 video call; either side may use it.
    expect(await bob.isVisible('#switch-audio')).toBe(true);
    await alice.click('#switch-audio');
    for (const page of [alice, bob]) {
      await page.waitForSelector('body[data-media=Audio]');
      expect(await page.textContent('#call-title')).toContain('Audio call');
      expect(await page.textContent('#status')).toContain('Switched to an audio call');
      expect(await page.isVisible('#switch-audio')).toBe(false);
      expect(await page.isVisible('#camera')).toBe(false);
      expect(await page.isVisible('figure.remote .avatar')).toBe(true);
    }
    // alice's camera is released.
    await alice.waitForFunction(
      () =>
        (document.querySelector('#local-video') as HTMLVideoElement & { srcObject: MediaStream }).srcObject.getVideoTracks().length === 0,
    );
    await alice.screenshot({ path: `${ARTIFACTS}/alice-switched-to-audio.png` });

    await bob.click('#hangup');
    await alice.waitForSelector('body[data-state=idle]');
    const callId = (h.receiver.ofCommand('Call.CallbackAfterStartCall')[0]!.body.CallInfo as { CallId: string }).CallId;
    expect(await h.ended(callId)).toEqual(['Start', 'MC:bob:Accept', 'MC:bob:Hangup', 'End:NormalEnd']);
    expect(await h.record(callId)).toMatchObject({ MediaType: 'Audio', CallResult: 'NormalEnd' });
  }, 90_000);

  it('an audio call switched to video: both pages then see each other, the call is recorded Video', async () => {
    const alice = await signIn('alice');
    const bob = await signIn('bob');
    await dial(alice, 'bob', 'Audio');
    await bob.waitForSelector('body[data-state=incoming]');
    await bob.click('#accept');
    for (const page of [alice, bob]) await page.waitForSelector('#switch-video', { state: 'visible', timeout: 40_000 });
    expect(await alice.isVisible('#switch-audio')).toBe(false);

    await bob.click('#switch-video');
    for (const page of [alice, bob]) {
      await page.waitForSelector('body[data-media=Video]');
      expect(await page.textContent('#call-title')).toContain('Video call');
      expect(await page.isVisible('#switch-video')).toBe(false);
    }
    // The connections began without video: renegotiated, each side's camera reaches the other.
    await remoteVideosPlaying(alice, 1);
    await remoteVideosPlaying(bob, 1);
    expect(
      await alice.$eval('#local-video', (v) => (v as HTMLVideoElement & { srcObject: MediaStream }).srcObject.getVideoTracks().length),
    ).toBe(1);
    await bob.screenshot({ path: `${ARTIFACTS}/bob-switched-to-video.png` });

    await alice.click('#hangup');
    await bob.waitForSelector('body[data-state=idle]');
    const callId = (h.receiver.ofCommand('Call.CallbackAfterStartCall')[0]!.body.CallInfo as { CallId: string }).CallId;
    expect(await h.record(callId)).toMatchObject({ MediaType: 'Video', CallResult: 'NormalEnd' });
  }, 90_000);

  it("bob declines: alice is told, and bob's own page says he declined (not a missed call)", async () => {
    const alice = await signIn('alice');
    const bob = await signIn('bob');
    await dial(alice, 'bob', 'Audio');
    await bob.waitForSelector('body[data-state=incoming]');
    await bob.click('#reject');
    await alice.waitForSelector('body[data-state=idle]');
    expect(await alice.textContent('#status')).toBe('bob declined the call');
    await bob.waitForSelector('body[data-state=idle]:not([data-tone])');
    expect(await bob.textContent('#status')).toBe('You declined the call');
    expect(await bob.getAttribute('#status', 'data-kind')).toBe('info');
    await bob.waitForSelector('#recent-list li:first-child .result:has-text("You declined")');
    await alice.waitForSelector('#recent-list li:first-child .result:has-text("Declined")');
  }, 60_000);

  it('nobody answers: alice is told when the ring times out', async () => {
    const alice = await signIn('alice');
    const bob = await signIn('bob');
    await dial(alice, 'bob');
    await bob.waitForSelector('body[data-state=incoming]');
    await h.advance(30_000);
    await alice.waitForSelector('body[data-state=idle]');
    expect(await alice.textContent('#status')).toContain('No answer from bob');
    await bob.waitForSelector('body[data-state=idle]:not([data-tone])');
    expect(await bob.textContent('#status')).toBe('Missed call from alice');
  }, 60_000);

  it('outside dev mode the dev sign-in endpoint answers 403 with the envelope, and there is no demo', async () => {
    const prod = await Harness.create();
    try {
      const res = await fetch(`${prod.t.url}/dev/usersig?userId=alice`);
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({
        ActionStatus: 'FAIL',
        ErrorCode: expect.any(Number),
        ErrorInfo: expect.stringContaining('dev mode'),
      });
      expect((await fetch(`${prod.t.url}/demo`)).status).toBe(404);
    } finally {
      await prod.close();
    }
  });
});

/** The id of the stream the page shows for `userId`, once it plays real frames (other than `unlike`). */
async function playingStreamOf(page: Page, userId: string, unlike = '', timeout = 40_000): Promise<string> {
  const id = await page.waitForFunction(
    ([user, old]) => {
      const v = document.querySelector<HTMLVideoElement>(`figure.remote[data-user="${user}"] video`);
      const stream = v?.srcObject as MediaStream | null | undefined;
      return v && stream && stream.id !== old && v.readyState >= 2 && v.videoWidth > 0 ? stream.id : undefined;
    },
    [userId, unlike] as const,
    { timeout },
  );
  return (await id.jsonValue()) as string;
}

describe('demo page: recovery', () => {
  it('bob reloads mid-call: his page comes back into the call, video flows both ways again, one record', async () => {
    const alice = await signIn('alice');
    const bob = await signIn('bob');
    await dial(alice, 'bob');
    await bob.waitForSelector('body[data-state=incoming]');
    await bob.click('#accept');
    const before = await playingStreamOf(alice, 'bob');
    await playingStreamOf(bob, 'alice');

    await bob.reload();
    // Signed in again by itself (same tab, same device), straight back into the call.
    await bob.waitForSelector('body[data-state=incall]', { timeout: 15_000 });
    expect(await bob.textContent('#status')).toContain('Back in the call');
    // Each side gets the other's video on a new connection, within seconds (about 2 s here; the
    // deadline leaves room for a loaded machine).
    await playingStreamOf(alice, 'bob', before, 15_000);
    await playingStreamOf(bob, 'alice', '', 15_000);
    await bob.screenshot({ path: `${ARTIFACTS}/bob-after-reload.png` });
    // Past the leave grace: the reload did not end anything.
    await h.advance(5_000);
    const callId = (h.receiver.ofCommand('Call.CallbackAfterStartCall')[0]!.body.CallInfo as { CallId: string }).CallId;
    expect(h.summary(callId)).toEqual(['Start', 'MC:bob:Accept']);

    await alice.click('#hangup');
    await bob.waitForSelector('body[data-state=idle]');
    expect(await h.ended(callId)).toEqual(['Start', 'MC:bob:Accept', 'MC:alice:Hangup', 'End:NormalEnd']);
    expect(h.receiver.ofCommand('Call.CallbackAfterEndCall')).toHaveLength(1);
  }, 120_000);

  it("bob closes his page mid-call: alice's call ends after the 3 s leave grace, not the 30 s expiry", async () => {
    const alice = await signIn('alice');
    const bob = await signIn('bob');
    await dial(alice, 'bob');
    await bob.waitForSelector('body[data-state=incoming]');
    await bob.click('#accept');
    await remoteVideosPlaying(alice, 1);
    await bob.close();
    // The close is handled asynchronously: the clock moves a second at a time until alice is idle.
    let moved = 0;
    for (let idle = false; !idle;) {
      if (moved >= 10_000) throw new Error("alice's call did not end within 10 s of the clock");
      await h.advance(1_000);
      moved += 1_000;
      idle = await alice.waitForSelector('body[data-state=idle]', { timeout: 1_000 }).then(
        () => true,
        () => false,
      );
    }
    expect(moved).toBeGreaterThanOrEqual(3_000);
    expect(moved).toBeLessThanOrEqual(5_000);
    expect(await alice.textContent('#status')).toContain('Call ended by bob');
    const callId = (h.receiver.ofCommand('Call.CallbackAfterStartCall')[0]!.body.CallInfo as { CallId: string }).CallId;
    expect(await h.ended(callId)).toEqual(['Start', 'MC:bob:Accept', 'MC:bob:Hangup', 'End:NormalEnd']);
  }, 90_000);
});
