/**
 * The demo page's call state, through the UI: each of these was a bug. A double click on Accept
 * opens one camera; a refused dial closes the camera it opened; mute and camera-off end with their
 * call; a cancelled call stops both tones and is a missed call for the callee; group titles
 * follow who is in the call; signing out leaves the call and forgets the user.
 */
import { describe, expect, it } from 'vitest';
import { ARTIFACTS, dial, liveTracks, remoteVideosPlaying, signIn, startedCallId, useDemo } from '../helpers/demo.js';

const world = useDemo();

describe('demo page: call state', () => {
  it('a double click on Accept answers once: one camera, one connection', async () => {
    const alice = await signIn(world, 'alice');
    const bob = await signIn(world, 'bob', { trackMedia: true });
    await dial(alice, 'bob');
    await bob.waitForSelector('body[data-state=incoming]');
    await bob.dblclick('#accept');
    await remoteVideosPlaying(bob, 1);
    await remoteVideosPlaying(alice, 1);
    expect(await bob.evaluate(() => (window as unknown as { __gum: number }).__gum)).toBe(1);
    expect(await bob.locator('figure.remote').count()).toBe(1);
    expect(await world.h.callbacks(startedCallId(world), 2)).toEqual(['Start', 'MC:bob:Accept']);
    await bob.click('#hangup');
    await bob.waitForSelector('body[data-state=idle]');
    // Everything the page opened is closed again.
    await bob.waitForFunction(() =>
      (window as unknown as { __tracks: MediaStreamTrack[] }).__tracks.every((t) => t.readyState === 'ended'),
    );
  }, 90_000);

  it('a refused dial (yourself, a bad user id) closes the camera and microphone it opened', async () => {
    const alice = await signIn(world, 'alice', { trackMedia: true });
    await dial(alice, 'alice');
    await alice.waitForSelector('#status[data-kind=error]');
    expect(await alice.textContent('#status')).toBe("You can't call yourself.");
    expect(await liveTracks(alice)).toEqual([]);
    await dial(alice, ' bob, carol dave', 'Audio');
    await alice.waitForFunction(() => document.querySelector('#status')!.textContent!.startsWith('Check the user ids.'));
    expect(await liveTracks(alice)).toEqual([]);
    // Both dials opened their devices (video, then audio only) and closed them.
    expect(await alice.evaluate(() => (window as unknown as { __gum: number }).__gum)).toBe(2);
    expect(await alice.evaluate(() => (window as unknown as { __tracks: unknown[] }).__tracks.length)).toBe(3);
    expect(await alice.isVisible('body[data-state=idle]')).toBe(true);
  }, 60_000);

  it('mute and camera-off end with their call: the next call starts with both on, on both pages', async () => {
    const alice = await signIn(world, 'alice', { trackMedia: true });
    const bob = await signIn(world, 'bob');
    await dial(alice, 'bob');
    await bob.waitForSelector('body[data-state=incoming]');
    await bob.click('#accept');
    await remoteVideosPlaying(bob, 1);
    await alice.click('#mute');
    await alice.click('#camera');
    await bob.waitForSelector('figure.remote[data-user=alice].camera-off[data-microphone=off]');
    await alice.click('#hangup');
    await bob.waitForSelector('body[data-state=idle]');
    expect(await liveTracks(alice)).toEqual([]);

    await dial(alice, 'bob');
    // Already while it rings: the controls say microphone and camera are on.
    await alice.waitForSelector('body[data-state=outgoing]');
    expect(await alice.getAttribute('#mute', 'aria-pressed')).toBe('false');
    expect(await alice.textContent('#mute .label')).toBe('Mute');
    expect(await alice.getAttribute('#camera', 'aria-pressed')).toBe('false');
    expect(await alice.textContent('#camera .label')).toBe('Camera off');
    expect(await alice.isVisible('figure.local .avatar')).toBe(false);
    expect(await alice.isVisible('figure.local .badge.mic-off')).toBe(false);
    await bob.waitForSelector('body[data-state=incoming]');
    await bob.click('#accept');
    await remoteVideosPlaying(bob, 1);
    expect(await bob.isVisible('figure.remote[data-user=alice] .avatar')).toBe(false);
    expect(await bob.getAttribute('figure.remote[data-user=alice]', 'data-microphone')).toBe('on');
    // Her new tracks are on.
    expect(
      await alice.$eval('#local-video', (v) =>
        ((v as HTMLVideoElement).srcObject as MediaStream).getTracks().map((t) => `${t.kind}:${t.enabled}:${t.readyState}`),
      ),
    ).toEqual(expect.arrayContaining(['audio:true:live', 'video:true:live']));
    await bob.click('#hangup');
    await alice.waitForSelector('body[data-state=idle]');
  }, 120_000);

  it('a call cancelled while ringing: both tones stop, the callee sees a missed call', async () => {
    const alice = await signIn(world, 'alice');
    const bob = await signIn(world, 'bob');
    await dial(alice, 'bob', 'Audio');
    await alice.waitForSelector('body[data-tone=ringback]');
    await bob.waitForSelector('body[data-tone=ringtone]');
    await alice.click('#hangup');
    await alice.waitForSelector('body[data-state=idle]:not([data-tone])');
    expect(await alice.textContent('#status')).toBe('You cancelled the call');
    await bob.waitForSelector('body[data-state=idle]:not([data-tone])');
    expect(await bob.textContent('#status')).toBe('Missed call from alice');
    await bob.waitForSelector('#recent-list li.missed:first-child .result:has-text("Missed")');
    await alice.waitForSelector('#recent-list li:first-child .result:has-text("Cancelled")');
  }, 60_000);

  it('a group call: a grid, and titles that follow members joining and leaving', async () => {
    const alice = await signIn(world, 'alice');
    const bob = await signIn(world, 'bob');
    const carol = await signIn(world, 'carol');
    await dial(alice, 'bob, carol');
    await bob.waitForSelector('body[data-state=incoming]');
    expect(await bob.textContent('#incoming-from')).toBe('alice, with carol');
    await bob.click('#accept');
    await alice.waitForSelector('body[data-state=incall]');
    // carol is still ringing: her tile says so.
    expect(await alice.isVisible('figure.remote.waiting[data-user=carol]')).toBe(true);
    expect(await alice.textContent('#call-title')).toBe('Video call with bob, carol');
    await carol.waitForSelector('body[data-state=incoming]');
    await carol.click('#accept');
    for (const page of [alice, bob, carol]) await remoteVideosPlaying(page, 2);
    for (const page of [alice, bob, carol]) expect(await page.getAttribute('#tiles', 'data-layout')).toBe('grid');
    expect(await carol.textContent('#call-title')).toBe('Video call with alice, bob');
    await carol.screenshot({ path: `${ARTIFACTS}/demo-group-grid.png` });

    await carol.click('#hangup');
    await alice.waitForFunction(() => document.querySelector('#call-title')!.textContent === 'Video call with bob');
    await bob.waitForFunction(() => document.querySelector('#call-title')!.textContent === 'Video call with alice');
    expect(await alice.textContent('#status')).toBe('carol left');
    expect(await alice.getAttribute('#tiles', 'data-layout')).toBe('pip');
    expect(await alice.locator('figure.remote').count()).toBe(1);
    await alice.click('#hangup');
    await bob.waitForSelector('body[data-state=idle]');
  }, 120_000);

  it('sign out: leaves the call, forgets the user (a reload stays signed out), back to sign-in', async () => {
    const alice = await signIn(world, 'alice');
    const bob = await signIn(world, 'bob');
    await dial(alice, 'bob', 'Audio');
    await bob.waitForSelector('body[data-state=incoming]');
    await bob.click('#accept');
    await alice.waitForSelector('body[data-state=incall]');
    await alice.click('#signout');
    await alice.waitForSelector('body[data-state=signed-out]:not([data-tone])');
    expect(await alice.textContent('#status')).toBe('You signed out.');
    expect(await alice.evaluate(() => sessionStorage.getItem('dialtone-user'))).toBeNull();
    expect(await alice.textContent('#recent-list')).toBe('');
    await bob.waitForSelector('body[data-state=idle]');
    expect(await bob.textContent('#status')).toMatch(/^Call ended by alice/);
    await alice.reload();
    await alice.waitForSelector('body[data-state=signed-out]');
    expect(await alice.isVisible('#signin')).toBe(true);
  }, 60_000);
});
