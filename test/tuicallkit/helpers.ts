/**
 * Shared set-up of the browser tests of Tencent's call UI (TUICallKit for Vue, the pinned version
 * of examples/tuicallkit-vue, unmodified) on Dialtone: builds the example against the engine
 * stand-in of the client SDK package (`packages/client/dist/esm/tuicall-engine.js`, with the chunks
 * it imports) once per run (a later file reuses a build newer than the package's modules and the
 * example's sources), serves it, launches Debian's headless Chromium with a fake camera and
 * microphone, starts a Dialtone server (the test harness: a real server with a clock the test
 * moves, a callback receiver, REST) per test and opens a signed-in page per user. Pages are closed
 * after each test. Screenshots go to test-results/tuicallkit/.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { launchChromium } from '../helpers/browser.js';
import { Harness } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';

/** Where the screenshots of each step go. */
export const ARTIFACTS = 'test-results/tuicallkit';
const EXAMPLE = fileURLToPath(new URL('../../examples/tuicallkit-vue/', import.meta.url));
/** The package's ES modules: the engine stand-in the example imports, and the chunks it shares with the other entries. */
const MODULES = fileURLToPath(new URL('../../packages/client/dist/esm/', import.meta.url));
const ENGINE = join(MODULES, 'tuicall-engine.js');
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };

/** Newest modification time of a file or of the files under a folder. */
function newest(path: string): number {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  return Math.max(s.mtimeMs, ...readdirSync(path).map((n) => newest(join(path, n))));
}

/** Installs the example's dependencies when missing and builds it, unless this run already did. */
function buildExample(): void {
  if (!existsSync(ENGINE)) throw new Error(`${ENGINE} is missing: run npm run build first`);
  if (!existsSync(join(EXAMPLE, 'node_modules', 'vite'))) {
    execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: EXAMPLE, stdio: 'pipe' });
  }
  const built = join(EXAMPLE, 'dist', 'index.html');
  const inputs = [
    MODULES,
    join(EXAMPLE, 'src'),
    join(EXAMPLE, 'index.html'),
    join(EXAMPLE, 'vite.config.js'),
    join(EXAMPLE, 'package-lock.json'),
  ];
  if (existsSync(built) && statSync(built).mtimeMs > Math.max(...inputs.map(newest))) return;
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

/** What a test file gets from {@link useTuiCallKit}: the current test's server and a sign-in. */
export interface TuiCallKit {
  /** The current test's Dialtone server, callback receiver and clock. */
  readonly h: Harness;
  /**
   * A page of the example signed in as `userId` against the current test's server; `initScript`
   * runs in the page before its own scripts (to observe what the page cannot show).
   */
  signIn(userId: string, initScript?: () => void): Promise<Page>;
  /** Loads the example again in `page` (as a reload does) and signs in as `userId`. */
  reloadAndSignIn(page: Page, userId: string): Promise<void>;
}

/** Registers the hooks of a browser test file (browser and site per file, server per test). */
export function useTuiCallKit(): TuiCallKit {
  let browser: Browser;
  let site: Server;
  let siteUrl: string;
  let h: Harness;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    buildExample();
    site = await serveExample();
    siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}/`;
    browser = await launchChromium(['--autoplay-policy=no-user-gesture-required']);
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

  /** Signs in with the example's sign-in box against the current test's server. */
  async function fillSignIn(page: Page, userId: string): Promise<void> {
    await page.fill('#server', h.t.url);
    await page.fill('#sdkappid', String(h.t.sdkAppId));
    await page.fill('#userid', userId);
    await page.fill('#usersig', h.t.userSig(userId));
    await page.click('#signin button[type=submit]');
    await page.waitForSelector('#me');
  }

  return {
    get h() {
      return h;
    },
    async signIn(userId: string, initScript?: () => void): Promise<Page> {
      const context = await browser.newContext({ locale: 'en-US', viewport: { width: 900, height: 700 } });
      contexts.push(context);
      if (initScript) await context.addInitScript(initScript);
      const page = await context.newPage();
      page.on('pageerror', (err) => console.error(`[${userId}] page error: ${err.message}`));
      await page.goto(siteUrl);
      await fillSignIn(page, userId);
      return page;
    },
    async reloadAndSignIn(page: Page, userId: string): Promise<void> {
      await page.reload();
      await fillSignIn(page, userId);
    },
  };
}

/** One of the UI's round buttons, by the label under it (the click handler is on `.tk-button`). */
export function button(page: Page, label: string): Locator {
  return page.locator('.btn-content', { hasText: label }).locator('.tk-button').first();
}

/** Waits until the element `id` (the UI names views by user id, `localVideo` for oneself) plays real frames. */
export async function videoPlaying(page: Page, id: string): Promise<void> {
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

/** Waits until the example's status line (the UI's `statusChanged`) says `status`. */
export async function status(page: Page, want: string, timeout = 40_000): Promise<void> {
  await page.waitForFunction((s) => document.getElementById('status')?.textContent === s, want, { timeout });
}

/** Waits until the UI is idle again (its call view is gone). */
export async function idle(page: Page): Promise<void> {
  await page.waitForFunction(() => !document.querySelector('#tuicallkit-id'), null, { timeout: 15_000 });
}

/** The call id of the `n`th call the server started (from its StartCall callbacks), waiting for it. */
export async function startedCallId(h: Harness, n = 0): Promise<string> {
  const starts = () => h.receiver.received.filter((r) => r.query.get('CallbackCommand') === 'Call.CallbackAfterStartCall');
  await waitFor(() => starts().length > n, 10_000, `StartCall callback #${n}`);
  return (starts()[n]!.body.CallInfo as { CallId: string }).CallId;
}

/**
 * alice (her page made with `aliceInit`, see {@link TuiCallKit.signIn}) calls bob with the example's
 * button for `media`, bob accepts; resolves once the call is up: both videos playing, or for
 * audio both pages in the call view.
 */
export async function aliceCallsBob(ui: TuiCallKit, media: 'video' | 'audio', aliceInit?: () => void): Promise<{ alice: Page; bob: Page }> {
  const alice = await ui.signIn('alice', aliceInit);
  const bob = await ui.signIn('bob');
  await alice.fill('#callees', 'bob');
  await alice.click(`#${media}-call`);
  await button(bob, 'Accept').click();
  if (media === 'video') {
    await videoPlaying(alice, 'bob');
    await videoPlaying(bob, 'alice');
  } else {
    await status(alice, 'calling-c2c-audio');
    for (const page of [alice, bob]) await button(page, 'Hang up').waitFor();
  }
  return { alice, bob };
}
