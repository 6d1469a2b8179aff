// Bundles the client SDK for browsers: dist/sdk/dialtone-client.js (ESM), served at
// /sdk/dialtone-client.js.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/sdk/client/index.ts'],
  outfile: 'dist/sdk/dialtone-client.js',
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022'],
  sourcemap: true,
  logLevel: 'warning',
});
