/** `listen`: how a received callback is shown, as a line of text or as one JSON line. */
import type { IncomingHttpHeaders } from 'node:http';
import type { DialtoneCallback } from '../../receiver/index.js';
import { out, printJson } from '../output.js';
import type { Forwarded } from './forward.js';
import type { Rejection } from './verify.js';

/** Everything known about one received callback once it is verified and forwarded. */
export interface Received {
  receivedAt: Date;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  rawBody: Buffer;
  /** Whether it was verified at all (not with `--no-verify`). */
  checked: boolean;
  /** Set when verified. */
  callback?: DialtoneCallback;
  rejected?: Rejection;
  /** Where it was forwarded (`--forward`) and the answer. */
  forward?: { target: string; result: Forwarded };
}

/** One line that says what happened in a callback. */
export function describeCallback(cb: DialtoneCallback): string {
  const users = (list: { User_Account: string; Status: string }[]) => list.map((u) => `${u.User_Account}:${u.Status}`).join(' ');
  switch (cb.command) {
    case 'Call.CallbackAfterStartCall':
      return `StartCall      ${cb.callId}  ${cb.callInfo.MediaType}  ${users(cb.userList)}`;
    case 'Call.CallbackAfterMemberChanged':
      return `MemberChanged  ${cb.callId}  ${cb.changedUserList.map((c) => `${c.User_Account} ${c.ActionType}`).join(', ')}  → ${users(cb.userList)}`;
    case 'Call.CallbackAfterEndCall': {
      const r = cb.callRecord;
      const talked = r.AcceptTime ? `, ${r.EndTime - r.AcceptTime} s connected` : '';
      return `EndCall        ${cb.callId}  ${r.CallResult}  caller ${r.Caller_Account}, members ${r.CalleeList_Account.join(',')}${talked}`;
    }
  }
}

/** Prints `r` on stdout: one JSON line with `--json`, else a line (and one for the forward). */
export function printReceived(r: Received, json: boolean): void {
  if (json) printJsonLine(r);
  else printText(r);
}

function printJsonLine(r: Received): void {
  let body: unknown;
  try {
    body = JSON.parse(r.rawBody.toString('utf8'));
  } catch {
    body = r.rawBody.toString('utf8');
  }
  printJson({
    receivedAt: r.receivedAt.toISOString(),
    verified: r.checked ? !r.rejected : null,
    ...(r.rejected ? { rejected: r.rejected } : {}),
    query: r.query,
    headers: {
      'webhook-id': r.headers['webhook-id'],
      'webhook-timestamp': r.headers['webhook-timestamp'],
      'webhook-signature': r.headers['webhook-signature'],
    },
    body,
    ...(r.forward ? { forward: r.forward.result } : {}),
  });
}

function printText(r: Received): void {
  const time = r.receivedAt.toISOString().slice(11, 23);
  if (r.rejected) out(`${time}  ✗ rejected (${r.rejected.reason}): ${r.rejected.message}  ${r.query.CallbackCommand ?? ''}`);
  else {
    const line = r.callback ? describeCallback(r.callback) : `${String(r.query.CallbackCommand ?? '?')}  ${r.rawBody.toString('utf8')}`;
    out(`${time}  ${line}${r.checked ? '  ✓ verified' : ''}`);
  }
  if (r.forward) {
    const { target, result } = r.forward;
    out('status' in result ? `    → ${target}: HTTP ${result.status} ${result.answer}` : `    → ${target}: ${result.error}`);
  }
}
