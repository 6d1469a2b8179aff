/**
 * Tencent's call UI on Dialtone, scenario (h): a group call of three through the UI's group path
 * (`TUICallKitServer.calls` with two user ids: the UI's group view and statuses). Alice calls bob
 * and carol, both accept, all three are connected, then everyone hangs up.
 */
import { describe, expect, it } from 'vitest';
import { ARTIFACTS, button, idle, startedCallId, status, useTuiCallKit } from './helpers.js';

const ui = useTuiCallKit();

describe("Tencent's call UI on Dialtone: a group call", () => {
  it('alice calls bob and carol, both accept: all three connected in the group view, then all hang up', async () => {
    const alice = await ui.signIn('alice');
    const bob = await ui.signIn('bob');
    const carol = await ui.signIn('carol');
    await alice.fill('#callees', 'bob, carol');
    await alice.click('#audio-call');
    await button(bob, 'Accept').waitFor();
    await button(carol, 'Accept').waitFor();
    expect(await alice.textContent('#status')).toBe('dialing-group');
    await alice.screenshot({ path: `${ARTIFACTS}/group-1-alice-calling.png` });
    await carol.screenshot({ path: `${ARTIFACTS}/group-1-carol-ringing.png` });
    await button(bob, 'Accept').click();
    await button(carol, 'Accept').click();
    for (const page of [alice, bob, carol]) await status(page, 'calling-group-audio');
    // Each page's group view shows the two others.
    for (const [page, others] of [
      [alice, ['bob', 'carol']],
      [bob, ['alice', 'carol']],
      [carol, ['alice', 'bob']],
    ] as const) {
      const text = await page.textContent('#tuicallkit-id');
      for (const other of others) expect(text).toContain(other);
    }
    await alice.screenshot({ path: `${ARTIFACTS}/group-2-alice-connected.png` });
    await bob.screenshot({ path: `${ARTIFACTS}/group-2-bob-connected.png` });
    await carol.screenshot({ path: `${ARTIFACTS}/group-2-carol-connected.png` });

    const callId = await startedCallId(ui.h);
    expect((await ui.h.callbacks(callId, 3)).sort()).toEqual(['MC:bob:Accept', 'MC:carol:Accept', 'Start']);
    await button(carol, 'Hang up').click();
    await idle(carol);
    // Two still talk.
    expect(await alice.textContent('#status')).toBe('calling-group-audio');
    await button(bob, 'Hang up').click();
    await idle(bob);
    await idle(alice);
    await alice.screenshot({ path: `${ARTIFACTS}/group-3-alice-idle.png` });

    const summary = await ui.h.ended(callId);
    expect(summary[0]).toBe('Start');
    expect(summary.slice(1, 3).sort()).toEqual(['MC:bob:Accept', 'MC:carol:Accept']);
    expect(summary.slice(3)).toEqual(['MC:carol:Hangup', 'MC:bob:Hangup', 'End:NormalEnd']);
    const record = await ui.h.record(callId);
    expect(record.CalleeList_Account.sort()).toEqual(['alice', 'bob', 'carol']);
    expect(record.MediaType).toBe('Audio');
  }, 120_000);
});
