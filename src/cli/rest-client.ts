/** The CLI's REST client: signs each request with an administrator UserSig and unwraps the envelope. */
import { randomInt } from 'node:crypto';
import { request } from 'undici';
import { makeUserSig } from '../auth/usersig.js';

/** Where a server is and how to act as one of its app's administrators. */
export interface Connection {
  /** Base URL, e.g. `http://127.0.0.1:8080`. */
  url: string;
  sdkAppId: number;
  secretKey: string;
  /** Administrator user id. Default `administrator`. */
  admin: string;
}

/** A failure the CLI reports as one line and a non-zero exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    /** Process exit code. Default 1. */
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A REST answer that was not `OK`: its `ErrorCode` and `ErrorInfo`. */
export class RestError extends CliError {
  constructor(
    readonly errorCode: number,
    readonly errorInfo: string,
  ) {
    super(`ErrorCode ${errorCode}: ${errorInfo}`);
    this.name = 'RestError';
  }
}

/** Calls `/v4/{service}/{command}` on one server as one app's administrator. */
export class RestClient {
  constructor(readonly connection: Connection) {}

  /** POSTs `body` and returns the envelope's `Response` (`{}` when there is none). */
  async call<T = Record<string, unknown>>(path: string, body: unknown = {}): Promise<T> {
    const { url, sdkAppId, secretKey, admin } = this.connection;
    // Short-lived: a UserSig made per request never outlives the command that needed it.
    const userSig = makeUserSig({ sdkAppId, secretKey, userId: admin, expireSeconds: 300 });
    const query = new URLSearchParams({
      sdkappid: String(sdkAppId),
      identifier: admin,
      usersig: userSig,
      random: String(randomInt(0xffffffff)),
      contenttype: 'json',
    });
    const target = `${url.replace(/\/+$/, '')}/v4/${path}?${query}`;
    let status: number;
    let text: string;
    try {
      const res = await request(target, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        headersTimeout: 30_000,
        bodyTimeout: 30_000,
      });
      status = res.statusCode;
      text = await res.body.text();
    } catch (err) {
      const code = (err as { code?: string }).code;
      throw new CliError(`cannot reach Dialtone at ${url}: ${code ?? (err instanceof Error ? err.message : String(err))}`);
    }
    let envelope: { ActionStatus?: string; ErrorCode?: number; ErrorInfo?: string; Response?: T };
    try {
      envelope = JSON.parse(text) as typeof envelope;
    } catch {
      throw new CliError(`${url} answered HTTP ${status} without a JSON envelope: is it a Dialtone server?`);
    }
    if (envelope.ErrorCode !== 0 || envelope.ActionStatus !== 'OK') {
      throw new RestError(envelope.ErrorCode ?? -1, envelope.ErrorInfo ?? `HTTP ${status}`);
    }
    return envelope.Response ?? ({} as T);
  }
}
