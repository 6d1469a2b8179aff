/**
 * The fuzzer (issue 12): fast-check throws generated REST bodies (shaped by every command's
 * schema, and garbage), query strings, identifiers from all of Unicode (lone surrogates and
 * controls included) and WebSocket frame sequences at a real server, and checks that
 * - every request gets a well-formed envelope, or every frame a well-formed reply, never a 5xx,
 *   and error texts are plain sentences said once;
 * - the server keeps serving: `GET /healthz` answers within 1 s throughout;
 * - every accepted string comes back byte for byte;
 * - storage holds nothing that would be claimed again and again.
 *
 * Runs with a fixed seed (`FUZZ_SEED` to change it); fast-check prints the seed and the path of
 * any counterexample, so `FUZZ_SEED=<seed>` replays it.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isIdentifier, isUserId, isWellFormed } from '../../src/protocol/identifiers.js';
import type { RestCommand } from '../../src/transport/http/command.js';
import { adminCommands } from '../../src/transport/http/commands/admin.js';
import { callConfigCommands, callPolicyCommands } from '../../src/transport/http/commands/call-config.js';
import { callEngineCommands } from '../../src/transport/http/commands/call-engine.js';
import { callRecordCommands } from '../../src/transport/http/commands/call-record.js';
import { deliveryCommands } from '../../src/transport/http/commands/deliveries.js';
import { OP_SCHEMAS } from '../../src/transport/ws/frames.js';
import { connectUser, type Reply, type TestClient } from '../helpers/client.js';
import { rest, type RestAnswer } from '../helpers/rest.js';
import { arbitraryOf, garbage } from '../helpers/schema-arbitrary.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { anyString, FUZZ_SEED, fuzzParams, identifier, userId } from '../../src/testing/unicode.js';
import { waitFor } from '../helpers/wait.js';

/** Every REST command the server declares (the factories only read their dependencies when a command runs). */
const COMMANDS: RestCommand[] = [
  ...callConfigCommands(null as never, null as never),
  ...callPolicyCommands(null as never),
  ...deliveryCommands(null as never),
  ...callRecordCommands(null as never),
  ...callEngineCommands(null as never),
  ...adminCommands(null as never, null as never),
];

let t: TestServer;
let health: HealthMonitor;
beforeAll(async () => {
  t = await startServer();
  health = new HealthMonitor(t.url);
});
afterAll(async () => {
  health?.stop();
  await t?.close();
});

/** Asks `/healthz` every 100 ms for the whole file; each answer must come within 1 s. */
class HealthMonitor {
  readonly failures: string[] = [];
  checks = 0;
  private stopped = false;
  private readonly done: Promise<void>;

  constructor(private readonly url: string) {
    this.done = this.loop();
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const started = Date.now();
      try {
        const res = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(1000) });
        if (res.status !== 200) this.failures.push(`HTTP ${res.status} at ${new Date(started).toISOString()}`);
        await res.arrayBuffer();
      } catch (err) {
        this.failures.push(`${(err as Error).name} after ${Date.now() - started} ms at ${new Date(started).toISOString()}`);
      }
      this.checks++;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }
}

/** An error text must be one plain sentence: no repeated default, no schema jargon, well-formed. */
function expectPlainSentence(text: string): void {
  expect(text.length).toBeGreaterThan(0);
  expect(isWellFormed(text)).toBe(true);
  expect(text).not.toMatch(/invalid parameter: invalid parameter|^Expected |: Expected /);
}

/** The REST envelope of SPEC §2.1. */
function expectEnvelope(body: unknown): asserts body is RestAnswer {
  expect(body).toMatchObject({
    ActionStatus: expect.stringMatching(/^(OK|FAIL)$/),
    ErrorCode: expect.any(Number),
    ErrorInfo: expect.any(String),
    RequestId: expect.stringMatching(/.+/),
  });
  const e = body as RestAnswer;
  expect(Number.isInteger(e.ErrorCode)).toBe(true);
  if (e.ActionStatus === 'OK') expect([e.ErrorCode, e.ErrorInfo]).toEqual([0, '']);
  else {
    expect(e.ErrorCode).not.toBe(0);
    expectPlainSentence(e.ErrorInfo);
  }
}

