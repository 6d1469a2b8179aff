/**
 * The {@link CallbackSender} on undici: one Agent whose connector refuses destinations outside
 * the {@link DestinationPolicy} (see connector.ts), and the {@link Poster} that bounds each POST
 * in time and response size. Errors come back as descriptions, never as rejections, so the
 * delivery worker records them as failed attempts.
 */
import { describeError } from '../../callbacks/describe-error.js';
import { Agent } from 'undici';
import type { CallbackRequest, CallbackResponse, CallbackSender } from '../../app/ports.js';
import { DestinationPolicy } from '../../callbacks/destination.js';
import { DestinationRefusedError, safeConnector, type DnsLookup } from './connector.js';
import { Poster } from './post.js';

/** Response bytes read of an answer; the rest is not read. */
const MAX_RESPONSE_BYTES = 64 * 1024;

/** {@link UndiciSender} settings. */
export interface UndiciSenderOptions {
  /** Connect timeout, ms: the server-wide attempt timeout. Default 2000. */
  timeoutMs?: number;
  /** Connections in the pool, all origins together: the server-wide cap on attempts in flight. Default 512. */
  connections?: number;
  /** Where callbacks may be sent (SPEC §6 "Safe destinations"). Default: public addresses only. */
  destinations?: DestinationPolicy;
  /** Resolves receivers' host names. Default `dns.lookup` (all addresses). */
  lookup?: DnsLookup;
}

/** Sends callback requests through undici. */
export class UndiciSender implements CallbackSender {
  private readonly agent: Agent;
  private readonly poster: Poster;

  constructor(opts: UndiciSenderOptions = {}) {
    // Connecting is bounded by the server-wide timeout: the attempt's own deadline starts to be
    // enforced once the request is on a socket (see Poster). A pool as large as the server-wide
    // cap never makes a request wait for a connection: the apps' shares are the limit. The
    // connector checks the address actually connected to against the destination policy.
    const connect = safeConnector({
      policy: opts.destinations ?? new DestinationPolicy(),
      timeoutMs: opts.timeoutMs ?? 2000,
      ...(opts.lookup ? { lookup: opts.lookup } : {}),
    });
    this.agent = new Agent({ connections: opts.connections ?? 512, keepAliveTimeout: 10_000, connect });
    this.poster = new Poster(this.agent);
  }

  async send(request: CallbackRequest): Promise<CallbackResponse> {
    const started = performance.now();
    try {
      const res = await this.poster.post({ ...request, maxBytes: MAX_RESPONSE_BYTES });
      return { status: res.statusCode, retryAfter: res.headers['retry-after'], body: res.text, latencyMs: performance.now() - started };
    } catch (err) {
      const latencyMs = performance.now() - started;
      return {
        error: isTimeout(err)
          ? `timeout after ${request.timeoutMs} ms`
          : err instanceof DestinationRefusedError
            ? err.message
            : describeError(err),
        latencyMs,
      };
    }
  }

  async close(): Promise<void> {
    this.poster.close();
    await this.agent.close();
  }
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

function isTimeout(err: unknown): boolean {
  return err instanceof Error && (err.name === 'TimeoutError' || TIMEOUT_CODES.has((err as { code?: string }).code ?? ''));
}
