/**
 * Tencent's call UI on Dialtone: what the engine measures and the devices it switches, in a
 * connected video call. The UI draws the other side's speaking volume (`USER_VOICE_VOLUME`, the
 * level bar of its microphone icon); the example shows the engine's network grades
 * (`ON_USER_NETWORK_QUALITY_CHANGED`: the other member and this device's own uplink); a
 * microphone chosen in the UI's device list replaces the track being sent without a new
 * negotiation, and the other side goes on hearing it; a speaker chosen there is where the
 * other side's audio then plays.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { aliceCallsBob, ARTIFACTS, button, idle, startedCallId, useTuiCallKit } from './helpers.js';

const ui = useTuiCallKit();

/**
 * Keeps every `RTCPeerConnection` the page makes in `window.pcs`, so the test can read its
 * senders, and every output device an element was moved to in `window.sinks` (the engine plays
 * audio through elements outside the document).
 */
function observeMedia(): void {
  const Native = window.RTCPeerConnection;
  const pcs: RTCPeerConnection[] = [];
  const sinks: string[] = [];
  Object.assign(window, { pcs, sinks });
  const proto = HTMLMediaElement.prototype as HTMLMediaElement & { setSinkId(id: string): Promise<void> };
  const setSinkId = proto.setSinkId;
  proto.setSinkId = function (this: HTMLMediaElement, id: string) {
    return setSinkId.call(this, id).then(() => void sinks.push(id));
  };
  window.RTCPeerConnection = class extends Native {
    constructor(config?: RTCConfiguration) {
      super(config);
      pcs.push(this);
    }
  } as typeof RTCPeerConnection;
}

/**
 * Waits until the UI's volume level on the view of `userId` (the bar of its microphone icon,
 * `height` in %) is above 0 and differs from `unlike`; resolves with it. A changed level is a
 * new reading, so it proves the volumes still arrive.
 */
async function speaking(page: Page, userId: string, unlike = ''): Promise<string> {
  const level = await page.waitForFunction(
    ([id, old]) => {
      const bar = document.querySelector<HTMLElement>(`[id="${id}"] .stream-info-container .mic-level`);
      const h = bar?.style.height ?? '';
      return parseFloat(h) > 0 && h !== old ? h : undefined;
    },
    [userId, unlike],
    { timeout: 15_000, polling: 100 },
  );
  return (await level.jsonValue()) as string;
}

/** The microphone the page's open connection sends: its track's label and state, and the number of negotiations. */
function sentMicrophone(page: Page) {
  return page.evaluate(() => {
    const pc = (window as unknown as { pcs: RTCPeerConnection[] }).pcs.find((p) => p.connectionState === 'connected')!;
    const track = pc.getSenders().find((s) => s.track?.kind === 'audio')!.track!;
    return { label: track.label, readyState: track.readyState, enabled: track.enabled };
  });
}

describe("Tencent's call UI on Dialtone: volume, network quality and devices", () => {
  it('bob sees alice speaking, both see network grades, and alice switches her microphone and speaker mid-call', async () => {
    const { alice, bob } = await aliceCallsBob(ui, 'video', observeMedia);

    // The fake microphone beeps: bob's view of alice shows her volume level.
    await speaking(bob, 'alice');
    // Every 2 s: the other member's grade and this device's own, loopback being excellent to poor.
    for (const [page, self, other] of [
      [alice, 'alice', 'bob'],
      [bob, 'bob', 'alice'],
    ] as const) {
      const grades = await page.waitForFunction(
        ([me, them]: readonly string[]) => {
          const text = document.getElementById('network')?.textContent ?? '';
          if (me === undefined || them === undefined) return undefined;
          const of = (u: string) => Number(new RegExp(`(?:^|, )${u} (\\d)`).exec(text)?.[1] ?? 0);
          return of(me) > 0 && of(them) > 0 ? { me: of(me), them: of(them) } : undefined;
        },
        [self, other],
        { timeout: 20_000 },
      );
      const { me, them } = (await grades.jsonValue()) as { me: number; them: number };
      expect(me).toBeGreaterThanOrEqual(1);
      expect(me).toBeLessThanOrEqual(3);
      expect(them).toBeGreaterThanOrEqual(1);
      expect(them).toBeLessThanOrEqual(3);
    }
    await bob.screenshot({ path: `${ARTIFACTS}/measures-1-bob-sees-volume.png` });

    // The UI's microphone list (hover the button): pick a microphone other than the one in use.
    const before = await sentMicrophone(alice);
    // The UI labels its microphone button by state ("Unmuted").
    await button(alice, 'Unmuted').hover();
    const items = alice.locator('.device-selector-container .scroll-content .device-item');
    await items.first().waitFor({ timeout: 10_000 });
    const labels = await items.allTextContents();
    const target = labels.map((l) => l.trim()).find((l) => l !== before.label && l !== 'Default' && !l.startsWith('Default'));
    expect(target, `another microphone than ${before.label} in ${JSON.stringify(labels)}`).toBeTruthy();
    await alice.screenshot({ path: `${ARTIFACTS}/measures-2-alice-microphones.png` });
    await items.filter({ hasText: target! }).first().click();
    await alice.waitForFunction(
      (label) => {
        const pc = (window as unknown as { pcs: RTCPeerConnection[] }).pcs.find((p) => p.connectionState === 'connected');
        return pc?.getSenders().some((s) => s.track?.kind === 'audio' && s.track.label === label && s.track.readyState === 'live');
      },
      target,
      { timeout: 15_000 },
    );
    const after = await sentMicrophone(alice);
    expect(after).toEqual({ label: target, readyState: 'live', enabled: true });
    // Same connection, no new one; bob keeps hearing alice: her level goes on changing.
    expect(await alice.evaluate(() => (window as unknown as { pcs: RTCPeerConnection[] }).pcs.length)).toBe(1);
    const level = await speaking(bob, 'alice');
    await speaking(bob, 'alice', level);
    await bob.screenshot({ path: `${ARTIFACTS}/measures-3-bob-hears-new-microphone.png` });

    // The speaker (its button is labelled with the device in use): the playing audio moves there.
    await alice.mouse.move(0, 0);
    await button(alice, 'Fake Default').hover();
    const speakers = alice.locator('.device-selector-container .scroll-content .device-item');
    await speakers.filter({ hasText: 'Output' }).first().waitFor({ timeout: 10_000 });
    const speaker = (await speakers.allTextContents())
      .map((l) => l.trim())
      .find((l) => l.includes('Output') && !l.startsWith('Fake Default'));
    expect(speaker, 'a second fake speaker').toBeTruthy();
    await speakers.filter({ hasText: speaker! }).first().click();
    const speakerId = await alice.evaluate(
      async (label) =>
        (await navigator.mediaDevices.enumerateDevices()).find((d) => d.kind === 'audiooutput' && d.label === label)!.deviceId,
      speaker,
    );
    await alice.waitForFunction((id) => (window as unknown as { sinks: string[] }).sinks.includes(id), speakerId, { timeout: 10_000 });

    await button(alice, 'Hang up').click();
    await idle(alice);
    await idle(bob);
    const callId = await startedCallId(ui.h);
    expect(await ui.h.ended(callId)).toEqual(['Start', 'MC:bob:Accept', 'MC:alice:Hangup', 'End:NormalEnd']);
  }, 120_000);
});
