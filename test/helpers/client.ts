/** A raw WebSocket client of the signalling protocol, for tests. */
import WebSocket from 'ws';
import { waitFor } from './wait.js';

/** A reply frame. */
export interface Reply {
  id: string | number | null;
  ok: boolean;
  result?: Record<string, unknown>;
  code?: number;
  message?: string;
}

/** An event frame. */
export interface EventFrame {
  event: string;
  data: Record<string, unknown>;
}

/** One connected client (one device of one user). */
export class TestClient {
  readonly events: EventFrame[] = [];
  readonly replies: Reply[] = [];
  /** Every frame received, in arrival order. */
  readonly frames: (Reply | EventFrame)[] = [];
  closeCode: number | undefined;
  closeReason = '';
  private nextId = 1;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Reply & EventFrame;
      this.frames.push(frame);
      if ('event' in frame) this.events.push({ event: frame.event, data: frame.data });
      else this.replies.push(frame);
    });
    ws.on('close', (code, reason) => {
      this.closeCode = code;
      this.closeReason = reason.toString();
    });
  }

  /** Connects; resolves once open (authentication failures then arrive as a close). */
  static async connect(wsUrl: string, params: Record<string, string | undefined>): Promise<TestClient> {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined) qs.set(k, v);
    const ws = new WebSocket(`${wsUrl}/v1/ws?${qs}`);
    const client = new TestClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return client;
  }

  /** Sends an op and waits for its reply. */
  async request(op: string, args?: unknown, timeoutMs = 5000): Promise<Reply> {
    const id = `r${this.nextId++}`;
    this.ws.send(JSON.stringify(args === undefined ? { id, op } : { id, op, args }));
    return this.replyTo(id, timeoutMs);
  }

  /** Sends a raw text frame. */
  sendRaw(text: string): void {
    this.ws.send(text);
  }

  /** Waits for the reply with `id`. */
  async replyTo(id: string | number | null, timeoutMs = 5000): Promise<Reply> {
    await waitFor(() => this.replies.some((r) => r.id === id), timeoutMs, `reply ${String(id)}`);
    const index = this.replies.findIndex((r) => r.id === id);
    return this.replies.splice(index, 1)[0]!;
  }

  /** Waits for the next event named `name` not yet taken, and takes it. */
  async nextEvent(name: string, timeoutMs = 5000): Promise<EventFrame> {
    await waitFor(() => this.events.some((e) => e.event === name), timeoutMs, `event ${name}`);
    const index = this.events.findIndex((e) => e.event === name);
    return this.events.splice(index, 1)[0]!;
  }

  /** Waits for the socket to close. */
  async closed(timeoutMs = 5000): Promise<{ code: number; reason: string }> {
    await waitFor(() => this.closeCode !== undefined, timeoutMs, 'socket close');
    return { code: this.closeCode!, reason: this.closeReason };
  }

  close(): void {
    this.ws.close();
  }
}

/** Connects `userId` to a test server with a UserSig from `userSig`. */
export function connectUser(
  t: { wsUrl: string; sdkAppId: number; userSig(userId: string): string },
  userId: string,
  extra: Record<string, string | undefined> = {},
): Promise<TestClient> {
  return TestClient.connect(t.wsUrl, { sdkappid: String(t.sdkAppId), userid: userId, usersig: t.userSig(userId), ...extra });
}
