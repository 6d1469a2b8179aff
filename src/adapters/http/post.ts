/**
 * One callback POST on undici's dispatcher API, bounded in time and response size.
 *
 * Why not `request()` with an `AbortSignal`: per attempt, the signal, its listeners and the
 * response stream cost about a fifth of the dispatcher's CPU in the delivery benchmark. Here the
 * response is collected by a plain handler, and time limits come from undici's own header and
 * body timers plus one shared sweep that aborts whatever has passed its deadline.
 */
import type { Dispatcher } from 'undici';

/** What came back. */
export interface PostResult {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body, cut at `maxBytes`. */
  text: string;
}

/** A POST's target and limits. */
export interface PostOptions {
  /** `scheme://host:port`. */
  origin: string;
  /** Path and query. */
  path: string;
  headers: Record<string, string>;
  body: string;
  /** Whole attempt, from dispatch to the end of the body, ms. */
  timeoutMs: number;
  /** Response bytes kept; the rest is not read. */
  maxBytes: number;
}

/** Raised when an attempt runs past its {@link PostOptions.timeoutMs}. */
export class PostTimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

interface Pending {
  deadline: number;
  abort: ((reason: Error) => void) | undefined;
  timeoutMs: number;
}

/**
 * Sends POSTs through one undici dispatcher; a sweep every `sweepMs` (default 100) aborts the
 * attempts past their deadline, so no attempt needs a timer of its own.
 */
export class Poster {
  private readonly pending = new Set<Pending>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly dispatcher: Dispatcher,
    private readonly sweepMs = 100,
  ) {}

  /** POSTs `opts.body`; rejects on a network error, a timeout or an abort. */
  post(opts: PostOptions): Promise<PostResult> {
    return new Promise<PostResult>((resolve, reject) => {
      const entry: Pending = { deadline: performance.now() + opts.timeoutMs, abort: undefined, timeoutMs: opts.timeoutMs };
      this.track(entry);
      const chunks: Buffer[] = [];
      let size = 0;
      let statusCode = 0;
      let headers: Record<string, string | string[] | undefined> = {};
      const done = (err: Error | undefined) => {
        this.pending.delete(entry);
        if (err) reject(err);
        else resolve({ statusCode, headers, text: Buffer.concat(chunks).toString('utf8') });
      };
      const handler: Dispatcher.DispatchHandler = {
        onRequestStart: (controller) => {
          entry.abort = (reason) => controller.abort(reason);
        },
        onResponseStart: (_controller, code, responseHeaders) => {
          statusCode = code;
          headers = responseHeaders;
        },
        onResponseData: (controller, chunk) => {
          if (size >= opts.maxBytes) return;
          chunks.push(chunk);
          size += chunk.length;
          // Enough kept: stop reading and give the connection up rather than drain a huge body.
          if (size >= opts.maxBytes) {
            this.pending.delete(entry);
            controller.abort(new Error('response too large'));
            resolve({ statusCode, headers, text: Buffer.concat(chunks).toString('utf8') });
          }
        },
        onResponseEnd: () => done(undefined),
        onResponseError: (_controller, err) => {
          if (size >= opts.maxBytes) return;
          done(err);
        },
      };
      this.dispatcher.dispatch(
        {
          origin: opts.origin,
          path: opts.path,
          method: 'POST',
          headers: opts.headers,
          body: opts.body,
          headersTimeout: opts.timeoutMs,
          bodyTimeout: opts.timeoutMs,
        },
        handler,
      );
    });
  }

  /** Stops the sweep (attempts still in flight keep undici's own timers). */
  close(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  private track(entry: Pending): void {
    this.pending.add(entry);
    if (this.sweeper) return;
    this.sweeper = setInterval(() => this.sweep(), this.sweepMs);
    this.sweeper.unref();
  }

  private sweep(): void {
    const now = performance.now();
    for (const p of this.pending) {
      if (p.deadline > now) continue;
      // Not yet on a socket (still connecting): the agent's connect timeout bounds that phase.
      if (!p.abort) continue;
      this.pending.delete(p);
      p.abort(new PostTimeoutError(`timeout after ${p.timeoutMs} ms`));
    }
    if (this.pending.size === 0) this.close();
  }
}
