import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { verifyCallback } from '../../src/receiver/index.js';
import { CliProcess, runCli, runEach } from '../helpers/cli.js';
import { connectUser, type TestClient } from '../helpers/client.js';
import { Receiver } from '../helpers/receiver.js';
import { rest } from '../helpers/rest.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Tests that spawn dozens of CLI processes at once (each a Node.js start-up of ~0.4 s of CPU) get
 * more than the default 20 s: on a 2-core machine running the rest of the suite beside them, the
 * processes alone can take that long. It bounds a hang; it is not a performance check.
 */
const CLI_PROCESSES_TIMEOUT_MS = 180_000;

let t: TestServer;
let dir: string;
let env: Record<string, string>;
const receivers: Receiver[] = [];
const procs: CliProcess[] = [];
const clients: TestClient[] = [];

beforeAll(async () => {
  t = await startServer();
  dir = mkdtempSync(join(tmpdir(), 'dialtone-cli-'));
  env = {
    DIALTONE_URL: t.url,
    DIALTONE_SDKAPPID: String(t.sdkAppId),
    DIALTONE_SECRET_KEY: t.secretKey,
    DIALTONE_CONFIG: join(dir, 'profiles.json'),
  };
});

afterEach(async () => {
  for (const p of procs.splice(0)) await p.stop();
  for (const c of clients.splice(0)) c.close();
  for (const r of receivers.splice(0)) await r.close();
  await rest(t, 'call_config/delete_callback');
});

