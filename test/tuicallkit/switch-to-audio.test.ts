/**
 * Tencent's call UI on Dialtone, scenario (g): a connected video call switched to audio with the
 * example's "Switch to audio" button (`TUICallKitServer.switchCallMediaType()`; the UI 4.0 has no
 * button of its own). Both pages show the audio view; the record and the EndCall say `Audio`.
 */
import { describe, expect, it } from 'vitest';
import { aliceCallsBob, ARTIFACTS, button, idle, startedCallId, status, useTuiCallKit } from './helpers.js';

const ui = useTuiCallKit();

describe("Tencent's call UI on Dialtone: switching a video call to audio", () => {
  it('alice and bob in a video call, alice switches to audio: both show the audio view, the call is recorded Audio', async () => {
    const { alice, bob } = await aliceCallsBob(ui, 'video');
    for (const page of [alice, bob]) await button(page, 'Camera').waitFor();
    await alice.screenshot({ path: `${ARTIFACTS}/switch-1-alice-video.png` });
    await alice.click('#to-audio');
    // Only the side that switched gets `statusChanged` (docs/TUICALLKIT.md); the other one's view changes.
    await status(alice, 'calling-c2c-audio');
    // The audio view on both pages: the avatar over the (now unused) video and no camera button.
    for (const page of [alice, bob]) {
      await button(page, 'Camera').waitFor({ state: 'detached', timeout: 15_000 });
      await button(page, 'Hang up').waitFor();
    }
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
