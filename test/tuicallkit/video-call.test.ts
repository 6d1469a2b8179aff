/**
 * Tencent's call UI (TUICallKit for Vue, the pinned version of examples/tuicallkit-vue),
 * unmodified, on Dialtone through the TUICallEngine stand-in: the example app is built against
 * `dist/sdk/tuicall-engine.js` and served to two headless Chromium pages (Debian's, fake camera
 * and microphone), which sign in, place and answer a real video call and hang up. Needs the
 * example's own dependencies (installed here with `npm ci` when missing, as `.ci/run` does).
 * Screenshots of each step go to test-results/tuicallkit/.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Harness } from '../helpers/harness.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = 'test-results/tuicallkit';
const EXAMPLE = fileURLToPath(new URL('../../examples/tuicallkit-vue/', import.meta.url));
const ENGINE = fileURLToPath(new URL('../../dist/sdk/tuicall-engine.js', import.meta.url));
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };

let browser: Browser;
let site: Server;
let siteUrl: string;
let h: Harness;
const contexts: BrowserContext[] = [];

/** Installs the example's dependencies when missing and builds it against the engine in dist/. */
function buildExample(): void {
  if (!existsSync(ENGINE)) throw new Error(`${ENGINE} is missing: run npm run build first`);
  if (!existsSync(join(EXAMPLE, 'node_modules', 'vite'))) {
    execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: EXAMPLE, stdio: 'pipe' });
  }
  execFileSync(process.execPath, [join(EXAMPLE, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn'], {
    cwd: EXAMPLE,
    stdio: 'pipe',
  });
}

/** Serves the built example (a static site; the page talks to the Dialtone server directly). */
function serveExample(): Promise<Server> {
  const root = join(EXAMPLE, 'dist');
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const file = normalize(join(root, path === '/' ? 'index.html' : path));
    if (!file.startsWith(root) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  buildExample();
  site = await serveExample();
  siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}/`;
  browser = await chromium.launch({
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
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await new Promise((r) => (site ? site.close(r) : r(undefined)));
});
beforeEach(async () => {
  h = await Harness.create({ dev: true });
});
afterEach(async () => {
  for (const c of contexts.splice(0)) await c.close();
  await h.close();
}, 60_000);

/** A page of the example signed in as `userId` against the test's server. */
async function signIn(userId: string): Promise<Page> {
  const context = await browser.newContext({ locale: 'en-US', viewport: { width: 900, height: 700 } });
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error(`[${userId}] page error: ${err.message}`));
  await page.goto(siteUrl);
  await page.fill('#server', h.t.url);
  await page.fill('#sdkappid', String(h.t.sdkAppId));
  await page.fill('#userid', userId);
  await page.fill('#usersig', h.t.userSig(userId));
  await page.click('#signin button[type=submit]');
  await page.waitForSelector('#me');
  return page;
}

/** One of the UI's round buttons, by the label under it. */
function button(page: Page, label: string) {
  return page.locator('.btn-content', { hasText: label }).locator('.tk-button').first();
}

/** Waits until the element `id` (the UI names views by user id, `localVideo` for oneself) plays real frames. */
async function videoPlaying(page: Page, id: string): Promise<void> {
  await page.waitForFunction(
    (domId) => {
      const v = document.getElementById(domId)?.querySelector('video');
      return !!v && v.readyState >= 2 && v.videoWidth > 0;
    },
    id,
    // Real WebRTC in headless Chromium on two busy cores: connecting can take a while under a full test run.
    { timeout: 40_000 },
  );
}

/** Waits until the UI is idle again (its call view is gone). */
async function idle(page: Page): Promise<void> {
  await page.waitForFunction(() => !document.querySelector('#tuicallkit-id'), null, { timeout: 15_000 });
}

describe("Tencent's call UI on Dialtone", () => {
  it('a video call: alice calls bob, bob accepts, both see both videos, alice hangs up and both are idle', async () => {
    const alice = await signIn('alice');
    const bob = await signIn('bob');
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

    const start = h.receiver.received.find((r) => r.query.get('CallbackCommand') === 'Call.CallbackAfterStartCall')!;
    const callId = (start.body.CallInfo as { CallId: string }).CallId;
    expect(await h.ended(callId)).toEqual(['Start', 'MC:bob:Accept', 'MC:alice:Hangup', 'End:NormalEnd']);
  }, 120_000);
});
