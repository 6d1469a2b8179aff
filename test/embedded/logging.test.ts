/** Secrets never appear in logs: UserSigs, SecretKeys, webhook secrets, callback tokens. */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, scrubUrl } from '../../src/logger.js';
import { connectUser } from '../helpers/client.js';
import { Receiver } from '../helpers/receiver.js';
import { rest } from '../helpers/rest.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

describe('scrubUrl', () => {
  it('redacts usersig and Sign query values', () => {
    expect(scrubUrl('/v4/a/b?sdkappid=1&usersig=eJx*abc_&random=2')).toBe('/v4/a/b?sdkappid=1&usersig=[redacted]&random=2');
    expect(scrubUrl('http://x/cb?RequestTime=1&Sign=abcdef')).toBe('http://x/cb?RequestTime=1&Sign=[redacted]');
  });
});

describe('logs of a busy server', () => {
  let t: TestServer;
  const lines: string[] = [];
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    // The production logger, written to memory at the most verbose level.
    const log = createLogger('trace', sink);
    t = await startServer({ config: { dev: true, logLevel: 'trace' }, overrides: { log } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('never contain a UserSig, the SecretKey, the webhook secret or the callback token', async () => {
    const receiver = await new Receiver().start();
    try {
      receiver.mode = 'fail500';
      await rest(t, 'call_config/set_callback', { Url: receiver.url, CallbackCommandList: ['Call.CallbackAfterStartCall'] });
      await rest(t, 'call_config/set_callback_token', { Token: 'tok-very-secret', IsTokenEnable: true });
      await rest(t, 'call_config/get_callback', {}, { usersig: 'garbage' });
      const alice = await connectUser(t, 'alice');
      await alice.request('calls', { userIdList: ['bob'], mediaType: 'Audio' });
      await receiver.waitForCount(1);
      await waitFor(() => lines.some((l) => l.includes('callback attempt failed')), 5000, 'the failed attempt to be logged');
      alice.close();
    } finally {
      await receiver.close();
    }
    const all = lines.join('');
    expect(all).toContain('/v4/call_config/set_callback');
    expect(all).not.toContain(t.userSig('administrator').slice(0, 40));
    expect(all).not.toMatch(/usersig=eJ/);
    expect(all).not.toContain(t.secretKey);
    expect(all).not.toContain(t.server.apps.get(t.sdkAppId)!.webhookSecret);
    expect(all).not.toContain('tok-very-secret');
  });
});
