/**
 * The client SDK package, `@dialtone/client`, as a user gets it: `npm pack` of packages/client
 * (built by `npm run build`), installed offline from the tarball into a scratch project in a
 * temporary directory (the package has no dependencies), then
 * - imported from Node, every entry, and signed in to a real server;
 * - type-checked by the repository's TypeScript in a project with `lib: ["ES2022"]` (no DOM) and
 *   without `skipLibCheck`, and the media entry in one with the DOM;
 * - loaded from the installed files by a page in headless Chromium (Debian's), the minified
 *   browser module and the ES modules, with the source map the browser is pointed at and every
 *   source it names, and a position of the minified code mapped back to its line of TypeScript.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire, SourceMap, type SourceMapPayload, type SourceMapping } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.js';
import { startServer, type TestServer } from '../helpers/server.js';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const PACKAGE = join(REPO, 'packages', 'client');
const TSC = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
/** What the main entry exports, and no more: nothing of the media half. */
const MAIN_EXPORTS = ['ClientErrorCode', 'ClientEvent', 'DialtoneClient', 'DialtoneClientError', 'NetworkQuality', 'QUALITY_THRESHOLDS'];

/** The environment of the npm commands: none of the `npm_*` settings of an `npm test` around this run. */
const npmEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));

interface Packed {
  filename: string;
  size: number;
  files: { path: string }[];
}

let tmp: string;
let project: string;
let installed: string;
let packed: Packed;

beforeAll(async () => {
  if (!existsSync(join(PACKAGE, 'dist', 'esm', 'index.js'))) throw new Error('packages/client/dist is missing: run npm run build first');
  tmp = mkdtempSync(join(tmpdir(), 'dialtone-package-'));
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: PACKAGE, env: npmEnv });
  packed = (JSON.parse(stdout) as Packed[])[0]!;
  project = join(tmp, 'app');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }));
  // Offline: a package without dependencies needs nothing from a registry.
  await run('npm', ['install', '--offline', '--no-audit', '--no-fund', join(tmp, packed.filename)], { cwd: project, env: npmEnv });
  installed = join(project, 'node_modules', '@dialtone', 'client');
}, 120_000);
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('the tarball', () => {
  it('holds the build, its declarations, maps and sources, and nothing of the server, the compressed copies or the sources of the repository', () => {
    const paths = packed.files.map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['package.json', 'README.md', 'LICENSE']));
    for (const path of [
      'dist/esm/index.js',
      'dist/esm/media.js',
      'dist/esm/tuicall-engine.js',
      'dist/esm/tuicall-chat-stub.js',
      'dist/types/sdk/client/core.d.ts',
      'dist/types/sdk/client/media.d.ts',
      'dist/dialtone-client.js',
      'dist/dialtone-client.js.map',
      'dist/tuicall-engine.js',
      'dist/src/sdk/client/client.ts',
    ]) {
      expect(paths).toContain(path);
    }
    for (const path of paths) expect(['package.json', 'README.md', 'LICENSE'].includes(path) || path.startsWith('dist/'), path).toBe(true);
    expect(paths.filter((p) => /\.(gz|br)$/.test(p))).toEqual([]);
    expect(packed.size).toBeLessThan(1_000_000);
  });

  it('installs with no dependency at all', () => {
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest.name).toBe('@dialtone/client');
    expect(manifest.dependencies).toBeUndefined();
    expect(readFileSync(join(project, 'package-lock.json'), 'utf8')).not.toContain('"node_modules/ws"');
  });
});

