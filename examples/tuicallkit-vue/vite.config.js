// Tencent's call UI, unmodified, on Dialtone: the engine and the chat SDK it imports are aliased
// to Dialtone's stand-ins, the entries `@dialtone/client/tuicall-engine` and
// `@dialtone/client/tuicall-chat-stub` of the client SDK package (built by the root `npm run build`
// into ../../packages/client/dist/; an app that installs the package aliases those names), and the chat
// SDK's optional plugins, which Tencent's tui-core imports, to an empty module. The dev and
// preview servers pass the signalling WebSocket and the dev UserSig endpoint on to the Dialtone
// server (DIALTONE_URL, default http://127.0.0.1:8080), so the page's origin is the server.
import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const dialtone = process.env.DIALTONE_URL ?? 'http://127.0.0.1:8080';
const proxy = {
  '/v1/ws': { target: dialtone, ws: true },
  '/dev/usersig': { target: dialtone },
};

export default defineConfig({
  plugins: [vue()],
  resolve: {
    alias: {
      '@tencentcloud/call-engine-js': here('../../packages/client/dist/esm/tuicall-engine.js'),
      '@tencentcloud/chat': here('../../packages/client/dist/esm/tuicall-chat-stub.js'),
      'tim-upload-plugin': here('./src/empty-module.js'),
      'tim-profanity-filter-plugin': here('./src/empty-module.js'),
    },
  },
  // Tencent's UI is one ~600 kB module; nothing to split in an example.
  build: { chunkSizeWarningLimit: 1000 },
  server: { proxy },
  preview: { proxy },
});
