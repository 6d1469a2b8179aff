/** Calls the REST API the way an app backend does. */
import type { TestServer } from './server.js';

/** The envelope every REST answer carries. */
export interface RestAnswer {
  ActionStatus: 'OK' | 'FAIL';
  ErrorCode: number;
  ErrorInfo: string;
  RequestId: string;
  Response?: Record<string, unknown>;
}

/** POSTs `body` to `/v4/{path}` as the administrator; `query` overrides any auth parameter. */
export async function rest(
  t: TestServer,
  path: string,
  body: unknown = {},
  query: Record<string, string | undefined> = {},
): Promise<RestAnswer> {
  const res = await restRaw(t, path, typeof body === 'string' ? body : JSON.stringify(body), query);
  return (await res.json()) as RestAnswer;
}

/** Like {@link rest} but returns the raw response; `body` is sent as is. */
export async function restRaw(
  t: TestServer,
  path: string,
  body: string | undefined,
  query: Record<string, string | undefined> = {},
  method = 'POST',
): Promise<Response> {
  const params: Record<string, string | undefined> = {
    sdkappid: String(t.sdkAppId),
    identifier: 'administrator',
    usersig: t.userSig('administrator'),
    random: String(Math.floor(Math.random() * 0xffffffff)),
    contenttype: 'json',
    ...query,
  };
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) qs.set(k, v);
  return fetch(`${t.url}/v4/${path}?${qs}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: method === 'GET' || method === 'HEAD' ? null : (body ?? null),
  });
}
