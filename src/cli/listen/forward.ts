/** `listen --forward`: relays one callback to the developer's endpoint. */
import type { IncomingHttpHeaders } from 'node:http';
import { request } from 'undici';

/** The endpoint's answer, or why there was none (an error code or message). */
export type Forwarded = { status: number; answer: string } | { error: string };

/** The headers a receiver needs to verify the callback again; others are not relayed. */
const RELAYED = ['content-type', 'webhook-id', 'webhook-timestamp', 'webhook-signature'];

/** Time the endpoint has to answer, ms. */
const FORWARD_TIMEOUT_MS = 30_000;

/**
 * POSTs the same body, the webhook headers and the callback's query (`url`: path and query as
 * received, merged over `target`'s own query) to `target`. Never throws.
 */
export async function forwardCallback(target: string, url: string, headers: IncomingHttpHeaders, rawBody: Buffer): Promise<Forwarded> {
  try {
    const to = new URL(target);
    for (const [k, v] of new URL(url, 'http://listener').searchParams) to.searchParams.set(k, v);
    const relayed: Record<string, string> = {};
    for (const name of RELAYED) {
      const v = headers[name];
      if (typeof v === 'string') relayed[name] = v;
    }
    const r = await request(to, {
      method: 'POST',
      headers: relayed,
      body: rawBody,
      headersTimeout: FORWARD_TIMEOUT_MS,
      bodyTimeout: FORWARD_TIMEOUT_MS,
    });
    return { status: r.statusCode, answer: await r.body.text() };
  } catch (err) {
    return { error: (err as { code?: string }).code ?? (err instanceof Error ? err.message : String(err)) };
  }
}
