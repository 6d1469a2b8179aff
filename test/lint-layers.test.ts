/**
 * The layer rules of eslint.config.js, checked through ESLint itself on made-up files, so a
 * change to the table or the mechanism (scripts/lint-layers.js) that lets a forbidden import
 * through fails here.
 */
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('..', import.meta.url));
const eslint = new ESLint({ cwd: repo });

/** The `layers/imports` messages ESLint gives `code` as if it were the file at `file` (repo-relative). */
async function layerErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${repo}/${file}` });
  return result!.messages.filter((m) => m.ruleId === 'layers/imports').map((m) => m.message);
}

describe('layer rules', () => {
  it.each([
    ['src/domain/x.ts', "import { ERR } from '../errors.js';"],
    ['src/domain/x.ts', "import { isUserId } from '../protocol/identifiers.js';"],
    ['src/domain/x.ts', "import type { Call } from './types.js';"],
    ['src/protocol/x.ts', "export type { MediaType } from './wire.js';"],
    ['src/app/delivery/x.ts', "import type { Storage } from '../ports.js';"],
    ['src/app/delivery/x.ts', "import { render } from '../../callbacks/render.js';\nimport type { Call } from '../../domain/types.js';"],
    ['src/app/x.ts', "import { pino } from 'pino';"],
    ['src/callbacks/x.ts', "import { sign } from '../auth/callback-sign.js';"],
    ['src/adapters/http/x.ts', "import type { CallbackSender } from '../../app/ports.js';\nimport { Agent } from 'undici';"],
    ['src/transport/ws/x.ts', "import { CallService } from '../../app/call-service.js';"],
    ['src/receiver/x.ts', "import type { CallResult } from '../protocol/wire.js';\nimport type { FastifyInstance } from 'fastify';"],
    ['src/sdk/client/x.ts', "import type { EndReason } from '../../protocol/wire.js';"],
    ['src/server.ts', "import { SqliteStorage } from './adapters/sqlite/storage.js';"],
  ])('%s may: %s', async (file, code) => {
    expect(await layerErrors(file, code)).toEqual([]);
  });

  it.each([
    ['src/domain/x.ts', "import type { Storage } from '../app/ports.js';"],
    ['src/domain/x.ts', "import { randomUUID } from 'node:crypto';"],
    ['src/domain/x.ts', "export { CALLBACK_COMMANDS } from '../callbacks/render.js';"],
    ['src/domain/x.ts', "type T = import('../adapters/rows.js').Row;"],
    ['src/domain/x.ts', "const m = await import('../metrics.js');"],
    ['src/domain/x.ts', "import data from '../../package.json';"],
    ['src/protocol/x.ts', "import type { Call } from '../domain/types.js';"],
    ['src/errors.ts', "import type { Call } from './domain/types.js';"],
    ['src/app/x.ts', "import { SqliteStorage } from '../adapters/sqlite/storage.js';"],
    ['src/app/delivery/x.ts', "import type { Gateway } from '../../transport/ws/gateway.js';"],
    ['src/app/x.ts', "import { metrics } from '../metrics.js';"],
    ['src/callbacks/x.ts', "import type { Storage } from '../app/ports.js';"],
    ['src/callbacks/x.ts', "import { Dispatcher } from '../adapters/http/sender.js';"],
    ['src/adapters/http/x.ts', "import { frames } from '../../transport/ws/frames.js';"],
    ['src/adapters/x.ts', "import type { DialtoneServer } from '../server.js';"],
    ['src/transport/http/x.ts', "import type { SqliteStorage } from '../../adapters/sqlite/storage.js';"],
    ['src/receiver/x.ts', "import type { CallResult } from '../domain/types.js';"],
    ['src/receiver/x.ts', "import { sign } from '../auth/callback-sign.js';"],
    ['src/sdk/client/x.ts', "import type { EndReason } from '../../domain/types.js';"],
  ])('%s may not: %s', async (file, code) => {
    expect(await layerErrors(file, code)).toHaveLength(1);
  });

  it('names the layer and the import in its message', async () => {
    expect(await layerErrors('src/receiver/x.ts', "import type { Call } from '../domain/types.js';")).toEqual([
      "receiver may import only receiver/, protocol/ ('../domain/types.js')",
    ]);
  });

  it('keeps src/testing/ (test helpers, not built) out of the server and its libraries', async () => {
    const testingErrors = async (file: string, code: string) => {
      const [result] = await eslint.lintText(code, { filePath: `${repo}/${file}` });
      return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').length;
    };
    const code = (depth: number) => `import { randomSchema } from '${'../'.repeat(depth)}testing/postgres.js';`;
    expect(await testingErrors('src/server.ts', "import { runPrefix } from './testing/run-prefix.js';")).toBe(1);
    expect(await testingErrors('src/adapters/postgres/x.ts', code(2))).toBe(1);
    expect(await testingErrors('src/cli/x.ts', code(1))).toBe(1);
    expect(await testingErrors('src/adapters/postgres/x.test.ts', code(2))).toBe(0);
    expect(await testingErrors('src/testing/x.ts', "import { runPrefix } from './run-prefix.js';")).toBe(0);
  });

  it('leaves tests beside the code free to wire real parts', async () => {
    expect(await layerErrors('src/domain/x.test.ts', "import { SqliteStorage } from '../adapters/sqlite/storage.js';")).toEqual([]);
  });
});
