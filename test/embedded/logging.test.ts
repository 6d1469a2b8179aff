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

/** A stream that keeps what is written to it, one chunk (a log line) per entry of `lines`. */
function memorySink(lines: string[]): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
}

describe('createLogger', () => {
  it('redacts the TURN secret and TURN credentials, in a configuration or an answer', () => {
    const lines: string[] = [];
    const sink = memorySink(lines);
    const log = createLogger('info', sink);
    const iceServers = [{ urls: ['turn:t'], username: '1:alice', credential: 'cred-very-secret' }];
    log.info({ turnSecret: 'turn-very-secret', iceServers }, 'top level');
    log.info({ config: { turnSecret: 'turn-very-secret', iceServers }, answer: { iceServers, ttl: 60 } }, 'nested');
    expect(lines).toHaveLength(2);
    expect(lines.join('')).not.toMatch(/very-secret/);
    expect(lines.join('')).toContain('1:alice');
  });
});

describe('logs of a busy server', () => {
  let t: TestServer;
  const lines: string[] = [];
  beforeAll(async () => {
    const sink = memorySink(lines);
    // The production logger, written to memory at the most verbose level.
    const log = createLogger('trace', sink);
    t = await startServer({
      config: { dev: true, logLevel: 'trace', turnUrls: ['turn:127.0.0.1:3478'], turnSecret: 'turn-very-secret' },
      overrides: { log },
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('never contain a UserSig, the SecretKey, the webhook secret, the callback token, the TURN secret or TURN credentials', async () => {
    let turnCredential: string | undefined;
    let callId: string | undefined;
    const receiver = await new Receiver().start();
    try {
      receiver.mode = 'fail500';
      await rest(t, 'call_config/set_callback', { Url: receiver.url, CallbackCommandList: ['Call.CallbackAfterStartCall'] });
      await rest(t, 'call_config/set_callback_token', { Token: 'tok-very-secret', IsTokenEnable: true });
      await rest(t, 'call_config/get_callback', {}, { usersig: 'garbage' });
      const alice = await connectUser(t, 'alice');
      const call = await alice.request('calls', { userIdList: ['bob'], mediaType: 'Audio' });
      callId = (call.result as { callId: string }).callId;
      await rest(t, 'call_engine_http_srv/end_call', { CallId: callId });
      // A socket refused at sign-in: the server closes it right after the upgrade.
      const refused = await connectUser(t, 'mallory', { usersig: 'not-a-usersig' });
      await refused.closed();
      const ice = await alice.request('getIceServers', {});
      turnCredential = (ice.result as { iceServers: { credential: string }[] }).iceServers[0]!.credential;
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
    expect(all).not.toContain('turn-very-secret');
    expect(turnCredential).toMatch(/^[A-Za-z0-9+/]{27}=$/);
    expect(all).not.toContain(turnCredential!);

    // The lines an operator follows: connections, refused sign-ins, calls, configuration changes.
    await waitFor(() => lines.some((l) => l.includes('"connection closed"')), 5000, 'the closed connection to be logged');
    const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const of = (msg: string) => entries.filter((e) => e.msg === msg);
    expect(of('connection accepted')).toContainEqual(
      expect.objectContaining({ sdkAppId: t.sdkAppId, userId: 'alice', platform: 'Unknown' }),
    );
    expect(of('connection closed')).toContainEqual(
      expect.objectContaining({ userId: 'alice', reason: expect.stringMatching(/^closed by the client/) }),
    );
    expect(of('sign-in refused')).toContainEqual(
      expect.objectContaining({ surface: 'rest', command: 'call_config/get_callback', code: expect.any(Number) }),
    );
    expect(of('sign-in refused')).toContainEqual(expect.objectContaining({ surface: 'ws', code: expect.any(Number) }));
    expect(of('call started')).toContainEqual(expect.objectContaining({ callId, mediaType: 'Audio', members: ['alice', 'bob'] }));
    expect(of('call ended')).toContainEqual(expect.objectContaining({ callId, result: 'Cancel', durationSeconds: 0 }));
    expect(of('configuration changed')).toContainEqual(
      expect.objectContaining({ who: 'administrator', command: 'call_config/set_callback_token', fields: ['Token', 'IsTokenEnable'] }),
    );
  });
});
