/**
 * Tencent's call UI on Dialtone, scenario (b): an audio call through the unmodified UI. Both
 * sides show the audio call view, hanging up returns both to idle, and the server records an
 * `Audio` call that ended normally.
 */
import { describe, expect, it } from 'vitest';
import { ARTIFACTS, button, idle, startedCallId, status, useTuiCallKit } from './helpers.js';

const ui = useTuiCallKit();

describe("Tencent's call UI on Dialtone: an audio call", () => {
  it('alice calls bob by audio, bob accepts, both show the audio view, bob hangs up and both are idle', async () => {
    const alice = await ui.signIn('alice');
    const bob = await ui.signIn('bob');
    await alice.fill('#callees', 'bob');
    await alice.click('#audio-call');
    await button(bob, 'Accept').waitFor();
    expect(await bob.textContent('#tuicallkit-id')).toContain('alice');
    await alice.screenshot({ path: `${ARTIFACTS}/audio-1-alice-calling.png` });
    await bob.screenshot({ path: `${ARTIFACTS}/audio-1-bob-ringing.png` });
    await button(bob, 'Accept').click();
    await status(alice, 'calling-c2c-audio');
    await status(bob, 'calling-c2c-audio');
    // The audio view: the other side's name, no video drawn, the hang-up button.
    for (const [page, other] of [
      [alice, 'bob'],
      [bob, 'alice'],
    ] as const) {
      expect(await page.textContent('#tuicallkit-id')).toContain(other);
      expect(await page.locator('#tuicallkit-id video:visible').count()).toBe(0);
      await button(page, 'Hang up').waitFor();
    }
    await alice.screenshot({ path: `${ARTIFACTS}/audio-2-alice-connected.png` });
    await bob.screenshot({ path: `${ARTIFACTS}/audio-2-bob-connected.png` });
    await button(bob, 'Hang up').click();
    await idle(alice);
    await idle(bob);
    expect(await alice.textContent('#status')).toBe('idle');
    await alice.screenshot({ path: `${ARTIFACTS}/audio-3-alice-idle.png` });

    const callId = await startedCallId(ui.h);
    expect(await ui.h.ended(callId)).toEqual(['Start', 'MC:bob:Accept', 'MC:bob:Hangup', 'End:NormalEnd']);
    const record = await ui.h.record(callId);
    expect(record.MediaType).toBe('Audio');
    expect(record.CallResult).toBe('NormalEnd');
  }, 120_000);
});
