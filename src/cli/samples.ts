/**
 * Realistic sample callbacks for `dialtone trigger`: alice calls bob (and, for group actions,
 * carol), rendered and signed by the same code the server sends real callbacks with.
 */
import { randomUUID } from 'node:crypto';
import { callbackSign, webhookSignature } from '../auth/callback-sign.js';
import { callbackBody, callbackUrl, withSign } from '../callbacks/render.js';
import type { CallbackEffect } from '../domain/effects.js';
import type { ActionType, CallbackCommand, CallbackUser, CallResult, MediaType } from '../domain/types.js';

/** Every `ActionType` a MemberChanged sample can carry. */
export const ACTION_TYPES: readonly ActionType[] = [
  'Accept',
  'Reject',
  'NotAnswer',
  'Hangup',
  'Join',
  'Offline',
  'Invite',
  'Cancel_Invite',
];
/** Every `CallResult` an EndCall sample can carry. */
export const CALL_RESULTS: readonly CallResult[] = ['Cancel', 'Reject', 'NotAnswer', 'NormalEnd', 'CallBusy', 'Interrupt', 'Offline'];

/** What to put in a sample. */
export interface SampleOptions {
  callId?: string | undefined;
  mediaType?: MediaType;
  /** MemberChanged: what bob (carol for Join and Invite) did. Default Accept. */
  action?: ActionType | undefined;
  /** EndCall: how the call ended. Default NormalEnd. */
  result?: CallResult | undefined;
  /** Unix ms. */
  now: number;
}

const calling = (u: string): CallbackUser => ({ User_Account: u, Status: 'Calling' });
const waiting = (u: string): CallbackUser => ({ User_Account: u, Status: 'Waiting' });

/** Who is in the call after `action` (alice called bob). */
function membersAfter(action: ActionType): { user: string; list: CallbackUser[] } {
  switch (action) {
    case 'Accept':
      return { user: 'bob', list: [calling('alice'), calling('bob')] };
    case 'Join':
      return { user: 'carol', list: [calling('alice'), calling('bob'), calling('carol')] };
    case 'Invite':
      return { user: 'carol', list: [calling('alice'), calling('bob'), waiting('carol')] };
    case 'Cancel_Invite':
      return { user: 'carol', list: [calling('alice'), calling('bob')] };
    default:
      // Reject, NotAnswer, Hangup, Offline: bob leaves a call alice and carol stay in.
      return { user: 'bob', list: [calling('alice'), calling('carol')] };
  }
}

/** A sample callback of `command` as typed data. */
export function sampleCallback(command: CallbackCommand, opts: SampleOptions): CallbackEffect {
  const callId = opts.callId ?? randomUUID();
  const mediaType = opts.mediaType ?? 'Audio';
  const roomId = `room_${callId.replace(/-/g, '').slice(0, 16)}`;
  switch (command) {
    case 'Call.CallbackAfterStartCall':
      return {
        type: 'callback',
        command,
        callInfo: { CallId: callId, MediaType: mediaType, ChatGroupId: '', RoomId: roomId, RoomIdType: 2 },
        userList: [calling('alice'), waiting('bob')],
        eventTime: opts.now,
      };
    case 'Call.CallbackAfterMemberChanged': {
      const action = opts.action ?? 'Accept';
      const { user, list } = membersAfter(action);
      return {
        type: 'callback',
        command,
        callId,
        userList: list,
        changedUserList: [{ User_Account: user, ActionType: action }],
        eventTime: opts.now,
      };
    }
    case 'Call.CallbackAfterEndCall': {
      const result = opts.result ?? 'NormalEnd';
      const end = Math.floor(opts.now / 1000);
      const connected = result === 'NormalEnd' || result === 'Interrupt' || result === 'Offline';
      return {
        type: 'callback',
        command,
        callRecord: {
          CallId: callId,
          Caller_Account: 'alice',
          MediaType: mediaType,
          CallType: 'SingleCall',
          StartTime: end - 95,
          AcceptTime: connected ? end - 90 : 0,
          EndTime: end,
          CallResult: result,
          CalleeList_Account: ['alice', 'bob'],
          RoomId: roomId,
          RoomIdType: 2,
        },
        eventTime: opts.now,
      };
    }
  }
}

/** How to sign a sample. */
export interface SigningOptions {
  sdkAppId: number;
  /** Adds `RequestTime` and `Sign`. */
  token?: string;
  /** Standard Webhooks secrets (current first). */
  webhookSecrets?: string[];
  /** Unix ms. */
  now: number;
}

/** A sample ready to POST: URL, headers and body, exactly as the server would send it. */
export function signedRequest(
  target: string,
  effect: CallbackEffect,
  signing: SigningOptions,
): { url: string; headers: Record<string, string>; body: string; webhookId: string } {
  const seconds = Math.floor(signing.now / 1000);
  const body = callbackBody(effect);
  let url = callbackUrl(target, signing.sdkAppId, effect.command, { clientIp: '127.0.0.1', platform: 'Web' });
  if (signing.token !== undefined) url = withSign(url, seconds, callbackSign(signing.token, seconds));
  const webhookId = `msg_${randomUUID().replace(/-/g, '')}`;
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    'webhook-id': webhookId,
    'webhook-timestamp': String(seconds),
  };
  if (signing.webhookSecrets && signing.webhookSecrets.length > 0) {
    headers['webhook-signature'] = signing.webhookSecrets.map((s) => webhookSignature(s, webhookId, seconds, body)).join(' ');
  }
  return { url, headers, body, webhookId };
}
