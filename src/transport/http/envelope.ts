/** The REST response envelope of SPEC §2.1. */

/** Body of every REST answer. */
export interface Envelope {
  ActionStatus: 'OK' | 'FAIL';
  ErrorCode: number;
  ErrorInfo: string;
  RequestId: string;
  Response?: unknown;
}

/** A success envelope, with `Response` when there is a payload. */
export function okEnvelope(requestId: string, response?: unknown): Envelope {
  const body: Envelope = { ActionStatus: 'OK', ErrorCode: 0, ErrorInfo: '', RequestId: requestId };
  if (response !== undefined) body.Response = response;
  return body;
}

/** A failure envelope. */
export function failEnvelope(requestId: string, code: number, info: string): Envelope {
  return { ActionStatus: 'FAIL', ErrorCode: code, ErrorInfo: info, RequestId: requestId };
}
