/**
 * Tencent's call UI on Dialtone, scenario (c): the callee declines in the unmodified UI. The
 * caller's page goes back to idle, and the server's callbacks and record say `Reject`.
 */
import { describe, expect, it } from 'vitest';
import { ARTIFACTS, button, idle, startedCallId, useTuiCallKit } from './helpers.js';

const ui = useTuiCallKit();

describe("Tencent's call UI on Dialtone: a declined call", () => {
  it('alice calls bob, bob declines: both pages are idle, the call ended as Reject', async () => {
    const alice = await ui.signIn('alice');
    const bob = await ui.signIn('bob');
    await alice.fill('#callees', 'bob');
    await alice.click('#video-call');
    await button(bob, 'Decline').waitFor();
    expect(await alice.textContent('#status')).toBe('dialing-c2c');
    await alice.screenshot({ path: `${ARTIFACTS}/declined-1-alice-calling.png` });
    await bob.screenshot({ path: `${ARTIFACTS}/declined-1-bob-ringing.png` });
    await button(bob, 'Decline').click();
    await idle(bob);
    await idle(alice);
    expect(await alice.textContent('#status')).toBe('idle');
    expect(await bob.textContent('#status')).toBe('idle');
    await alice.screenshot({ path: `${ARTIFACTS}/declined-2-alice-idle.png` });
    await bob.screenshot({ path: `${ARTIFACTS}/declined-2-bob-idle.png` });

    const callId = await startedCallId(ui.h);
    expect(await ui.h.ended(callId)).toEqual(['Start', 'MC:bob:Reject', 'End:Reject']);
    expect((await ui.h.record(callId)).CallResult).toBe('Reject');
  }, 120_000);
});
