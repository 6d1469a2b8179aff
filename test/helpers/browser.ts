/**
 * Headless Chromium for the browser tests: Debian's package (`CHROMIUM_PATH` overrides), fake
 * camera and microphone granted without a prompt, and nothing that talks to the network on its
 * own. One place, so every browser test runs the same browser the same way.
 */
import { chromium, type Browser } from 'playwright-core';

/** Path of the Chromium binary the browser tests drive; default `/usr/bin/chromium`. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Launches headless Chromium with fake media devices; `extraArgs` are added to the command line. */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      ...extraArgs,
    ],
  });
}