describe('from Node', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startServer();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('imports every entry and signs in to a real server with the installed package', async () => {
    // A user on Node 20 installs `ws`, the optional peer the client loads when there is no
    // global WebSocket (Node 22 and later have one): here, the repository's copy.
    symlinkSync(dirname(createRequire(import.meta.url).resolve('ws/package.json')), join(project, 'node_modules', 'ws'), 'dir');
    writeFileSync(
      join(project, 'check.mjs'),
      `import * as main from '@dialtone/client';
import * as media from '@dialtone/client/media';
import * as engine from '@dialtone/client/tuicall-engine';
import chat from '@dialtone/client/tuicall-chat-stub';
const { server, sdkAppId, userSig } = JSON.parse(process.env.DIALTONE);
const client = await main.DialtoneClient.init({ server, sdkAppId, userId: 'alice', userSig });
await client.ping();
client.destroy();
console.log(JSON.stringify({
  main: Object.keys(main).sort(),
  media: typeof media.CallMedia,
  engine: typeof engine.TUICallEngine.createInstance,
  chat: chat.EVENT.SDK_READY,
  userId: client.userId,
}));
`,
    );
    const env = { ...npmEnv, DIALTONE: JSON.stringify({ server: t.url, sdkAppId: t.sdkAppId, userSig: t.userSig('alice') }) };
    const { stdout } = await run(process.execPath, ['check.mjs'], { cwd: project, env });
    expect(JSON.parse(stdout)).toEqual({
      main: MAIN_EXPORTS,
      media: 'function',
      engine: 'function',
      chat: 'sdkStateReady',
      userId: 'alice',
    });
  });
});

describe('types', () => {
  /** Runs the repository's tsc on `file` in the scratch project with these `lib`s; its output when it fails. */
  async function typecheck(name: string, lib: string[], code: string): Promise<string | undefined> {
    writeFileSync(join(project, `${name}.ts`), code);
    writeFileSync(
      join(project, `tsconfig.${name}.json`),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          lib,
          types: [],
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          noEmit: true,
          skipLibCheck: false,
        },
        files: [`${name}.ts`],
      }),
    );
    try {
      await run(process.execPath, [TSC, '-p', `tsconfig.${name}.json`], { cwd: project });
      return undefined;
    } catch (err) {
      return String((err as { stdout?: string }).stdout ?? err);
    }
  }

  it('of the main entry and the chat stub compile with lib ES2022 only, without skipLibCheck; the media half is not in the main entry', async () => {
    const out = await typecheck(
      'node',
      ['ES2022'],
      `import { ClientErrorCode, DialtoneClient, DialtoneClientError, NetworkQuality, type ClientEvents, type CurrentCall, type InitOptions } from '@dialtone/client';
import TencentCloudChat, { EVENT } from '@dialtone/client/tuicall-chat-stub';
// @ts-expect-error CallMedia is in @dialtone/client/media
import { CallMedia } from '@dialtone/client';

export async function place(options: InitOptions): Promise<string> {
  const client = await DialtoneClient.init(options);
  client.on('onCallEnd', (e: ClientEvents['onCallEnd']) => void e.totalTime);
  const current: CurrentCall | null = client.currentCall;
  try {
    const { callId } = await client.calls({ userIdList: ['bob'], mediaType: 'Video' });
    return current?.callId ?? callId;
  } catch (err) {
    if (err instanceof DialtoneClientError && err.code === ClientErrorCode.REPEATED_CALL) return 'busy';
    throw err;
  } finally {
    client.destroy();
  }
}
export const quality: number = NetworkQuality.Excellent;
export const ready: string = EVENT.SDK_READY + TencentCloudChat.VERSION;
export const media: unknown = CallMedia;
`,
    );
    expect(out).toBeUndefined();
  }, 60_000);

  it('of the media entry need the DOM: they fail without it and compile with it, with the engine stand-in', async () => {
    const code = `import { CallMedia, enumerateDevices, type CallMediaOptions } from '@dialtone/client/media';
import { DialtoneClient } from '@dialtone/client';
import TUICallEngine, { TUICallEvent } from '@dialtone/client/tuicall-engine';

export async function start(client: DialtoneClient, callId: string, localStream: MediaStream): Promise<CallMedia> {
  const options: CallMediaOptions = { client, callId, mediaType: 'Video', localStream, onRemoteStream: (_u: string, s: MediaStream) => void s };
  const media = new CallMedia(options);
  await media.start();
  return media;
}
export const devices = enumerateDevices;
export const engine = TUICallEngine.createInstance({ SDKAppID: 1 });
export const event: string = TUICallEvent.CALL_END;
`;
    expect(await typecheck('media-without-dom', ['ES2022'], code)).toMatch(/Cannot find name 'MediaStream'/);
    expect(await typecheck('media', ['ES2022', 'DOM', 'DOM.Iterable'], code)).toBeUndefined();
  }, 60_000);
});

