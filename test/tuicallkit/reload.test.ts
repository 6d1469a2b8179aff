/**
 * Tencent's call UI on Dialtone: bob's page reloads in a connected video call. The UI can enter a
 * call only by answering it, so the engine rings the call on his page again; Accept puts him back
 * in it (the others connect to his new page), and both see each other again. No member change:
 * one call, one record.
 */
import { describe, expect, it } from 'vitest';
import { aliceCallsBob, ARTIFACTS, button, idle, startedCallId, useTuiCallKit, videoPlaying } from './helpers.js';

const ui = useTuiCallKit();

describe("Tencent's call UI on Dialtone: a reload mid-call", () => {
  it('bob reloads and signs in again: the call rings on his page, Accept brings him back, video flows both ways', async () => {
    const { alice, bob } = await aliceCallsBob(ui, 'video');
    await ui.reloadAndSignIn(bob, 'bob');
    await button(bob, 'Accept').waitFor({ timeout: 15_000 });
    expect(await bob.textContent('#tuicallkit-id')).toContain('alice');
    await bob.screenshot({ path: `${ARTIFACTS}/reload-1-bob-rings-again.png` });
    await button(bob, 'Accept').click();
    await videoPlaying(bob, 'alice');
    await videoPlaying(bob, 'localVideo');
    // alice's view of bob plays his new page's video (a new stream on a new connection).
    await alice.waitForFunction(
      () => {
        const v = document.getElementById('bob')?.querySelector('video');
        const track = (v?.srcObject as MediaStream | null)?.getVideoTracks()[0];
        return !!v && !!track && track.readyState === 'live' && v.readyState >= 2 && v.videoWidth > 0;
      },
      null,
      { timeout: 20_000 },
    );
    await bob.screenshot({ path: `${ARTIFACTS}/reload-2-bob-back.png` });

    const callId = await startedCallId(ui.h);
    await ui.h.advance(5_000);
    expect(ui.h.summary(callId)).toEqual(['Start', 'MC:bob:Accept']);
    await button(alice, 'Hang up').click();
    await idle(alice);
    await idle(bob);
    expect(await ui.h.ended(callId)).toEqual(['Start', 'MC:bob:Accept', 'MC:alice:Hangup', 'End:NormalEnd']);
  }, 120_000);
});
