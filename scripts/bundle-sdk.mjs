// Builds the client SDK package, @dialtone/client, into packages/client/dist/ from the SDK's
// sources in src/sdk/ (the root `npm run build` runs this, then tsc for its declarations):
//
// - esm/: ES modules for bundlers and Node, one per package entry (index: the client without
//   media, media, tuicall-engine, tuicall-chat-stub), unminified. Code they share is split into
//   chunks/, so that a class is one class whichever entry a program imports it from.
// - dialtone-client.js (the client and CallMedia), tuicall-engine.js and tuicall-chat-stub.js
//   (the stand-ins for Tencent's call UI, SPEC §8): self-contained minified browser modules, what
//   the server serves at /sdk/<file> and /sdk/<version>/<file>.
// - A source map beside each, with the sources embedded and also copied to src/, where the maps'
//   `sources` point: tools that fetch sources (rather than read the embedded copy) find them in
//   the package and on the server alike.
// - <file>.gz and <file>.br beside each browser module and its map, compressed once here so the
//   server does no compression work; the package's `files` leaves them out.
// - dist/sdk/<file>.js (and .map): copies of the browser modules where SPEC §8 names them
//   (dist/sdk/tuicall-engine.js, dist/sdk/tuicall-chat-stub.js), for whoever builds the
//   repository rather than installing the package; their maps' sources point at the same files.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const root = resolve(import.meta.dirname, '..');
const src = join(root, 'src');
const pkg = join(root, 'packages', 'client');
const out = join(pkg, 'dist');

const version = readJson(join(pkg, 'package.json')).version;
const rootVersion = readJson(join(root, 'package.json')).version;
if (version !== rootVersion)
  throw new Error(`packages/client is version ${version}, the repository ${rootVersion}: they are released together`);

/** The package's entries (its `exports`), as ES modules. */
const modules = {
  index: 'src/sdk/client/core.ts',
  media: 'src/sdk/client/media.ts',
  'tuicall-engine': 'src/sdk/tuicall/index.ts',
  'tuicall-chat-stub': 'src/sdk/tuicall/chat-stub.ts',
};
/** The browser modules the server serves, each self-contained: a page imports one file. */
const browserModules = {
  'dialtone-client': 'src/sdk/client/index.ts',
  'tuicall-engine': 'src/sdk/tuicall/index.ts',
  'tuicall-chat-stub': 'src/sdk/tuicall/chat-stub.ts',
};

function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

// A stale chunk of an earlier build would otherwise stay in the package.
rmSync(out, { recursive: true, force: true });

const common = {
  bundle: true,
  format: 'esm',
  target: ['es2022'],
  sourcemap: 'linked',
  write: false,
  logLevel: 'warning',
  absWorkingDir: root,
};
const results = await Promise.all([
  build({
    ...common,
    entryPoints: modules,
    outdir: join(out, 'esm'),
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    // Node and browsers alike: the client picks its WebSocket at run time.
    platform: 'neutral',
  }),
  ...Object.entries(browserModules).map(([name, entry]) =>
    build({
      ...common,
      entryPoints: [entry],
      outfile: join(out, `${name}.js`),
      platform: 'browser',
      minify: true,
      banner: { js: `/*! @dialtone/client ${version} | MIT License */` },
    }),
  ),
]);

const copied = new Set();
/** Points a map's `sources` at copies under dist/src/ (the originals are outside the package). */
function relocateSources(mapPath, text) {
  const map = JSON.parse(text);
  map.sources = map.sources.map((source) => {
    const file = resolve(dirname(mapPath), source);
    if (!file.startsWith(src + sep)) throw new Error(`${mapPath}: source ${source} is outside src/`);
    const copy = join(out, 'src', relative(src, file));
    if (!copied.has(copy)) {
      mkdirSync(dirname(copy), { recursive: true });
      copyFileSync(file, copy);
      copied.add(copy);
    }
    return relative(dirname(mapPath), copy).split(sep).join('/');
  });
  return JSON.stringify(map);
}

for (const [i, result] of results.entries()) {
  const browser = i > 0;
  for (const file of result.outputFiles) {
    const contents = file.path.endsWith('.map') ? Buffer.from(relocateSources(file.path, file.text)) : Buffer.from(file.contents);
    mkdirSync(dirname(file.path), { recursive: true });
    writeFileSync(file.path, contents);
    if (!browser) continue;
    writeFileSync(`${file.path}.gz`, gzipSync(contents, { level: 9 }));
    writeFileSync(
      `${file.path}.br`,
      brotliCompressSync(contents, {
        params: {
          [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
          [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
          [constants.BROTLI_PARAM_SIZE_HINT]: contents.length,
        },
      }),
    );
  }
}

const legacy = join(root, 'dist', 'sdk');
mkdirSync(legacy, { recursive: true });
for (const name of Object.keys(browserModules)) {
  copyFileSync(join(out, `${name}.js`), join(legacy, `${name}.js`));
  const map = readJson(join(out, `${name}.js.map`));
  map.sources = map.sources.map((source) => relative(legacy, resolve(out, source)).split(sep).join('/'));
  writeFileSync(join(legacy, `${name}.js.map`), JSON.stringify(map));
}
