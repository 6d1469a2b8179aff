/**
 * Tencent's call UI (TUICallKit for Vue, the pinned version of examples/tuicallkit-vue),
 * unmodified, on Dialtone through the TUICallEngine stand-in: the example app is built against
 * `dist/sdk/tuicall-engine.js` and served to two headless Chromium pages (Debian's, fake camera
 * and microphone), which sign in, place and answer a real video call and hang up. Needs the
 * example's own dependencies (installed here with `npm ci` when missing, as `.ci/run` does).
 * Screenshots of each step go to test-results/tuicallkit/.
 */
import { describe, expect, it } from 'vitest';
import { ARTIFACTS, button, idle, startedCallId, useTuiCallKit, videoPlaying } from './helpers.js';

const ui = useTuiCallKit();

describe("Tencent's call UI on Dialtone", () => {
  it('a video call: alice calls bob, bob accepts, both see both videos, alice hangs up and both are idle', async () => {
    const alice = await ui.signIn('alice');
    const bob = await ui.signIn('bob');
    await alice.fill('#callees', 'bob');
    await alice.click('#video-call');
    await button(bob, 'Accept').waitFor();
    // The UI names the caller from the engine's profile answer: the user id.
    expect(await bob.textContent('#tuicallkit-id')).toContain('alice');
    await alice.screenshot({ path: `${ARTIFACTS}/video-1-alice-calling.png` });
    await bob.screenshot({ path: `${ARTIFACTS}/video-1-bob-ringing.png` });
    await button(bob, 'Accept').click();
    await videoPlaying(alice, 'bob');
    await videoPlaying(bob, 'alice');
    await videoPlaying(alice, 'localVideo');
    await videoPlaying(bob, 'localVideo');
    expect(await alice.textContent('#status')).toBe('calling-c2c-video');
    expect(await bob.textContent('#status')).toBe('calling-c2c-video');
    await alice.screenshot({ path: `${ARTIFACTS}/video-2-alice-connected.png` });
    await bob.screenshot({ path: `${ARTIFACTS}/video-2-bob-connected.png` });
    await button(alice, 'Hang up').click();
    await idle(alice);
    await idle(bob);
    expect(await bob.textContent('#status')).toBe('idle');
    await bob.screenshot({ path: `${ARTIFACTS}/video-3-bob-idle.png` });

    const callId = await startedCallId(ui.h);
    expect(await ui.h.ended(callId)).toEqual(['Start', 'MC:bob:Accept', 'MC:alice:Hangup', 'End:NormalEnd']);
  }, 120_000);
});