afterAll(async () => {
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

const cli = (...args: string[]) => runCli(args, env);
const json = async (...args: string[]) => {
  const r = await cli(...args, '--json');
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Record<string, any>;
};
/** A failure is one line on stderr, `dialtone: …`, and a non-zero exit code. */
const failsWith = async (args: string[], pattern: RegExp, extraEnv: Record<string, string> = {}) => {
  const r = await runCli(args, { ...env, ...extraEnv });
  expect(r.code).not.toBe(0);
  expect(r.stdout).toBe('');
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(/^dialtone: /);
  expect(r.stderr).toMatch(pattern);
};

async function receiver(): Promise<Receiver> {
  const r = await new Receiver().start();
  receivers.push(r);
  return r;
}

/** A real 1-to-1 call over WebSockets: alice calls bob, bob accepts, alice hangs up. */
async function oneToOneCall(): Promise<string> {
  const alice = await connectUser(t, 'alice');
  const bob = await connectUser(t, 'bob');
  clients.push(alice, bob);
  const started = await alice.request('calls', { userIdList: ['bob'], mediaType: 'Audio' });
  const callId = started.result!.callId as string;
  await bob.nextEvent('onCallReceived');
  expect((await bob.request('accept', { callId })).ok).toBe(true);
  expect((await alice.request('hangup', { callId })).ok).toBe(true);
  return callId;
}

const SUBCOMMANDS = [
  ['serve'],
  ['usersig'],
  ['login'],
  ['app', 'create'],
  ['app', 'list'],
  ['app', 'show'],
  ['callback', 'set'],
  ['callback', 'get'],
  ['callback', 'delete'],
  ['callback', 'token', 'set'],
  ['callback', 'token', 'get'],
  ['callback', 'token', 'delete'],
  ['callback', 'policy', 'get'],
  ['callback', 'policy', 'set'],
  ['callback', 'secret', 'get'],
  ['callback', 'secret', 'rotate'],
  ['records', 'get'],
  ['records', 'list'],
  ['call', 'info'],
  ['call', 'end'],
  ['call', 'robot'],
  ['call', 'policy', 'get'],
  ['call', 'policy', 'set'],
  ['deliveries', 'list'],
  ['deliveries', 'show'],
  ['deliveries', 'resend'],
  ['deliveries', 'resend-failed'],
  ['listen'],
  ['trigger'],
];

// Each test runs several CLI processes one after another (a Node start each, about a second, more
// on a loaded machine, several): the default 20 s is too tight for a CI machine running browsers.
describe('dialtone CLI', { timeout: 120_000 }, () => {
  it(
    'gives every command --help with examples, and --json on every server command',
    async () => {
      const results = await runEach(SUBCOMMANDS, (c) => cli(...c, '--help'));
      results.forEach((r, i) => {
        expect(r.code, SUBCOMMANDS[i]!.join(' ')).toBe(0);
        expect(r.stdout, SUBCOMMANDS[i]!.join(' ')).toMatch(/Examples:\n {2}dialtone /);
        if (!['serve', 'login', 'usersig'].includes(SUBCOMMANDS[i]![0]!)) expect(r.stdout, SUBCOMMANDS[i]!.join(' ')).toContain('--json');
      });
    },
    CLI_PROCESSES_TIMEOUT_MS,
  );

  it('sets, reads and deletes the callback configuration, token, policy and webhook secret', async () => {
    const r = await cli('callback', 'set', 'http://127.0.0.1:9/cb', '--commands', 'start,end');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('callback set: http://127.0.0.1:9/cb');
    expect(await json('callback', 'get')).toEqual({
      Url: 'http://127.0.0.1:9/cb',
      CallbackCommandList: ['Call.CallbackAfterStartCall', 'Call.CallbackAfterEndCall'],
    });
    expect((await cli('callback', 'delete')).code).toBe(0);
    await failsWith(['callback', 'get'], /ErrorCode 100301: no callback configuration is set/);

    expect((await cli('callback', 'token', 'set', 'tok-123')).code).toBe(0);
    expect(await json('callback', 'token', 'get')).toEqual({ Token: 'tok-123', IsTokenEnable: true });
    expect((await cli('callback', 'token', 'delete')).code).toBe(0);
    await failsWith(['callback', 'token', 'get'], /ErrorCode 100301/);

    const policy = await json(
      'callback',
      'policy',
      'set',
      '--mode',
      'reference',
      '--timeout',
      '5000',
      '--schedule',
      '1,2,3',
      '--ordering',
      'off',
    );
    expect(policy).toMatchObject({ Mode: 'Reference', TimeoutMs: 5000, RetryScheduleSeconds: [1, 2, 3], Ordering: false });
    expect(await json('callback', 'policy', 'get')).toEqual(policy);
    await json('callback', 'policy', 'set', '--mode', 'Retry', '--ordering', 'on');

    const before = await json('callback', 'secret', 'get');
    const rotated = await json('callback', 'secret', 'rotate');
    expect(rotated.Secret).toMatch(/^whsec_/);
    expect(rotated.Secret).not.toBe(before.Secret);
    expect(await json('callback', 'secret', 'get')).toMatchObject({ Secret: rotated.Secret, PreviousSecret: before.Secret });
  });

  it('rejects bad option values before contacting the server', async () => {
    const r = await cli('callback', 'policy', 'set', '--timeout', '5');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("option '--timeout <ms>' argument '5' is invalid");
  });

  it('creates, lists and shows apps as the operator; another app’s administrator is refused', async () => {
    const created = await json('app', 'create', '--new-sdkappid', '1400000777', '--admins', 'ops,alice');
    expect(created).toMatchObject({ SdkAppId: 1400000777, Admins: ['ops', 'alice'], Operator: false });
    expect(created.SecretKey).toMatch(/^[0-9a-f]{64}$/);
    expect(created.WebhookSecret).toMatch(/^whsec_/);
    const list = await json('app', 'list');
    expect(list.AppList.map((a: { SdkAppId: number }) => a.SdkAppId)).toEqual(expect.arrayContaining([t.sdkAppId, 1400000777]));
    const shown = await json('app', 'show', '1400000777');
    expect(shown.App).toEqual({ SdkAppId: 1400000777, Admins: ['ops', 'alice'], CreateTimeMs: expect.any(Number), Operator: false });
    expect(JSON.stringify(shown)).not.toContain(created.SecretKey);
    await failsWith(['app', 'show', '1400000778'], /ErrorCode 70020: SDKAppID not found/);
    await failsWith(['app', 'create', '--new-sdkappid', '1400000777'], /ErrorCode 100002/);
    // The new app's own administrator manages its callbacks, but not the server's apps.
    const asNewApp = { DIALTONE_SDKAPPID: '1400000777', DIALTONE_SECRET_KEY: created.SecretKey, DIALTONE_ADMIN: 'ops' };
    expect((await runCli(['callback', 'policy', 'get'], { ...env, ...asNewApp })).code).toBe(0);
    await failsWith(['app', 'list'], /ErrorCode 60010: identifier is not an administrator of the operator app/, asNewApp);
  });

  it('reports a bad key, an unknown CallId and a server that is down as one line and a non-zero exit', async () => {
    await failsWith(['callback', 'policy', 'get'], /ErrorCode 70009/, { DIALTONE_SECRET_KEY: 'not-the-key-at-all' });
    await failsWith(['records', 'get', 'no-such-call'], /ErrorCode 101050: no record for this CallId/);
    await failsWith(['call', 'info', 'no-such-call'], /ErrorCode 101004/);
    await failsWith(['call', 'end', 'no-such-call'], /ErrorCode 101004/);
    await failsWith(['deliveries', 'show', 'msg_nope'], /ErrorCode 100002|ErrorCode 100301/);
    await failsWith(['records', 'list'], /cannot reach Dialtone at http:\/\/127\.0\.0\.1:1: ECONNREFUSED/, {
      DIALTONE_URL: 'http://127.0.0.1:1',
    });
    await failsWith(['callback', 'get', '--url', 'http://127.0.0.1:1'], /cannot reach Dialtone/);
  });

  it(
    'fails every server command with one line and a non-zero exit for a bad key and for a server that is down',
    async () => {
      const commands = [
        ['callback', 'set', 'http://127.0.0.1:9/cb'],
        ['callback', 'get'],
        ['callback', 'delete'],
        ['callback', 'token', 'set', 'tok'],
        ['callback', 'token', 'get'],
        ['callback', 'token', 'delete'],
        ['callback', 'policy', 'get'],
        ['callback', 'policy', 'set', '--timeout', '1000'],
        ['callback', 'secret', 'get'],
        ['callback', 'secret', 'rotate'],
        ['records', 'get', 'some-call'],
        ['records', 'list'],
        ['call', 'info', 'some-call'],
        ['call', 'end', 'some-call'],
        ['call', 'robot', '--robot', 'bot', '--callees', 'carol'],
        ['call', 'policy', 'get'],
        ['call', 'policy', 'set', '--open-group-join', 'on'],
        ['deliveries', 'list'],
        ['deliveries', 'show', 'msg_x'],
        ['deliveries', 'resend', 'msg_x'],
        ['deliveries', 'resend-failed', '--since', '1h'],
        ['app', 'create'],
        ['app', 'list'],
        ['app', 'show', '1400000000'],
        ['listen', '--port', '0'],
        ['trigger', 'start', '--url', 'http://127.0.0.1:9/cb', '--from-server'],
      ];
      const cases = [
        { env: { DIALTONE_SECRET_KEY: 'not-the-key-at-all' }, error: /^dialtone: ErrorCode 70009: /, json: false },
        {
          env: { DIALTONE_URL: 'http://127.0.0.1:1' },
          error: /^dialtone: cannot reach Dialtone at http:\/\/127\.0\.0\.1:1: ECONNREFUSED$/,
          json: true,
        },
      ];
      for (const c of cases) {
        const runs = await runEach(commands, (args) => runCli(c.json ? [...args, '--json'] : args, { ...env, ...c.env }));
        runs.forEach((r, i) => {
          const what = `${commands[i]!.join(' ')} with ${JSON.stringify(c.env)}`;
          expect(r.code, what).toBe(1);
          expect(r.stdout, what).toBe('');
          expect(r.stderr.trimEnd().split('\n'), what).toHaveLength(1);
          expect(r.stderr.trimEnd(), what).toMatch(c.error);
        });
      }
      // Nothing was changed by the refused commands.
      await failsWith(['callback', 'get'], /ErrorCode 100301/);
      expect((await rest(t, 'call_config/get_call_policy')).Response).toEqual({ OpenGroupJoin: false });
    },
    CLI_PROCESSES_TIMEOUT_MS,
  );

  it('reads and sets the call policy, which decides whether a user never invited may join a group call', async () => {
    expect(await json('call', 'policy', 'get')).toEqual({ OpenGroupJoin: false });
    expect((await cli('call', 'policy', 'get')).stdout).toBe('OpenGroupJoin  false\n');
    const alice = await connectUser(t, 'alice');
    const bob = await connectUser(t, 'bob');
    const mallory = await connectUser(t, 'mallory');
    clients.push(alice, bob, mallory);
    const callId = (await alice.request('calls', { userIdList: ['bob', 'carol'], mediaType: 'Audio' })).result!.callId as string;
    expect((await bob.request('accept', { callId })).ok).toBe(true);
    expect(await mallory.request('join', { callId })).toMatchObject({ ok: false, code: -1203 });
    try {
      expect(await json('call', 'policy', 'set', '--open-group-join', 'on')).toEqual({ OpenGroupJoin: true });
      expect(await json('call', 'policy', 'get')).toEqual({ OpenGroupJoin: true });
      expect((await mallory.request('join', { callId })).ok).toBe(true);
    } finally {
      const off = await cli('call', 'policy', 'set', '--open-group-join', 'off');
      expect(off.code).toBe(0);
      expect(off.stdout).toBe('OpenGroupJoin  false\n');
    }
    for (const c of [alice, bob, mallory]) await c.request('hangup', { callId });
  });

  it('refuses a call policy set without --open-group-join on|off before contacting the server', async () => {
    const bad = await cli('call', 'policy', 'set', '--open-group-join', 'maybe');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("option '--open-group-join <on|off>' argument 'maybe' is invalid");
    const missing = await cli('call', 'policy', 'set');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("required option '--open-group-join <on|off>' not specified");
    expect((await rest(t, 'call_config/get_call_policy')).Response).toEqual({ OpenGroupJoin: false });
  });

  it('starts a robot call, shows it live, ends it, and reads its record', async () => {
    const started = await json('call', 'robot', '--robot', 'bot', '--callees', 'carol', '--timeout', '60');
    expect(started.CallResult).toEqual([{ Callee_Account: 'carol', ResultCode: 0 }]);
    const info = await json('call', 'info', started.CallId);
    expect(info.UserList).toEqual([
      { User_Account: 'bot', Status: 'Calling' },
      { User_Account: 'carol', Status: 'Waiting' },
    ]);
    const human = await cli('call', 'info', started.CallId);
    expect(human.stdout).toMatch(/carol\s+Waiting/);
    expect((await cli('call', 'end', started.CallId)).stdout).toContain(`call ${started.CallId} ended`);
    const record = await json('records', 'get', started.CallId);
    expect(record.CallRecord).toMatchObject({ CallId: started.CallId, Caller_Account: 'bot', CallResult: 'Cancel' });
    const list = await json('records', 'list', '--from', '1h', '--result', 'Cancel');
    expect(list.CallRecordList.map((r: { CallId: string }) => r.CallId)).toContain(started.CallId);
    const table = await cli('records', 'list', '--from', '1h');
    expect(table.stdout).toMatch(new RegExp(`${started.CallId}\\s+bot\\s+SingleCall`));
  });

  it('lists, shows and resends deliveries, and follows resend-failed to the end with progress', async () => {
    const r = await receiver();
    r.mode = 'fail500';
    await json('callback', 'policy', 'set', '--mode', 'Reference');
    await json('callback', 'set', r.url);
    const callId = await oneToOneCall();
    const failed = async () =>
      (await json('deliveries', 'list', '--status', 'failed', '--call-id', callId)).DeliveryList as { CallbackId: string }[];
    await waitFor(() => r.received.length >= 4, 10_000, 'four failed attempts');
    let list: { CallbackId: string }[] = [];
    for (const deadline = Date.now() + 10_000; list.length < 4 && Date.now() < deadline;) list = await failed();
    expect(list).toHaveLength(4);

    const shown = await json('deliveries', 'show', list[0]!.CallbackId);
    expect(shown.Delivery).toMatchObject({ CallbackId: list[0]!.CallbackId, CallId: callId, Status: 'failed', Attempts: 1 });
    expect(shown.AttemptList).toEqual([expect.objectContaining({ Attempt: 1, HttpStatus: 500, Error: 'HTTP 500' })]);

    r.mode = 'ok';
    expect((await cli('deliveries', 'resend', list[0]!.CallbackId)).stdout).toContain('queued for sending');
    await waitFor(
      () => r.received.filter((c) => c.headers['webhook-id'] === list[0]!.CallbackId).length === 2,
      10_000,
      'the resent callback',
    );

    const since = String(Date.now() - 60_000);
    const run = await runCli(['deliveries', 'resend-failed', '--since', since, '--wait', '30'], env);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^resending 3 failed callbacks created since /);
    expect(run.stderr).toMatch(/3 delivered, 0 pending, 0 failed again/);
    expect(run.stdout.trim()).toBe('3 queued; 0 still pending, 0 failed again');
    expect((await json('deliveries', 'list', '--call-id', callId, '--status', 'delivered')).TotalNum).toBe(4);
    await json('callback', 'policy', 'set', '--mode', 'Retry');
  });

  it('lists cancelled deliveries with their reason, and refuses to resend one the configuration does not cover', async () => {
    const r = await receiver();
    r.mode = 'fail500';
    await json('callback', 'policy', 'set', '--schedule', '60');
    await json('callback', 'set', r.url);
    const callId = await oneToOneCall();
    await waitFor(() => r.received.length >= 1, 10_000, 'the first failed attempt');
    await json('callback', 'delete');
    const list = await json('deliveries', 'list', '--status', 'cancelled', '--call-id', callId);
    expect(list.TotalNum).toBe(4);
    const table = await cli('deliveries', 'list', '--status', 'cancelled', '--call-id', callId);
    expect(table.stdout).toMatch(/cancelled\s+0\s+.*cancelled by delete_callback/);
    await failsWith(['deliveries', 'resend', list.DeliveryList[0].CallbackId], /ErrorCode 100002/);
    await json('callback', 'policy', 'set', '--schedule', '5,30,120,600,1800,3600,7200,21600,43200');
  });

  it('logs in: checks the credentials, saves a profile readable by its owner only, and later commands use it', async () => {
    const profiles = join(dir, 'login-profiles.json');
    const bare = { DIALTONE_CONFIG: profiles };
    const bad = await runCli(['login', '--url', t.url, '--sdkappid', String(t.sdkAppId), '--secret-key', 'wrong-key-wrong-key'], bare);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/ErrorCode 70009/);
    const ok = await runCli(
      ['login', '--url', t.url, '--sdkappid', String(t.sdkAppId), '--secret-key', t.secretKey, '--profile', 'local'],
      bare,
    );
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('saved profile "local"');
    expect(statSync(profiles).mode & 0o777).toBe(0o600);
    // No URL, app or key in the environment: the profile supplies them.
    const used = await runCli(['callback', 'policy', 'get', '--json'], bare);
    expect(used.code).toBe(0);
    expect(JSON.parse(used.stdout)).toMatchObject({ Mode: 'Retry' });
    await failsWith(['callback', 'policy', 'get', '--profile', 'nope'], /no profile "nope"/, bare);
  });

  it('listen --configure receives a real call’s callbacks, verifies and prints them, and restores the configuration on exit', async () => {
    await rest(t, 'call_config/set_callback_token', { Token: 'listen-token', IsTokenEnable: true });
    await json('callback', 'set', 'http://127.0.0.1:9/previous');
    const listen = new CliProcess(['listen', '--port', '0', '--configure'], env);
    procs.push(listen);
    await listen.waitStderr(/Ready: listening on (\S+) \(verifying SdkAppid \d+, Sign, webhook-signature\)/);
    const callId = await oneToOneCall();
    await waitFor(() => listen.lines().some((l) => l.includes('EndCall')), 10_000, 'EndCall printed');
    const lines = listen.lines();
    expect(lines[0]).toMatch(new RegExp(`StartCall +${callId} +Audio +alice:Calling bob:Waiting +✓ verified$`));
    expect(lines).toContainEqual(
      expect.stringMatching(new RegExp(`MemberChanged +${callId} +bob Accept +→ alice:Calling bob:Calling +✓ verified$`)),
    );
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`EndCall +${callId} +NormalEnd +caller alice, members alice,bob`)));
    expect(await listen.stop()).toBe(0);
    expect(await json('callback', 'get')).toMatchObject({ Url: 'http://127.0.0.1:9/previous' });
    await rest(t, 'call_config/delete_callback_token');
  });

  it('listen --forward relays each callback to the app and answers with the app’s answer; --json prints raw lines', async () => {
    const app = await receiver();
    const listen = new CliProcess(['listen', '--port', '0', '--forward', app.url, '--json'], env);
    procs.push(listen);
    const [, url] = await listen.waitStderr(/Ready: listening on (\S+) /);
    await json('callback', 'set', url!);
    const callId = await oneToOneCall();
    await waitFor(() => app.received.length === 4 && listen.lines().length === 4, 10_000, 'four callbacks relayed');
    const printed = listen.lines().map((l) => JSON.parse(l) as Record<string, any>);
    expect(printed.map((p) => p.body.CallbackCommand)).toEqual([
      'Call.CallbackAfterStartCall',
      'Call.CallbackAfterMemberChanged',
      'Call.CallbackAfterMemberChanged',
      'Call.CallbackAfterEndCall',
    ]);
    for (const p of printed) {
      expect(p).toMatchObject({ verified: true, forward: { status: 200, answer: '{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}' } });
      expect(p.headers['webhook-id']).toMatch(/^msg_/);
    }
    // The app got the same query, webhook headers and body the listener got.
    expect(app.received.map((c) => c.headers['webhook-id'])).toEqual(printed.map((p) => p.headers['webhook-id']));
    expect(app.received[0]!.query.get('SdkAppid')).toBe(String(t.sdkAppId));
    expect(
      app.received.every((c) => (c.body.CallId ?? (c.body.CallInfo as any)?.CallId ?? (c.body.CallRecord as any)?.CallId) === callId),
    ).toBe(true);

    // The app refusing is passed back, so the server records a failed attempt.
    app.mode = 'fail500';
    const sent = await runCli(['trigger', 'start', '--url', url!, '--from-server'], env);
    expect(sent.code).not.toBe(0);
    expect(sent.stdout).toContain('→ HTTP 500');
  });

  it(
    'trigger sends every command, result and action, signed so the receiver library verifies it',
    async () => {
      const r = await receiver();
      const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
      const cases: { args: string[]; command: string; check: (cb: any) => void }[] = [
        {
          args: ['start', '--media', 'Video'],
          command: 'Call.CallbackAfterStartCall',
          check: (cb) => expect(cb.callInfo.MediaType).toBe('Video'),
        },
        ...['Accept', 'Reject', 'NotAnswer', 'Hangup', 'Join', 'Offline', 'Invite', 'Cancel_Invite'].map((a) => ({
          args: ['member', '--action', a],
          command: 'Call.CallbackAfterMemberChanged',
          check: (cb: any) => expect(cb.changedUserList[0].ActionType).toBe(a),
        })),
        ...['Cancel', 'Reject', 'NotAnswer', 'NormalEnd', 'CallBusy', 'Interrupt', 'Offline'].map((res) => ({
          args: ['end', '--result', res],
          command: 'Call.CallbackAfterEndCall',
          check: (cb: any) => expect(cb.callRecord.CallResult).toBe(res),
        })),
      ];
      const runs = await runEach(cases, (c) =>
        cli('trigger', ...c.args, '--url', r.url, '--token', 'tok', '--webhook-secret', secret, '--app-id', '1400000042'),
      );
      runs.forEach((run, i) => {
        expect(run.code, cases[i]!.args.join(' ')).toBe(0);
        expect(run.stdout).toContain('→ HTTP 200 {"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}');
      });
      expect(r.received).toHaveLength(cases.length);
      for (const got of r.received) {
        const cb = await verifyCallback(
          { url: `${got.path}?${got.query}`, headers: got.headers, rawBody: got.rawBody },
          { sdkAppId: 1400000042, token: 'tok', webhookSecret: secret },
        );
        const c = cases.find((k) => k.command === cb.command && got.rawBody.includes(`"${k.args[2]}"`));
        expect(c, got.rawBody).toBeDefined();
        c!.check(cb);
      }
      await failsWith(['trigger', 'end', '--url', 'http://127.0.0.1:1/cb'], /cannot reach http:\/\/127\.0\.0\.1:1: ECONNREFUSED/);
      await failsWith(['trigger', 'nonsense', '--url', r.url], /'nonsense' is invalid/);
    },
    CLI_PROCESSES_TIMEOUT_MS,
  );
});
