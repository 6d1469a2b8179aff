// Bundles the client SDK for browsers as self-contained ES modules, served by the server:
// dist/sdk/dialtone-client.js (/sdk/dialtone-client.js), and the stand-ins for Tencent's call UI
// (SPEC §8): dist/sdk/tuicall-engine.js (/sdk/tuicall-engine.js, for @tencentcloud/call-engine-js)
// and dist/sdk/tuicall-chat-stub.js (/sdk/tuicall-chat-stub.js, for @tencentcloud/chat).
import { build } from 'esbuild';

const bundles = {
  'dialtone-client': 'src/sdk/client/index.ts',
  'tuicall-engine': 'src/sdk/tuicall/index.ts',
  'tuicall-chat-stub': 'src/sdk/tuicall/chat-stub.ts',
};

await Promise.all(
  Object.entries(bundles).map(([name, entry]) =>
    build({
      entryPoints: [entry],
      outfile: `dist/sdk/${name}.js`,
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: ['es2022'],
      sourcemap: true,
      logLevel: 'warning',
    }),
  ),
);