/** Bytes of a string as UTF-8, each percent-encoded unless unreserved: how a client puts anything in a URL. */
function percentEncode(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9_~-]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function authQuery(): Record<string, string> {
  return {
    sdkappid: String(t.sdkAppId),
    identifier: 'administrator',
    usersig: t.userSig('administrator'),
    random: '42',
    contenttype: 'json',
  };
}

async function post(path: string, body: string | Uint8Array, query = authQuery()): Promise<Response> {
  const qs = Object.entries(query)
    .map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`)
    .join('&');
  return fetch(`${t.url}/v4/${path}?${qs}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : new Blob([new Uint8Array(body)]),
  });
}

describe('REST bodies for every command', () => {
  const body = (command: RestCommand) =>
    fc.oneof(
      { weight: 8, arbitrary: arbitraryOf(command.body, 0.1).map((v) => JSON.stringify(v) ?? 'null') },
      { weight: 1, arbitrary: anyString(40) },
      { weight: 1, arbitrary: fc.json() },
      {
        weight: 1,
        arbitrary: fc.constantFrom('', '{', '[]', 'null', '{"CallId":', '\u0000', `${'['.repeat(20_000)}${']'.repeat(20_000)}`),
      },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) },
    );
  const request = fc.constantFrom(...COMMANDS).chain((command) => fc.tuple(fc.constant(command.path), body(command)));

  it(`answers each with the envelope, never a 5xx (${COMMANDS.length} commands)`, async () => {
    const seen = new Set<string>();
    let accepted = 0;
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(request, async ([path, text]) => {
        seen.add(path);
        runs++;
        const res = await post(path, text);
        expect(res.status).toBe(200);
        const answer = (await res.json()) as unknown;
        expectEnvelope(answer);
        if (answer.ErrorCode === 0) accepted++;
        // Every command is known: a generated body never turns into "unknown command".
        expect(answer.ErrorCode).not.toBe(60009);
      }),
      fuzzParams(400),
    );
    expect(seen.size).toBe(COMMANDS.length);
    // Enough bodies get past validation to reach the handlers and storage.
    expect(accepted).toBeGreaterThan(runs / 5);
  });
});

