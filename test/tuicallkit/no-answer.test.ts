/**
 * Tencent's call UI on Dialtone, scenario (d): nobody answers. The ring timeout is the server's
 * (a timer on the test's clock, moved past the 30 s default once the callee's page rings, so the
 * test does not wait for it); both pages go back to idle and the call ends as `NotAnswer`.
 */
import { describe, expect, it } from 'vitest';
import { ARTIFACTS, button, idle, startedCallId, useTuiCallKit } from './helpers.js';

const ui = useTuiCallKit();

describe("Tencent's call UI on Dialtone: an unanswered call", () => {
  it('alice calls bob, bob does not answer before the ring timeout: both pages are idle, NotAnswer', async () => {
    const alice = await ui.signIn('alice');
    const bob = await ui.signIn('bob');
    await alice.fill('#callees', 'bob');
    await alice.click('#audio-call');
    await button(bob, 'Accept').waitFor();
    await alice.screenshot({ path: `${ARTIFACTS}/no-answer-1-alice-calling.png` });
    await bob.screenshot({ path: `${ARTIFACTS}/no-answer-1-bob-ringing.png` });
    const callId = await startedCallId(ui.h);
    // The UI asked for no timeout: the server's default of 30 s rings. The test clock also runs in
    // real time (screenshots take a while on a loaded machine), so time is counted from the call's
    // start (the StartCall callback's EventTime, on the server's clock): at 28 s it still rings.
    const start = ui.h.callbacksOf(callId)[0]!.body.EventTime as number;
    await ui.h.advance(start + 28_000 - ui.h.clock.now());
    expect(ui.h.summary(callId)).toEqual(['Start']);
    await ui.h.advance(2_000);
    await idle(bob);
    await idle(alice);
    expect(await alice.textContent('#status')).toBe('idle');
    expect(await bob.textContent('#status')).toBe('idle');
    await alice.screenshot({ path: `${ARTIFACTS}/no-answer-2-alice-idle.png` });
    await bob.screenshot({ path: `${ARTIFACTS}/no-answer-2-bob-idle.png` });

    expect(await ui.h.ended(callId)).toEqual(['Start', 'MC:bob:NotAnswer', 'End:NotAnswer']);
    expect((await ui.h.record(callId)).CallResult).toBe('NotAnswer');
  }, 120_000);
});