describe('in a browser', () => {
  let browser: Browser;
  let site: Server;
  let base: string;

  /** Serves the installed package folder, and an empty page at `/`. */
  function servePackage(): Promise<Server> {
    const types: Record<string, string> = { '.js': 'text/javascript', '.map': 'application/json', '.ts': 'text/plain' };
    const server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (path === '/') return void res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>scratch</title>');
      const file = normalize(join(installed, decodeURIComponent(path)));
      if (!file.startsWith(installed + sep) || !existsSync(file)) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
    });
    return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
  }

  beforeAll(async () => {
    site = await servePackage();
    base = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => (site ? site.close(r) : r(undefined)));
  });

  it('imports the installed minified module and the ES modules, and finds the source map and every source it names', async () => {
    const page = await browser.newPage();
    try {
      const errors: string[] = [];
      page.on('pageerror', (err) => errors.push(err.message));
      await page.goto(`${base}/`);
      // What the browser itself is told about each script's map (the `sourceMappingURL` comment).
      const cdp = await page.context().newCDPSession(page);
      const maps = new Map<string, string>();
      cdp.on('Debugger.scriptParsed', (e) => {
        if (e.url) maps.set(e.url, e.sourceMapURL ?? '');
      });
      await cdp.send('Debugger.enable');
      // A module script, not an import() inside evaluate: the test's own transform would rewrite that.
      await page.addScriptTag({
        type: 'module',
        content: `import * as bundle from '/dist/dialtone-client.js';
import * as engine from '/dist/tuicall-engine.js';
import * as main from '/dist/esm/index.js';
import * as media from '/dist/esm/media.js';
window.loaded = {
  bundle: [typeof bundle.DialtoneClient, typeof bundle.CallMedia],
  engine: typeof engine.TUICallEngine.createInstance,
  esm: [typeof main.DialtoneClient, typeof media.CallMedia],
};`,
      });
      await page.waitForFunction(() => (window as any).loaded);
      expect(await page.evaluate(() => (window as any).loaded)).toEqual({
        bundle: ['function', 'function'],
        engine: 'function',
        esm: ['function', 'function'],
      });
      expect(errors).toEqual([]);

      const script = `${base}/dist/dialtone-client.js`;
      expect(maps.get(script)).toBe('dialtone-client.js.map');
      const fetched = await page.evaluate(
        async (mapUrl) => {
          const map = await (await fetch(mapUrl)).json();
          const sources = await Promise.all(
            map.sources.map(async (s: string) => {
              const res = await fetch(new URL(s, mapUrl));
              return { url: res.url, ok: res.ok, text: await res.text() };
            }),
          );
          return { map, sources };
        },
        new URL(maps.get(script)!, script).href,
      );
      expect(fetched.sources.length).toBeGreaterThan(0);
      for (const [i, s] of fetched.sources.entries()) {
        expect(s.ok, s.url).toBe(true);
        expect(s.url.startsWith(`${base}/dist/src/`)).toBe(true);
        expect(s.text).toBe(fetched.map.sourcesContent[i]);
      }
      expect(fetched.sources.map((s) => s.url)).toContain(`${base}/dist/src/sdk/client/client.ts`);
    } finally {
      await page.close();
    }
  }, 60_000);
});

describe('the source map', () => {
  it("maps a position of the minified browser module back to the TypeScript line it came from (Node's source map reader)", () => {
    const code = readFileSync(join(installed, 'dist', 'dialtone-client.js'), 'utf8');
    const payload = JSON.parse(readFileSync(join(installed, 'dist', 'dialtone-client.js.map'), 'utf8')) as SourceMapPayload;
    // A message only client.ts has: where the minified code says it, the map must say client.ts.
    const message = 'could not connect';
    const at = code.indexOf(message);
    expect(at).toBeGreaterThan(0);
    const before = code.slice(0, at).split('\n');
    const entry = new SourceMap(payload).findEntry(before.length - 1, before.at(-1)!.length) as SourceMapping;
    expect(entry.originalSource).toMatch(/(^|\/)src\/sdk\/client\/client\.ts$/);
    const source = readFileSync(join(installed, 'dist', 'src', 'sdk', 'client', 'client.ts'), 'utf8').split('\n');
    expect(source[entry.originalLine]).toContain(message);
  });
});
