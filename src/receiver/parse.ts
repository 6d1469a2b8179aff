/**
 * Lenient parsing of a callback body into the typed union. Lenient because the reference
 * product's pages disagree with themselves (tencent-call-notes §1.3–1.5): `CallMediaType` for
 * `MediaType`, bare numbers for user ids, and several spellings of `ActionType`. A receiver
 * written against any of those pages, or fed by a sender that followed one, must still work.
 * What cannot be read is refused with reason `body` rather than guessed.
 */
import type { ActionType, CallResult, CallType, MediaType, MemberStatus } from '../protocol/wire.js';
import { CallbackVerificationError } from './errors.js';
import type { CallbackCallRecord, CallbackCommand, CallbackQuery, CallbackUser, DialtoneCallback } from './types.js';

/** What {@link parseCallback} may know besides the body: the request's query and `webhook-id`. */
export interface ParseContext {
  /** The (normalised) query parameters; their `CallbackCommand` must agree with the body's. */
  query?: Partial<CallbackQuery>;
  /** The `webhook-id` header, copied to {@link DialtoneCallback.webhookId}. */
  webhookId?: string;
}

const COMMANDS: readonly CallbackCommand[] = [
  'Call.CallbackAfterStartCall',
  'Call.CallbackAfterMemberChanged',
  'Call.CallbackAfterEndCall',
];

// Lookup tables keyed by a folded spelling (lower case, without spaces, underscores or dashes).
// Typed as total records over the domain's unions so that a value added there fails to compile here.
const MEDIA_TYPES: Record<MediaType, string[]> = { Audio: ['audio'], Video: ['video'] };
const STATUSES: Record<MemberStatus, string[]> = { Calling: ['calling'], Waiting: ['waiting'] };
const CALL_TYPES: Record<CallType, string[]> = { SingleCall: ['singlecall'], MultiCall: ['multicall'] };
const CALL_RESULTS: Record<CallResult, string[]> = {
  Cancel: ['cancel'],
  Reject: ['reject'],
  NotAnswer: ['notanswer'],
  NormalEnd: ['normalend'],
  CallBusy: ['callbusy'],
  Interrupt: ['interrupt'],
  Offline: ['offline'],
};
const ACTION_TYPES: Record<ActionType, string[]> = {
  // `Answer`: the EN sample comment's word for Accept.
  Accept: ['accept', 'answer'],
  Reject: ['reject'],
  NotAnswer: ['notanswer'],
  // `Hangup` (CN sample), `HangUp` (CN table), `Hang Up` (EN table) all fold to `hangup`.
  Hangup: ['hangup'],
  Join: ['join'],
  Offline: ['offline'],
  // `Invited`: the EN table's spelling.
  Invite: ['invite', 'invited'],
  // `Canncel_Invite` (sic): the EN table's spelling.
  Cancel_Invite: ['cancelinvite', 'canncelinvite'],
};

const fold = (text: string): string => text.toLowerCase().replace(/[\s_-]/g, '');

function lookup<T extends string>(table: Record<T, string[]>): Map<string, T> {
  const map = new Map<string, T>();
  for (const [value, spellings] of Object.entries(table) as [T, string[]][]) for (const s of spellings) map.set(s, value);
  return map;
}

const MEDIA_TYPE = lookup(MEDIA_TYPES);
const STATUS = lookup(STATUSES);
const CALL_TYPE = lookup(CALL_TYPES);
const CALL_RESULT = lookup(CALL_RESULTS);
const ACTION_TYPE = lookup(ACTION_TYPES);

const NUMBER = String.raw`-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?`;
const STRING = String.raw`"(?:[^"\\]|\\.)*"`;
// A bare number as the value of an id field: quoted before JSON.parse so that ids longer than
// 2^53 (the EN sample's 144115212830834855) keep their exact digits instead of being rounded.
const NUMERIC_ID = new RegExp(String.raw`("(?:User_Account|Caller_Account|RoomId)"\s*:\s*)(${NUMBER})`, 'g');
// The same for the elements of `CalleeList_Account`; the array must hold only strings and numbers.
const NUMERIC_ID_LIST = new RegExp(
  String.raw`("CalleeList_Account"\s*:\s*)(\[\s*(?:(?:${STRING}|${NUMBER})\s*(?:,\s*(?:${STRING}|${NUMBER})\s*)*)?\])`,
  'g',
);
const LIST_ITEM = new RegExp(`${STRING}|${NUMBER}`, 'g');

