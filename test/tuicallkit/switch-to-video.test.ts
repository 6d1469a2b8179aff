/**
 * Tencent's call UI on Dialtone: a connected audio call switched to video with the example's
 * "Switch to video" button (the engine's `switchCallMediaType(2)`; the UI 4.0 has no button for
 * it and does not switch to video itself). The connections began without video, so `CallMedia`
 * renegotiates; both pages then show both videos, the UI's own view as camera on (the example
 * opens it through the UI on `CALL_TYPE_CHANGED`), and the record and EndCall say `Video`.
 */
import { describe, expect, it } from 'vitest';
import { aliceCallsBob, ARTIFACTS, button, idle, startedCallId, status, useTuiCallKit, videoPlaying } from './helpers.js';

const ui = useTuiCallKit();

describe("Tencent's call UI on Dialtone: switching an audio call to video", () => {
  it('alice and bob in an audio call, alice switches to video: both see both videos, the call is recorded Video', async () => {
    const { alice, bob } = await aliceCallsBob(ui, 'audio');
    expect(await button(alice, 'Camera').count()).toBe(0);
    await alice.screenshot({ path: `${ARTIFACTS}/to-video-1-alice-audio.png` });

    await alice.click('#to-video');
    // Each page: the other's video (renegotiated) and its own camera in the UI's local view.
    await videoPlaying(alice, 'bob');
    await videoPlaying(bob, 'alice');
    await videoPlaying(alice, 'localVideo');
    await videoPlaying(bob, 'localVideo');
    // The example opens the camera through the UI on the change, so the UI's own view is not its
    // "camera off" avatar on either page.
    for (const page of [alice, bob]) {
      await page.locator('[id="localVideo"] .overlay-stream-container').waitFor({ state: 'hidden', timeout: 15_000 });
      await button(page, 'Camera').waitFor({ timeout: 15_000 });
      await status(page, 'calling-c2c-video');
    }
    expect(await alice.locator('#message').count()).toBe(0);
    await alice.screenshot({ path: `${ARTIFACTS}/to-video-2-alice-video.png` });
    await bob.screenshot({ path: `${ARTIFACTS}/to-video-2-bob-video.png` });

    await button(bob, 'Hang up').click();
    await idle(alice);
    await idle(bob);
    const callId = await startedCallId(ui.h);
    expect(await ui.h.ended(callId)).toEqual(['Start', 'MC:bob:Accept', 'MC:bob:Hangup', 'End:NormalEnd']);
    expect((await ui.h.record(callId)).MediaType).toBe('Video');
    const end = ui.h.callbacksOf(callId).find((r) => r.query.get('CallbackCommand') === 'Call.CallbackAfterEndCall')!;
    expect((end.body.CallRecord as { MediaType: string }).MediaType).toBe('Video');
  }, 120_000);
});
