/**
 * A call scenario over real interfaces: a real server (with a clock the test moves), real
 * WebSocket clients, a real callback receiver, and the REST API for records.
 */
import type { CallRecord } from '../../src/domain/types.js';
import { connectUser, type TestClient } from './client.js';
import { Receiver, type ReceivedCallback } from './receiver.js';
import { rest } from './rest.js';
import { startServer, type TestServer } from './server.js';
import { waitFor } from './wait.js';

/** Every callback command. */
export const ALL_COMMANDS = ['Call.CallbackAfterStartCall', 'Call.CallbackAfterMemberChanged', 'Call.CallbackAfterEndCall'];

/** A clock the test moves by hand. */
export class ManualClock {
  private offset = 0;
  now = (): number => Date.now() + this.offset;
  /** Moves time forward by `ms`. */
  advance(ms: number): void {
    this.offset += ms;
  }
}

/** One scenario's world. */
export class Harness {
  readonly clients: TestClient[] = [];

  private constructor(
    readonly t: TestServer,
    public receiver: Receiver,
    readonly clock: ManualClock,
  ) {}

  static async create(
    opts: { heartbeatExpiryMs?: number; leaveGraceMs?: number; dataDir?: string; clock?: ManualClock; dev?: boolean } = {},
  ): Promise<Harness> {
    const clock = opts.clock ?? new ManualClock();
    const t = await startServer({
      config: {
        heartbeatExpiryMs: opts.heartbeatExpiryMs ?? 30_000,
        dev: opts.dev ?? false,
        ...(opts.leaveGraceMs !== undefined ? { leaveGraceMs: opts.leaveGraceMs } : {}),
      },
      // The clock jumps in these tests: sockets are swept only when a test says so.
      overrides: { clock, sweepIntervalMs: 0 },
      ...(opts.dataDir ? { dataDir: opts.dataDir, keepDataDir: true } : {}),
    });
    const receiver = await new Receiver().start();
    await rest(t, 'call_config/set_callback', { Url: receiver.url, CallbackCommandList: ALL_COMMANDS });
    return new Harness(t, receiver, clock);
  }

  /** Connects a device of `userId`. */
  async user(userId: string, extra: Record<string, string> = {}): Promise<TestClient> {
    const c = await connectUser(this.t, userId, { platform: 'Web', ...extra });
    this.clients.push(c);
    return c;
  }

  /** `calls` from `caller` to `callees`; returns the callId. */
  async call(caller: TestClient, callees: string[], args: Record<string, unknown> = {}): Promise<string> {
    const reply = await caller.request('calls', { userIdList: callees, mediaType: 'Video', ...args });
    if (!reply.ok) throw new Error(`calls failed: ${reply.code} ${reply.message}`);
    return reply.result!.callId as string;
  }

  /** Sends an op and asserts it succeeded. */
  async op(client: TestClient, op: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
    const reply = await client.request(op, args);
    if (!reply.ok) throw new Error(`${op} failed: ${reply.code} ${reply.message}`);
    return reply.result ?? {};
  }

  /**
   * Moves the clock and fires whatever timers became due. Callback attempts in flight finish
   * first: a jump in time would otherwise outrun their claim lease and send them again.
   */
  async advance(ms: number): Promise<void> {
    await this.t.server.dispatcher.idle();
    this.clock.advance(ms);
    await this.t.server.timers.runDue();
  }

  /** Callbacks of one call, in arrival order. */
  callbacksOf(callId: string): ReceivedCallback[] {
    return this.receiver.received.filter((r) => callIdOf(r) === callId);
  }

  /** One line per callback of the call: `Start`, `MC:user:Action`, `End:Result`. */
  summary(callId: string): string[] {
    return this.callbacksOf(callId).flatMap((r) => {
      switch (r.query.get('CallbackCommand')) {
        case 'Call.CallbackAfterStartCall':
          return ['Start'];
        case 'Call.CallbackAfterMemberChanged':
          return (r.body.ChangedUserList as { User_Account: string; ActionType: string }[]).map(
            (c) => `MC:${c.User_Account}:${c.ActionType}`,
          );
        default:
          return [`End:${(r.body.CallRecord as CallRecord).CallResult}`];
      }
    });
  }

  /** Waits for the call's EndCall callback and returns the summary. */
  async ended(callId: string): Promise<string[]> {
    await waitFor(() => this.summary(callId).some((s) => s.startsWith('End:')), 5000, `EndCall of ${callId}`);
    return this.summary(callId);
  }

  /** Waits until the call has `n` callback lines. */
  async callbacks(callId: string, n: number): Promise<string[]> {
    await waitFor(() => this.summary(callId).length >= n, 5000, `${n} callback lines of ${callId}`);
    return this.summary(callId);
  }

  /** `get_record_by_callid`. */
  async record(callId: string): Promise<CallRecord> {
    const answer = await rest(this.t, 'call_record_http_srv/get_record_by_callid', { CallId: callId });
    if (answer.ErrorCode !== 0) throw new Error(`no record: ${answer.ErrorCode} ${answer.ErrorInfo}`);
    return answer.Response!.CallRecord as CallRecord;
  }

  async close(): Promise<void> {
    for (const c of this.clients) c.close();
    await this.t.close();
    await this.receiver.close();
  }
}

function callIdOf(r: ReceivedCallback): string | undefined {
  const b = r.body as { CallId?: string; CallInfo?: { CallId: string }; CallRecord?: { CallId: string } };
  return b.CallId ?? b.CallInfo?.CallId ?? b.CallRecord?.CallId;
}

/** Event names (with reasons) a client received, in order: `name[:reason]`. */
export function eventsOf(client: TestClient, callId?: string): string[] {
  return client.frames
    .filter((f): f is { event: string; data: Record<string, unknown> } => 'event' in f)
    .filter((f) => callId === undefined || f.data.callId === callId)
    .map((f) => (typeof f.data.reason === 'string' ? `${f.event}:${f.data.reason}` : f.event));
}
