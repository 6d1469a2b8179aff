/** `listen`: verifies one callback as a production receiver would. */
import type { IncomingHttpHeaders } from 'node:http';
import { CallbackVerificationError, verifyCallback, type DialtoneCallback } from '../../receiver/index.js';
import type { AppSigning } from '../app-signing.js';

/** Why a callback was refused: the receiver library's reason (`body` for anything else). */
export interface Rejection {
  reason: string;
  message: string;
}

/** The verified callback, or why it was refused. */
export type Verdict = { callback: DialtoneCallback } | { rejected: Rejection };

/** Verifies the request (`url` is its path and query) against `checks`. */
export async function verifyRequest(checks: AppSigning, url: string, headers: IncomingHttpHeaders, rawBody: Buffer): Promise<Verdict> {
  try {
    const callback = await verifyCallback(
      { url, headers, rawBody },
      {
        sdkAppId: checks.sdkAppId,
        token: checks.token,
        ...(checks.secrets.length ? { webhookSecret: checks.secrets } : {}),
      },
    );
    return { callback };
  } catch (err) {
    return {
      rejected:
        err instanceof CallbackVerificationError ? { reason: err.reason, message: err.message } : { reason: 'body', message: String(err) },
    };
  }
}
