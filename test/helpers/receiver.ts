/** A real HTTP receiver standing in for an app backend's callback endpoint. */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from './wait.js';

/** One callback as the receiver saw it. */
export interface ReceivedCallback {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  rawBody: string;
  body: Record<string, unknown>;
  /** Unix ms when it arrived. */
  at: number;
}

/** How the receiver answers. */
export type ReceiverMode = 'ok' | 'hang' | 'fail500';

/** A custom answer: a status with optional headers and body, or `hang`; undefined falls back to the mode. */
export type ReceiverAnswer = { status: number; headers?: Record<string, string>; body?: string } | 'hang' | undefined;

/** A callback receiver on a free port. */
export class Receiver {
  readonly received: ReceivedCallback[] = [];
  mode: ReceiverMode = 'ok';
  /** Decides the answer per callback before {@link Receiver.mode} does. */
  answer: ((cb: ReceivedCallback) => ReceiverAnswer) | undefined;
  private readonly server: Server;
  private readonly hanging = new Set<() => void>();
  url = '';

  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const rawBody = Buffer.concat(chunks).toString('utf8');
        const u = new URL(req.url ?? '/', 'http://x');
        let body: Record<string, unknown>;
        try {
          body = JSON.parse(rawBody) as Record<string, unknown>;
        } catch {
          body = {};
        }
        const cb = {
          method: req.method ?? '',
          path: u.pathname,
          query: u.searchParams,
          headers: req.headers,
          rawBody,
          body,
          at: Date.now(),
        };
        this.received.push(cb);
        const custom = this.answer?.(cb);
        if (custom !== undefined && custom !== 'hang') {
          res.writeHead(custom.status, custom.headers).end(custom.body ?? '');
          return;
        }
        if (custom === 'hang' || this.mode === 'hang') {
          this.hanging.add(() => res.destroy());
          return;
        }
        if (this.mode === 'fail500') {
          res.writeHead(500).end('oops');
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ActionStatus: 'OK', ErrorInfo: '', ErrorCode: 0 }));
      });
    });
  }

  /** Starts listening (on `port`, default any free one); `path` is appended to the URL. */
  async start(path = '/callback', port = 0): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
    return this;
  }

  /** Callbacks of one command. */
  ofCommand(command: string): ReceivedCallback[] {
    return this.received.filter((r) => r.query.get('CallbackCommand') === command);
  }

  /** Waits until at least `n` callbacks (of `command`, if given) have arrived. */
  async waitForCount(n: number, command?: string, timeoutMs = 5000): Promise<ReceivedCallback[]> {
    await waitFor(
      () => (command ? this.ofCommand(command) : this.received).length >= n,
      timeoutMs,
      `${n} callback(s)${command ? ` of ${command}` : ''}`,
    );
    return command ? this.ofCommand(command) : this.received;
  }

  async close(): Promise<void> {
    for (const release of this.hanging) release();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