/** Rewrites bare numeric ids in JSON text as strings with the same digits. Strings are left alone. */
function quoteNumericIds(text: string): string {
  return text
    .replace(NUMERIC_ID, (_m, key: string, value: string) => `${key}"${value}"`)
    .replace(
      NUMERIC_ID_LIST,
      (_m, key: string, list: string) => key + list.replace(LIST_ITEM, (item) => (item.startsWith('"') ? item : `"${item}"`)),
    );
}

function fail(message: string): never {
  throw new CallbackVerificationError('body', message);
}

function object(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${path} must be an object`);
  return value as Record<string, unknown>;
}

function array(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) fail(`${path} must be an array`);
  return value;
}

function string(value: unknown, path: string): string {
  if (typeof value !== 'string') fail(`${path} must be a string`);
  return value;
}

/** A user id or room id: a string, or a bare number converted to its decimal text. */
function idString(value: unknown, path: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return fail(`${path} must be a string or a number`);
}

/** An integer given as a number or as a decimal string. */
function integer(value: unknown, path: string): number {
  const n = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) fail(`${path} must be an integer`);
  return n;
}

function oneOf<T extends string>(value: unknown, path: string, table: Map<string, T>): T {
  const found = typeof value === 'string' ? table.get(fold(value)) : undefined;
  if (found === undefined) fail(`${path} must be one of ${[...new Set(table.values())].join(', ')} (got ${JSON.stringify(value)})`);
  return found;
}

function userList(value: unknown, path: string): CallbackUser[] {
  return array(value, path).map((entry, i) => {
    const u = object(entry, `${path}[${i}]`);
    return {
      User_Account: idString(u['User_Account'], `${path}[${i}].User_Account`),
      Status: oneOf(u['Status'], `${path}[${i}].Status`, STATUS),
    };
  });
}

/** Reads the body text or bytes as JSON: `data` with exact ids for normalising, `raw` as plain JSON.parse gives it. */
function readJson(body: unknown): { data: unknown; raw: unknown } {
  if (body instanceof Uint8Array) {
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(body);
    } catch {
      return fail('the body is not UTF-8');
    }
    return readJson(text);
  }
  if (typeof body !== 'string') return { data: body, raw: body };
  try {
    return { data: JSON.parse(quoteNumericIds(body)), raw: JSON.parse(body) };
  } catch {
    return fail('the body is not JSON');
  }
}

/**
 * Parses a callback body into the typed, normalised {@link DialtoneCallback}, without checking
 * any signature (use `verifyCallback` for received requests).
 *
 * Accepted variants: `CallInfo.CallMediaType` for `MediaType` (`MediaType` wins when both are
 * present); bare numbers for `User_Account`, `Caller_Account`, `CalleeList_Account[]` and `RoomId`
 * (made strings; from text or bytes the exact digits are kept even past 2^53); `ActionType`,
 * `CallResult`, `MediaType`, `Status` and `CallType` in any letter case, and for `ActionType`
 * with spaces or underscores anywhere (`Hangup`/`HangUp`/`Hang Up` → `Hangup`, `Answer` →
 * `Accept`, `Invited` → `Invite`, `Canncel_Invite` → `Cancel_Invite`); integers given as decimal
 * strings; a missing `ChatGroupId` or `RoomId` as `''`. Unknown extra fields are kept in `raw`.
 *
 * @param body the raw body (string or UTF-8 bytes), or an already parsed JSON value.
 * @param context the request's query and `webhook-id`, when known. Without a query, `sdkAppId` is 0
 *   and `query.CallbackCommand` is the body's.
 * @throws {CallbackVerificationError} with reason `body` when the body is not JSON, the command is
 *   unknown or differs from the query's, or a required field is missing or malformed.
 */
export function parseCallback(body: unknown, context: ParseContext = {}): DialtoneCallback {
  const { data, raw } = readJson(body);
  const b = object(data, 'the body');
  const queryCommand = context.query?.CallbackCommand;
  const bodyCommand = b['CallbackCommand'];
  if (bodyCommand !== undefined && typeof bodyCommand !== 'string') fail('CallbackCommand must be a string');
  if (bodyCommand !== undefined && queryCommand !== undefined && bodyCommand !== queryCommand) {
    fail(`the body's CallbackCommand ${bodyCommand} differs from the query's ${queryCommand}`);
  }
  const command = bodyCommand ?? queryCommand;
  if (!COMMANDS.includes(command as CallbackCommand)) fail(`unknown CallbackCommand ${JSON.stringify(command)}`);

  const sdkAppIdText = context.query?.SdkAppid;
  const common = {
    sdkAppId: sdkAppIdText !== undefined && /^\d+$/.test(sdkAppIdText) ? Number(sdkAppIdText) : 0,
    eventTime: integer(b['EventTime'], 'EventTime'),
    query: { ...context.query, SdkAppid: sdkAppIdText ?? '', CallbackCommand: queryCommand ?? (command as string) },
    ...(context.webhookId !== undefined ? { webhookId: context.webhookId } : {}),
    raw,
  };

  switch (command as CallbackCommand) {
    case 'Call.CallbackAfterStartCall': {
      const info = object(b['CallInfo'], 'CallInfo');
      const callId = string(info['CallId'], 'CallInfo.CallId');
      return {
        command: 'Call.CallbackAfterStartCall',
        callId,
        callInfo: {
          CallId: callId,
          MediaType: oneOf(info['MediaType'] ?? info['CallMediaType'], 'CallInfo.MediaType', MEDIA_TYPE),
          ChatGroupId: info['ChatGroupId'] === undefined ? '' : string(info['ChatGroupId'], 'CallInfo.ChatGroupId'),
          RoomId: info['RoomId'] === undefined ? '' : idString(info['RoomId'], 'CallInfo.RoomId'),
          RoomIdType: integer(info['RoomIdType'], 'CallInfo.RoomIdType'),
        },
        userList: userList(b['UserList'], 'UserList'),
        ...common,
      };
    }
    case 'Call.CallbackAfterMemberChanged': {
      // CallId is top level here; a CallInfo.CallId (the StartCall shape) is accepted too.
      const callId =
        b['CallId'] !== undefined ? string(b['CallId'], 'CallId') : string(object(b['CallInfo'], 'CallId')['CallId'], 'CallId');
      return {
        command: 'Call.CallbackAfterMemberChanged',
        callId,
        userList: userList(b['UserList'], 'UserList'),
        changedUserList: array(b['ChangedUserList'], 'ChangedUserList').map((entry, i) => {
          const c = object(entry, `ChangedUserList[${i}]`);
          return {
            User_Account: idString(c['User_Account'], `ChangedUserList[${i}].User_Account`),
            ActionType: oneOf(c['ActionType'], `ChangedUserList[${i}].ActionType`, ACTION_TYPE),
          };
        }),
        ...common,
      };
    }
    case 'Call.CallbackAfterEndCall': {
      const r = object(b['CallRecord'], 'CallRecord');
      const callRecord: CallbackCallRecord = {
        CallId: string(r['CallId'], 'CallRecord.CallId'),
        Caller_Account: idString(r['Caller_Account'], 'CallRecord.Caller_Account'),
        MediaType: oneOf(r['MediaType'] ?? r['CallMediaType'], 'CallRecord.MediaType', MEDIA_TYPE),
        CallType: oneOf(r['CallType'], 'CallRecord.CallType', CALL_TYPE),
        StartTime: integer(r['StartTime'], 'CallRecord.StartTime'),
        EndTime: integer(r['EndTime'], 'CallRecord.EndTime'),
        AcceptTime: integer(r['AcceptTime'], 'CallRecord.AcceptTime'),
        CallResult: oneOf(r['CallResult'], 'CallRecord.CallResult', CALL_RESULT),
        CalleeList_Account: array(r['CalleeList_Account'], 'CallRecord.CalleeList_Account').map((id, i) =>
          idString(id, `CallRecord.CalleeList_Account[${i}]`),
        ),
        RoomId: r['RoomId'] === undefined ? '' : idString(r['RoomId'], 'CallRecord.RoomId'),
        RoomIdType: integer(r['RoomIdType'], 'CallRecord.RoomIdType'),
      };
      return { command: 'Call.CallbackAfterEndCall', callId: callRecord.CallId, callRecord, ...common };
    }
  }
}
