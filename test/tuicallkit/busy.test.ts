/**
 * Tencent's call UI on Dialtone, scenario (e): the callee is busy. Bob is in a call with carol
 * (two plain protocol clients of the harness); alice's call to bob through the unmodified UI is
 * answered line busy: her page says so and goes back to idle, the server ends her call `CallBusy`.
 */
import { describe, expect, it } from 'vitest';
import { ARTIFACTS, idle, startedCallId, useTuiCallKit } from './helpers.js';

const ui = useTuiCallKit();

describe("Tencent's call UI on Dialtone: a busy callee", () => {
  it('bob is in a call with carol; alice calls bob: her page shows line busy and is idle again, CallBusy', async () => {
    const carol = await ui.h.user('carol');
    const bob = await ui.h.user('bob');
    const busyCall = await ui.h.call(carol, ['bob'], { mediaType: 'Audio' });
    await ui.h.op(bob, 'accept', { callId: busyCall });
    await ui.h.callbacks(busyCall, 2);

    const alice = await ui.signIn('alice');
    await alice.fill('#callees', 'bob');
    await alice.click('#video-call');
    await alice
      .getByText(/line busy/i)
      .first()
      .waitFor({ timeout: 15_000 });
    await alice.screenshot({ path: `${ARTIFACTS}/busy-1-alice-line-busy.png` });
    await idle(alice);
    expect(await alice.textContent('#status')).toBe('idle');
    await alice.screenshot({ path: `${ARTIFACTS}/busy-2-alice-idle.png` });

    const callId = await startedCallId(ui.h, 1);
    expect(callId).not.toBe(busyCall);
    expect(await ui.h.ended(callId)).toEqual(['Start', 'End:CallBusy']);
    expect((await ui.h.record(callId)).CallResult).toBe('CallBusy');
    // Bob's call with carol goes on.
    expect(ui.h.summary(busyCall)).toEqual(['Start', 'MC:bob:Accept']);
  }, 120_000);
});
