/**
 * Tencent's call UI on Dialtone, scenario (f): in a connected video call the caller turns her
 * camera off with the UI's camera button; the callee's page then shows her avatar and name
 * instead of her video, and her video again once she turns the camera back on.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { aliceCallsBob, ARTIFACTS, button, idle, startedCallId, useTuiCallKit, videoPlaying } from './helpers.js';

const ui = useTuiCallKit();

/**
 * The UI's avatar card over the view of `userId` (the UI names views by user id), drawn instead of
 * the video while that user's video is off: her avatar, blurred, as the view's background.
 */
function avatarOver(page: Page, userId: string) {
  return page.locator(`[id="${userId}"] .overlay-stream-container`);
}

describe("Tencent's call UI on Dialtone: a camera turned off and on", () => {
  it('alice turns her camera off: bob sees her avatar instead of her video; on again: her video', async () => {
    const { alice, bob } = await aliceCallsBob(ui, 'video');
    await avatarOver(bob, 'alice').waitFor({ state: 'hidden', timeout: 15_000 });
    await bob.screenshot({ path: `${ARTIFACTS}/camera-1-bob-sees-video.png` });

    await button(alice, 'Camera').click();
    await avatarOver(bob, 'alice').waitFor({ timeout: 15_000 });
    // Alice's own view shows her avatar too; bob's camera is still on.
    await avatarOver(alice, 'localVideo').waitFor({ timeout: 15_000 });
    expect(await avatarOver(bob, 'localVideo').isVisible()).toBe(false);
    await alice.screenshot({ path: `${ARTIFACTS}/camera-2-alice-camera-off.png` });
    await bob.screenshot({ path: `${ARTIFACTS}/camera-2-bob-sees-avatar.png` });

    await button(alice, 'Camera').click();
    await avatarOver(bob, 'alice').waitFor({ state: 'hidden', timeout: 15_000 });
    await videoPlaying(bob, 'alice');
    await bob.screenshot({ path: `${ARTIFACTS}/camera-3-bob-sees-video.png` });

    await button(bob, 'Hang up').click();
    await idle(alice);
    await idle(bob);
    const callId = await startedCallId(ui.h);
    // Turning the camera off and on is no member change: the server's callbacks are those of a plain call.
    expect(await ui.h.ended(callId)).toEqual(['Start', 'MC:bob:Accept', 'MC:bob:Hangup', 'End:NormalEnd']);
    expect((await ui.h.record(callId)).MediaType).toBe('Video');
  }, 120_000);
});
