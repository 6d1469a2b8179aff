/**
 * `listen`: the HTTP handler. Takes one callback, verifies it, forwards it, prints it, and answers
 * as the receiver (or the forwarded-to endpoint) would.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { failureEnvelope, successEnvelope } from '../../receiver/index.js';
import { readBody } from '../../receiver/node.js';
import type { AppSigning } from '../app-signing.js';
import { forwardCallback } from './forward.js';
import { printReceived, type Received } from './print.js';
import { verifyRequest } from './verify.js';

/** What the handler does with each callback. */
export interface HandlerOptions {
  /** The endpoint's path; any other path or method gets 404. */
  path: string;
  /** What to verify against; none with `--no-verify`. */
  checks?: AppSigning;
  /** `--forward` target. */
  forward?: string;
  /** Print JSON lines instead of text. */
  json: boolean;
}

/** Largest body accepted, bytes. */
const MAX_BODY = 1024 * 1024;

/** The listener's request handler; it answers every request and never rejects. */
export function callbackHandler(opts: HandlerOptions): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const answer = (status: number, body: unknown) => {
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json' }).end(text);
    };
    if (req.method !== 'POST' || (req.url ?? '/').split('?')[0] !== opts.path)
      return answer(404, failureEnvelope(404, `POST ${opts.path} only`));
    let bytes: Uint8Array | undefined;
    try {
      bytes = await readBody(req, MAX_BODY);
    } catch {
      bytes = undefined;
    }
    if (!bytes) return answer(413, failureEnvelope(413, 'body over 1 MiB'));
    const r = await receive(opts, req, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    printReceived(r, opts.json);
    const [status, body] = reply(r);
    answer(status, body);
  };
}

/** Verifies and forwards one callback, collecting what is to be printed and answered. */
async function receive(opts: HandlerOptions, req: IncomingMessage, rawBody: Buffer): Promise<Received> {
  const receivedAt = new Date();
  const url = req.url ?? '/';
  const r: Received = {
    receivedAt,
    query: Object.fromEntries(new URL(url, 'http://listener').searchParams),
    headers: req.headers,
    rawBody,
    checked: opts.checks !== undefined,
  };
  if (opts.checks) {
    const verdict = await verifyRequest(opts.checks, url, req.headers, rawBody);
    if ('callback' in verdict) r.callback = verdict.callback;
    else r.rejected = verdict.rejected;
  }
  if (opts.forward && !r.rejected) {
    r.forward = { target: opts.forward, result: await forwardCallback(opts.forward, url, req.headers, rawBody) };
  }
  return r;
}

/** The answer: a refusal, the forwarded-to endpoint's answer, or the success envelope. */
export function reply(r: Received): [status: number, body: unknown] {
  if (r.rejected) return [r.rejected.reason === 'body' ? 400 : 401, failureEnvelope(401, `${r.rejected.reason}: ${r.rejected.message}`)];
  if (r.forward) {
    const result = r.forward.result;
    if ('status' in result) return [result.status, result.answer];
    return [502, failureEnvelope(502, `forward failed: ${result.error}`)];
  }
  return [200, successEnvelope()];
}