describe('REST query strings and paths', () => {
  const names = ['sdkappid', 'identifier', 'usersig', 'random', 'contenttype'];
  const value = fc.oneof(anyString(20), userId, fc.integer().map(String), fc.constantFrom('', 'json', '4294967296', 'administrator'));
  const raw = fc.constantFrom('%ED%A0%80', '%00', '%zz', '%', '&', '=', '+', '%C0%AF', '%F0%9F%98%80', '%FF');
  const request = fc.record({
    method: fc.constantFrom('POST', 'POST', 'POST', 'POST', 'GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'),
    service: fc.oneof(fc.constantFrom('call_config', 'call_engine_http_srv', 'call_record_http_srv', 'dialtone_admin'), anyString(10)),
    command: fc.oneof(fc.constantFrom(...COMMANDS.map((c) => c.path.split('/')[1]!)), anyString(10)),
    changes: fc.array(fc.tuple(fc.oneof(fc.constantFrom(...names), anyString(6)), fc.option(value)), { maxLength: 4 }),
    signFor: fc.boolean(),
    raw: fc.array(raw, { maxLength: 3 }),
  });

  it('answers each with the envelope (or 405 with it), never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const query = new Map<string, string | null>(Object.entries(authQuery()));
        for (const [name, v] of r.changes) query.set(name, v);
        // A valid UserSig for whatever identifier was generated reaches the checks after it.
        const identifier = query.get('identifier');
        if (r.signFor && typeof identifier === 'string') query.set('usersig', t.userSig(identifier));
        const qs = [
          ...[...query].filter((e): e is [string, string] => e[1] !== null).map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`),
          ...r.raw,
        ].join('&');
        const res = await fetch(`${t.url}/v4/${percentEncode(r.service)}/${percentEncode(r.command)}?${qs}`, {
          method: r.method,
          ...(r.method === 'GET' || r.method === 'HEAD' ? {} : { body: '{}', headers: { 'content-type': 'application/json' } }),
        });
        expect(res.status).toBeLessThan(500);
        const text = await res.text();
        if (r.method !== 'HEAD') expectEnvelope(JSON.parse(text));
        // 405 for another method on a command's path; 404 where a generated `..` left /v4 altogether.
        expect([200, 404, 405]).toContain(res.status);
      }),
      fuzzParams(200),
    );
  });
});

describe('identifiers from all of Unicode, through start_call_by_robot', () => {
  const candidate = (valid: fc.Arbitrary<string>) => fc.oneof({ weight: 3, arbitrary: valid }, { weight: 1, arbitrary: anyString(70) });
  const input = fc.record({
    callee: candidate(userId),
    userData: fc.option(anyString(300), { nil: undefined }),
    roomId: fc.option(candidate(identifier), { nil: undefined }),
  });

  it('refuses what the rules refuse, and gives back exactly what it accepted', async () => {
    await fc.assert(
      fc.asyncProperty(input, async ({ callee, userData, roomId }) => {
        const acceptable =
          isUserId(callee) &&
          callee !== 'fuzz-robot' &&
          (userData === undefined || (isWellFormed(userData) && Buffer.byteLength(userData) <= 1000)) &&
          (roomId === undefined || roomId === '' || isIdentifier(roomId));
        // Only a valid id can sign in; it rings there too.
        let client: TestClient | undefined;
        if (acceptable) client = await connectUser(t, callee);
        try {
          const answer = await rest(t, 'call_engine_http_srv/start_call_by_robot', {
            Robot_Account: 'fuzz-robot',
            CalleeList_Account: [callee],
            Timeout: 30_000,
            ...(userData !== undefined ? { UserData: userData } : {}),
            CallInfo: { MediaType: 'Audio', ...(roomId !== undefined ? { RoomId: roomId } : {}) },
          });
          expectEnvelope(answer);
          if (!acceptable) {
            expect(answer.ErrorCode).toBe(101002);
            expect(answer.ErrorInfo).toMatch(/^(CalleeList_Account\[0\]|UserData|CallInfo\.RoomId) /);
            return;
          }
          expect(answer.ErrorCode).toBe(0);
          const response = answer.Response as { CallId: string; CallResult: { Callee_Account: string; ResultCode: number }[] };
          expect(response.CallResult[0]!.Callee_Account).toBe(callee);
          if (response.CallResult[0]!.ResultCode !== 0) return; // busy in a call the other properties left ringing
          const info = await rest(t, 'call_engine_http_srv/get_call_info', { CallId: response.CallId });
          expect(info.Response).toMatchObject({ UserList: [{ User_Account: 'fuzz-robot' }, { User_Account: callee, Status: 'Waiting' }] });
          if (roomId) expect((info.Response as { CallInfo: { RoomId: unknown } }).CallInfo.RoomId).toBe(roomId);
          const ring = await client!.nextEvent('onCallReceived');
          const data = ring.data as { calleeIdList: string[]; info: { userData: string; roomId: unknown } };
          expect(data.calleeIdList).toEqual([callee]);
          expect(data.info.userData).toBe(userData ?? '');
          if (roomId) expect(data.info.roomId).toBe(roomId);
          expect(await rest(t, 'call_engine_http_srv/end_call', { CallId: response.CallId })).toMatchObject({ ErrorCode: 0 });
        } finally {
          client?.close();
        }
      }),
      fuzzParams(60),
    );
  });
});

describe('WebSocket frame sequences', () => {
  // An oversized frame is generated by its size and made at sending, so a counterexample prints short.
  type Sent = { kind: 'text'; text: string } | { kind: 'binary'; data: Uint8Array } | { kind: 'oversized'; bytes: number };
  const oversized = (bytes: number) => JSON.stringify({ id: 'big', op: 'ping', args: { pad: 'x'.repeat(bytes - 40) } });
  const ops = Object.keys(OP_SCHEMAS) as (keyof typeof OP_SCHEMAS)[];
  const id = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), anyString(10), garbage);
  const opFrame = fc
    .constantFrom(...ops)
    .chain((op) =>
      fc.record(
        {
          id,
          op: fc.oneof({ weight: 8, arbitrary: fc.constant<string>(op) }, { weight: 1, arbitrary: anyString(8) }),
          args: arbitraryOf(OP_SCHEMAS[op], 0.1),
        },
        { requiredKeys: ['op'] },
      ),
    )
    .map((f): Sent => ({ kind: 'text', text: JSON.stringify(f) }));
  const frame: fc.Arbitrary<Sent> = fc.oneof(
    { weight: 10, arbitrary: opFrame },
    { weight: 1, arbitrary: anyString(40).map((text): Sent => ({ kind: 'text', text })) },
    { weight: 1, arbitrary: fc.json().map((text): Sent => ({ kind: 'text', text })) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 32 }).map((data): Sent => ({ kind: 'binary', data })) },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 64 * 1024 + 1, max: 80_000 }).map((bytes): Sent => ({ kind: 'oversized', bytes })),
    },
  );

  /** The id a reply to `sent` carries: the frame's own when usable, else null. */
  function replyId(sent: Sent): unknown {
    if (sent.kind === 'binary') return null;
    if (sent.kind === 'oversized') return 'big';
    let parsed: unknown;
    try {
      // On the wire the text is UTF-8: an unpaired surrogate in it arrives as U+FFFD.
      parsed = JSON.parse(Buffer.from(sent.text, 'utf8').toString('utf8'));
    } catch {
      return null;
    }
    const v = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as { id?: unknown }).id : undefined;
    if (typeof v === 'number') return v;
    return typeof v === 'string' && v.length <= 128 && isWellFormed(v) ? v : null;
  }

  let n = 0;
  it('answers every frame with one well-formed reply and keeps the socket', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 8 }), async (frames) => {
        const c = await connectUser(t, `fuzz-ws-${n++}`);
        try {
          for (const f of frames) {
            if (f.kind === 'binary') c.ws.send(f.data, { binary: true });
            else c.ws.send(f.kind === 'text' ? f.text : oversized(f.bytes));
          }
          await waitFor(() => c.replies.length >= frames.length || c.closeCode !== undefined, 10_000, `${frames.length} replies`);
          expect(c.closeCode).toBeUndefined();
          expect(c.replies).toHaveLength(frames.length);
          for (const r of c.replies as Reply[]) {
            if (r.ok) expect(r.result).toEqual(expect.any(Object));
            else {
              expect(Number.isInteger(r.code)).toBe(true);
              expectPlainSentence(r.message!);
            }
          }
          const key = (v: unknown) => JSON.stringify(v ?? null);
          expect(c.replies.map((r) => key(r.id)).sort()).toEqual(frames.map((f) => key(replyId(f))).sort());
          expect(await c.request('ping')).toMatchObject({ ok: true });
        } finally {
          c.close();
        }
      }),
      fuzzParams(50),
    );
  });
});

/**
 * The "no row is claimed again and again" invariant. A row the workers cannot settle (as timers
 * keyed by a lone-surrogate id once were: stored as U+FFFD, never found again by the key they were
 * claimed with) is quarantined and counted in `dialtone_quarantined_rows_total` (issue 12, the
 * worker hardening): when the server has that metric, it must be 0. Independently of it, every
 * timer left in storage must be one that can be taken, once, by the key it reads back with, and
 * every live call's members must be found by their ids in the member index.
 */
async function expectNoRowClaimedRepeatedly(server: TestServer): Promise<void> {
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  const quarantined = metrics
    .split('\n')
    .filter((line) => line.startsWith('dialtone_quarantined_rows_total'))
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
  expect(quarantined).toBe(0);

  const storage = server.server.storage;
  const later = Date.now() + 24 * 3600 * 1000;
  const { timers } = await storage.transaction((tx) => tx.timers.claimDue(later, later + 60_000, 100_000));
  for (const timer of timers) {
    expect(isUserId(timer.userId) && isIdentifier(timer.callId)).toBe(true);
    expect(await storage.transaction((tx) => tx.timers.take(timer))).toBe(true);
  }
  const live = await storage.transaction((tx) => tx.calls.listLive());
  for (const call of live) {
    const members = call.members.filter((m) => !(call.robotCaller && m.userId === call.callerId)).map((m) => m.userId);
    const busy = await storage.transaction((tx) => tx.calls.busyUsers(call.sdkAppId, members));
    expect([...busy].sort()).toEqual([...members].sort());
  }
}

describe('after the run', () => {
  it('kept serving throughout, and storage holds nothing claimed again and again', async () => {
    await health.stop();
    expect(health.failures, `seed ${FUZZ_SEED}`).toEqual([]);
    expect(health.checks).toBeGreaterThan(0);
    await expectNoRowClaimedRepeatedly(t);
  });
});
