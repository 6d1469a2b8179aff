// Lint: typescript-eslint's recommended rules (syntax only, no type information, so the whole
// tree lints in seconds) and the layer rules of docs/ARCHITECTURE.md, written down as
// `layers/imports` rules below (mechanism in scripts/lint-layers.js).
import path from 'node:path';
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import layers from './scripts/lint-layers.js';

const root = path.join(import.meta.dirname, 'src');

/**
 * One layer: what its files (not its tests) may import. `allow` lists the only parts of src/ it
 * may reach, `deny` the parts it must not; a folder ends with `/`. `import type` counts like any
 * import. Tests are left out: they sit beside the code but may wire real adapters around it.
 */
function layer(name, files, options) {
  return {
    name: `layers/${name}`,
    files,
    ignores: ['**/*.test.ts'],
    plugins: { layers },
    rules: { 'layers/imports': ['error', { root, layer: name, ...options }] },
  };
}

export default defineConfig(
  globalIgnores(['dist/', 'packages/*/dist/', 'examples/*/dist/', 'coverage/', 'data/', 'bench/tmp/', 'test-results/', 'public/']),
  js.configs.recommended,
  tseslint.configs.recommended,
  { languageOptions: { globals: { ...globals.node } } },
  {
    files: ['src/sdk/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    rules: {
      // `_`-prefixed names are deliberately unused (a handler's fixed signature, a skipped tuple slot).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // Tests read JSON answers and callback bodies ad hoc; typing each one would add nothing.
    files: ['test/**', '**/*.test.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // src/testing/ holds helpers for tests only and is left out of the build (tsconfig.build.json).
    files: ['src/**'],
    ignores: ['**/*.test.ts', 'src/testing/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/testing/*'], message: 'src/testing/ is for tests only.' }] }],
    },
  },

  // The core: pure rules and data. errors.ts and protocol/identifiers.ts are pure modules with no
  // imports of their own; the domain returns coded errors and checks identifiers with them today,
  // so both count as part of the core rather than as something outside the domain.
  layer('domain', ['src/domain/**'], { allow: ['domain/', 'errors.ts', 'protocol/'], packages: false }),
  layer('errors.ts', ['src/errors.ts'], { allow: [], packages: false }),
  // Shared with the receiver library and the client SDK, which run outside Node: no packages.
  layer('protocol', ['src/protocol/**'], { allow: ['protocol/'], packages: false }),
  layer('auth', ['src/auth/**'], { allow: ['auth/', 'errors.ts'] }),

  // Delivery's pure parts (render, sign, policy, destinations) sit below the use cases.
  layer('callbacks', ['src/callbacks/**'], { allow: ['callbacks/', 'domain/', 'protocol/', 'errors.ts', 'auth/'] }),
  // Use cases reach the outside world only through their ports (app/ports.ts).
  layer('app', ['src/app/**'], { allow: ['app/', 'domain/', 'callbacks/', 'protocol/', 'errors.ts', 'auth/'] }),

  // Adapters and transports both depend inwards and never on each other or on the composition root.
  layer('adapters', ['src/adapters/**'], { deny: ['transport/', 'cli/', 'server.ts'] }),
  layer('transport', ['src/transport/**'], { deny: ['adapters/', 'cli/', 'server.ts'] }),

  // Published libraries (`dialtone/receiver`, the package `@dialtone/client`): nothing from the server but
  // the shared wire vocabulary.
  layer('receiver', ['src/receiver/**'], { allow: ['receiver/', 'protocol/'] }),
  layer('sdk', ['src/sdk/**'], { allow: ['sdk/', 'protocol/'] }),
);
