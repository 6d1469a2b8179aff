/** A CLI command whose reader stops early (`dialtone deliveries list | head -5`) ends quietly. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliClosedStdout } from '../helpers/cli.js';
import { rest } from '../helpers/rest.js';
import { startServer, type TestServer } from '../helpers/server.js';

let t: TestServer;
let env: Record<string, string>;
beforeAll(async () => {
  t = await startServer();
  env = { DIALTONE_URL: t.url, DIALTONE_SDKAPPID: String(t.sdkAppId), DIALTONE_SECRET_KEY: t.secretKey };
  // Something for the list commands to print.
  await rest(t, 'call_config/set_callback', { Url: 'http://127.0.0.1:9/cb', CallbackCommandList: ['Call.CallbackAfterStartCall'] });
  await rest(t, 'call_engine_http_srv/start_call_by_robot', {
    Robot_Account: 'robot',
    CalleeList_Account: ['carol'],
    Timeout: 30_000,
    CallInfo: { MediaType: 'Audio' },
  });
});
afterAll(async () => {
  await t.close();
});

describe('a closed stdout', () => {
  it.each(
    [
      ['deliveries', 'list'],
      ['deliveries', 'list', '--json'],
      ['records', 'list'],
      ['callback', 'get'],
      ['app', 'list'],
      ['usersig', 'alice'],
      ['--help'],
    ].map((args) => [args.join(' '), args] as const),
  )('ends dialtone %s quietly with exit code 0', async (_name, args) => {
    const { code, stderr } = await runCliClosedStdout([...args], env);
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});
