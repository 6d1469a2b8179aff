/**
 * Tencent's call UI on Dialtone, scenario (g): a connected video call switched to audio with the
 * example's "Switch to audio" button (`TUICallKitServer.switchCallMediaType()`; the UI 4.0 has no
 * button of its own). Both pages show the audio view; the record and the EndCall say `Audio`.
 */
import { describe, expect, it } from 'vitest';
import { ARTIFACTS, button, idle, startedCallId, status, useTuiCallKit, videoPlaying } from './helpers.js';

const ui = useTuiCallKit();

/** Whether the page draws any video in its call view. */
async function showsVideo(page: import('playwright-core').Page): Promise<boolean> {
  return (await page.locator('#tuicallkit-id video:visible').count()) > 0;
}

describe("Tencent's call UI on Dialtone: switching a video call to audio", () => {
  it('alice and bob in a video call, alice switches to audio: both show the audio view, the call is recorded Audio', async () => {
    const alice = await ui.signIn('alice');
    const bob = await ui.signIn('bob');
    await alice.fill('#callees', 'bob');
    await alice.click('#video-call');
    await button(bob, 'Accept').click();
    await videoPlaying(alice, 'bob');
    await videoPlaying(bob, 'alice');
    await alice.screenshot({ path: `${ARTIFACTS}/switch-1-alice-video.png` });
    await alice.click('#to-audio');
    // Only the side that switched gets `statusChanged` (docs/TUICALLKIT.md); the other one's view changes.
    await status(alice, 'calling-c2c-audio');
    await expect.poll(() => showsVideo(alice), { timeout: 15_000 }).toBe(false);
    await expect.poll(() => showsVideo(bob), { timeout: 15_000 }).toBe(false);
    expect(await alice.locator('#message').count()).toBe(0);
    await alice.screenshot({ path: `${ARTIFACTS}/switch-2-alice-audio.png` });
    await bob.screenshot({ path: `${ARTIFACTS}/switch-2-bob-audio.png` });
    await button(alice, 'Hang up').click();
    await idle(alice);
    await idle(bob);

    const callId = await startedCallId(ui.h);
    expect(await ui.h.ended(callId)).toEqual(['Start', 'MC:bob:Accept', 'MC:alice:Hangup', 'End:NormalEnd']);
    expect((await ui.h.record(callId)).MediaType).toBe('Audio');
    const end = ui.h.callbacksOf(callId).find((r) => r.query.get('CallbackCommand') === 'Call.CallbackAfterEndCall')!;
    expect((end.body.CallRecord as { MediaType: string }).MediaType).toBe('Audio');
  }, 120_000);
});
