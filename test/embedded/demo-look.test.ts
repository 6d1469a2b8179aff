/**
 * What the demo page shows in each state, asserted and photographed (test-results/browser/demo-*.png):
 * signed out, idle with recent calls, outgoing (ringback, countdown), incoming (ringtone,
 * countdown, on a phone), a 1-to-1 video call (large remote tile, mirrored picture-in-picture,
 * timer), the other side muted and camera off, ended, an audio call with avatars, an error
 * sentence. No page asks anything of another host.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { ARTIFACTS, PHONE, dial, openDemo, remoteVideosPlaying, signIn, useDemo } from '../helpers/demo.js';

const world = useDemo();

const shot = (page: Page, name: string) => page.screenshot({ path: `${ARTIFACTS}/demo-${name}.png` });

/** Whether the page is wider than its viewport (something sticks out sideways). */
const overflows = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);

describe('demo page: the look of each state', () => {
  it('signed out, then idle with the recent calls the server recorded, in words', async () => {
    const { h } = world;
    // Three calls of alice's before she opens the page: talked 1 min 5 s, missed, declined.
    const alice = await h.user('alice');
    const bob = await h.user('bob');
    const carol = await h.user('carol');
    const dave = await h.user('dave');
    const talked = await h.call(alice, ['bob']);
    await h.op(bob, 'accept', { callId: talked });
    await h.advance(65_000);
    await h.op(bob, 'hangup', { callId: talked });
    const missed = await h.call(carol, ['alice'], { mediaType: 'Audio' });
    await h.advance(30_000);
    await h.ended(missed);
    const declined = await h.call(alice, ['dave']);
    await h.op(dave, 'reject', { callId: declined });
    await h.ended(declined);

    const page = await openDemo(world);
    expect(await page.isVisible('#signin')).toBe(true);
    expect(await page.isVisible('#signout')).toBe(false);
    expect(await page.isVisible('#recent')).toBe(false);
    await shot(page, 'signed-out');

    // A user id the server would refuse: a sentence, and still the sign-in screen.
    await page.fill('#userid', 'alice smith');
    await page.press('#userid', 'Enter');
    await page.waitForSelector('#status[data-kind=error]');
    expect(await page.textContent('#status')).toBe('A user id is 1 to 64 characters, with no spaces or commas.');
    expect(await page.isVisible('#signin')).toBe(true);

    await page.fill('#userid', 'alice');
    await page.press('#userid', 'Enter');
    await page.waitForSelector('#recent-list li:nth-child(3)');
    expect(await page.textContent('#me')).toBe('alice');
    expect(await page.isVisible('#signout')).toBe(true);
    const items = await page.$$eval('#recent-list li', (lis) =>
      lis.map((li) => ({
        id: (li as HTMLElement).dataset.callId,
        who: li.querySelector('.who')!.textContent,
        meta: li.querySelector('.meta')!.textContent,
        result: li.querySelector('.result')!.textContent,
      })),
    );
    expect(items.map((i) => i.id)).toEqual([declined, missed, talked]);
    expect(items[0]).toMatchObject({ who: 'dave', result: 'Declined', meta: expect.stringMatching(/^↗ Outgoing video call · Today at /) });
    expect(items[1]).toMatchObject({ who: 'carol', result: 'Missed', meta: expect.stringContaining('Incoming audio call') });
    // 65 s on the test clock; the record keeps whole seconds of answer and end, so 65 or 66.
    const record = await h.record(talked);
    const talkedSeconds = record.EndTime - record.AcceptTime;
    expect([65, 66]).toContain(talkedSeconds);
    expect(items[2]).toMatchObject({
      who: 'bob',
      result: `1 min ${talkedSeconds - 60} s`,
      meta: expect.stringContaining('Outgoing video call'),
    });
    expect(await page.$eval('#recent-list li:nth-child(2)', (li) => li.classList.contains('missed'))).toBe(true);
    // Typing a name and pressing Enter dials: the keyboard is enough.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('callees');
    await shot(page, 'idle-recent-calls');
    expect(world.external).toEqual([]);
  }, 60_000);

  it('outgoing, incoming (on a phone), in a call with picture-in-picture, the other side muted and camera off, ended', async () => {
    const alice = await signIn(world, 'alice');
    const bob = await signIn(world, 'bob', { viewport: PHONE });
    await dial(alice, 'bob');

    // Outgoing: ringback, a countdown from the call's 30 s, bob's avatar ringing.
    await alice.waitForSelector('body[data-state=outgoing][data-tone=ringback]');
    await alice.waitForFunction(() => /^Ringing… (30|29|28) s$/.test(document.querySelector('#call-countdown')!.textContent ?? ''));
    expect(await alice.isVisible('figure.remote.waiting[data-user=bob] .avatar')).toBe(true);
    expect(await alice.textContent('figure.remote[data-user=bob] .waiting-label')).toBe('Ringing…');
    expect(await alice.textContent('#call-title')).toBe('Video call with bob');
    await shot(alice, 'outgoing');

    // Incoming, on a phone: ringtone, who, a countdown, answer buttons; nothing sticks out sideways.
    await bob.waitForSelector('body[data-state=incoming][data-tone=ringtone]');
    expect(await bob.textContent('#incoming-from')).toBe('alice');
    expect(await bob.textContent('#incoming-media')).toBe('video');
    expect(await bob.textContent('#incoming-countdown')).toMatch(/^Ringing · \d+ s$/);
    expect(await bob.evaluate(() => document.activeElement?.id)).toBe('accept');
    expect(await overflows(bob)).toBe(false);
    await shot(bob, 'incoming-phone');

    // Answered from the keyboard: Accept has the focus.
    await bob.keyboard.press('Enter');
    await remoteVideosPlaying(alice, 1);
    await remoteVideosPlaying(bob, 1);
    // The tones stop on both sides, and the timer runs from the call's acceptTime.
    for (const page of [alice, bob]) {
      await page.waitForSelector('body[data-state=incall]:not([data-tone])');
      await page.waitForFunction(() => /^0:0\d$/.test(document.querySelector('#call-timer')!.textContent ?? ''));
    }
    // A large remote tile with this user's mirrored picture in a corner, inside it.
    expect(await alice.getAttribute('#tiles', 'data-layout')).toBe('pip');
    const remote = (await alice.locator('figure.remote').boundingBox())!;
    const local = (await alice.locator('figure.local').boundingBox())!;
    expect(local.width * local.height).toBeLessThan((remote.width * remote.height) / 4);
    expect(local.x).toBeGreaterThan(remote.x);
    expect(local.x + local.width).toBeLessThanOrEqual(remote.x + remote.width);
    expect(local.y + local.height).toBeLessThanOrEqual(remote.y + remote.height);
    expect(await alice.$eval('#local-video', (v) => getComputedStyle(v).transform)).toBe('matrix(-1, 0, 0, 1, 0, 0)');
    expect(await overflows(bob)).toBe(false);
    await shot(alice, 'in-call-pip');
    await shot(bob, 'in-call-phone');

    // alice mutes and turns her camera off: bob's tile of her says both.
    await alice.click('#mute');
    await alice.click('#camera');
    const aliceTile = 'figure.remote[data-user=alice]';
    await bob.waitForSelector(`${aliceTile}[data-microphone=off] .badge.mic-off`, { state: 'visible' });
    await bob.waitForSelector(`${aliceTile}.camera-off .avatar`, { state: 'visible' });
    expect(await bob.isVisible(`${aliceTile} .badge.cam-off`)).toBe(true);
    expect(await alice.getAttribute('#mute', 'aria-pressed')).toBe('true');
    expect(await alice.textContent('#mute .label')).toBe('Unmute');
    expect(await alice.isVisible('figure.local .badge.mic-off')).toBe(true);
    await shot(bob, 'camera-off-phone');
    await shot(alice, 'camera-off-self');

    await alice.click('#hangup');
    await bob.waitForSelector('body[data-state=idle]:not([data-tone])');
    expect(await bob.textContent('#status')).toMatch(/^Call ended by alice · 0:\d\d$/);
    expect(await alice.textContent('#status')).toMatch(/^You hung up · 0:\d\d$/);
    // The call just ended is first in both lists.
    for (const page of [alice, bob]) {
      await page.waitForFunction(() =>
        /^\d+ seconds?$/.test(document.querySelector('#recent-list li:first-child .result')?.textContent ?? ''),
      );
    }
    expect(await bob.textContent('#recent-list li:first-child .who')).toBe('alice');
    await shot(bob, 'ended-phone');
    expect(world.external).toEqual([]);
  }, 120_000);

  it('an audio call: avatars with initials on both tiles, no camera button', async () => {
    const alice = await signIn(world, 'alice');
    const bob = await signIn(world, 'bob');
    await dial(alice, 'bob', 'Audio');
    await bob.waitForSelector('body[data-state=incoming]');
    expect(await bob.textContent('#incoming-media')).toBe('audio');
    await bob.click('#accept');
    for (const page of [alice, bob]) {
      await page.waitForSelector('body[data-state=incall][data-media=Audio]');
      await page.waitForSelector('figure.remote .avatar .initial', { state: 'visible' });
      expect(await page.isVisible('figure.local .avatar .initial')).toBe(true);
      expect(await page.isVisible('#camera')).toBe(false);
      expect(await page.textContent('#call-title')).toContain('Audio call with');
    }
    expect(await alice.textContent('figure.remote .avatar .initial')).toBe('B');
    await shot(alice, 'audio-call');
    await bob.click('#hangup');
    await alice.waitForSelector('body[data-state=idle]');
  }, 90_000);

  it("an error as a sentence, never the server's validation text", async () => {
    const alice = await signIn(world, 'alice');
    await dial(alice, 'alice');
    await alice.waitForSelector('#status[data-kind=error]');
    expect(await alice.textContent('#status')).toBe("You can't call yourself.");
    await dial(alice, 'bob carol');
    await alice.waitForFunction(() => document.querySelector('#status')!.textContent!.startsWith('Check the user ids.'));
    expect(await alice.textContent('#status')).toBe(
      'Check the user ids. A user id is 1 to 64 characters, with no spaces or commas. Separate several with commas.',
    );
    expect(await alice.isVisible('body[data-state=idle]')).toBe(true);
    await shot(alice, 'error');
  }, 60_000);
});
