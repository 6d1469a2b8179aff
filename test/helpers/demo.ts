/**
 * The demo page in headless Chromium (test/helpers/browser.ts) against a real dev-mode server
 * with a manual clock (test/helpers/harness.ts): people signing in, dialling and answering through
 * the page, as the browser tests of test/embedded/ do. One browser per test file; one context
 * (one person) per sign-in, closed before the server so no page keeps reconnecting to it.
 */
import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { launchChromium } from './browser.js';
import { Harness } from './harness.js';

/** Where the browser tests' screenshots go. */
export const ARTIFACTS = 'test-results/browser';

/** A phone-sized viewport (a common 6" phone, in CSS pixels). */
export const PHONE = { width: 390, height: 844 } as const;

/** The current test's world; set up by {@link useDemo}. */
export interface DemoWorld {
  h: Harness;
  browser: Browser;
  /** Requests any page made to somewhere other than the test server (there must be none). */
  external: string[];
  /** A new browser context (one person), closed after the test. */
  newContext(options?: { viewport?: { width: number; height: number } }): Promise<BrowserContext>;
}

/** Installs the hooks: a browser for the file, a dev-mode server and fresh contexts per test. */
export function useDemo(): DemoWorld {
  const world = { external: [] as string[] } as DemoWorld;
  const contexts: BrowserContext[] = [];
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    world.browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await world.browser?.close();
  });
  beforeEach(async () => {
    world.h = await Harness.create({ dev: true });
    world.external.length = 0;
  });
  afterEach(async () => {
    for (const c of contexts.splice(0)) await c.close();
    await world.h.close();
  }, 60_000);
  world.newContext = async (options = {}) => {
    const context = await world.browser.newContext(options);
    contexts.push(context);
    // Records what leaves for elsewhere (a font, an image, an analytics call): the demo needs nothing.
    context.on('request', (req) => {
      if (!req.url().startsWith(world.h.t.url) && !/^(data|blob):/.test(req.url())) world.external.push(req.url());
    });
    return context;
  };
  return world;
}

/** Options of a person's browser context. */
export interface PersonOptions {
  viewport?: { width: number; height: number };
  /** Instrument getUserMedia: `window.__tracks` holds every track the page was given. */
  trackMedia?: boolean;
}

/** Opens the demo as `userId` and signs in; resolves on the idle screen. */
export async function signIn(world: DemoWorld, userId: string, opts: PersonOptions = {}): Promise<Page> {
  const page = await openDemo(world, opts);
  await page.fill('#userid', userId);
  await page.click('#signin-form button');
  await page.waitForSelector('body[data-state=idle]');
  return page;
}

/** Opens the demo's sign-in screen. */
export async function openDemo(world: DemoWorld, opts: PersonOptions = {}): Promise<Page> {
  const context = await world.newContext(opts.viewport ? { viewport: opts.viewport } : {});
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error(`page error: ${err.message}`));
  if (opts.trackMedia) {
    await page.addInitScript(() => {
      const w = window as unknown as { __tracks: MediaStreamTrack[]; __gum: number };
      w.__tracks = [];
      w.__gum = 0;
      const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
      navigator.mediaDevices.getUserMedia = async (constraints) => {
        w.__gum++;
        const stream = await original(constraints);
        w.__tracks.push(...stream.getTracks());
        return stream;
      };
    });
  }
  await page.goto(`${world.h.t.url}/demo`);
  await page.waitForSelector('body[data-state=signed-out]');
  return page;
}

/** Dials from the idle screen. */
export async function dial(page: Page, callees: string, media: 'Video' | 'Audio' = 'Video'): Promise<void> {
  await page.fill('#callees', callees);
  await page.check(`input[name=media][value=${media}]`);
  await page.click('#dial');
}

/** Waits until the page shows `count` remote videos playing real frames. */
export async function remoteVideosPlaying(page: Page, count: number): Promise<void> {
  await page.waitForFunction(
    (n) => {
      const videos = [...document.querySelectorAll<HTMLVideoElement>('figure.remote video')];
      return videos.length === n && videos.every((v) => v.readyState >= 2 && v.videoWidth > 0);
    },
    count,
    // Real WebRTC in headless Chromium on two busy cores: connecting can take a while under a full test run.
    { timeout: 40_000 },
  );
}

/** Tracks a `trackMedia` page was given that are still live (not stopped). */
export function liveTracks(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    (window as unknown as { __tracks: MediaStreamTrack[] }).__tracks.filter((t) => t.readyState === 'live').map((t) => t.kind),
  );
}

/** The CallId of the call the harness's receiver saw start (the `n`th, 0-based). */
export function startedCallId(world: DemoWorld, n = 0): string {
  return (world.h.receiver.ofCommand('Call.CallbackAfterStartCall')[n]!.body.CallInfo as { CallId: string }).CallId;
}
