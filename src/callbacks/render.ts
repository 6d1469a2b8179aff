/**
 * Renders callbacks onto the wire (SPEC §3.1, §3.3–3.5): the URL with the reference product's
 * query parameters, and one typed body per command.
 */
import type { CallbackEffect } from '../domain/effects.js';
import type { Platform } from '../domain/types.js';

/** Who caused a callback: put into `ClientIP` and `OptPlatform`. */
export interface CallbackCause {
  clientIp: string;
  platform: Platform;
}

/** Per-app rendering options. */
export interface RenderOptions {
  /** Also emit `CallInfo.CallMediaType` (the reference sample's spelling). Default false. */
  emitCallMediaType?: boolean;
}

/**
 * Builds the callback URL: the configured URL (its own query parameters kept) plus `SdkAppid`,
 * `CallbackCommand`, `contenttype`, `ClientIP` and `OptPlatform`.
 */
export function callbackUrl(configuredUrl: string, sdkAppId: number, command: string, cause: CallbackCause): string {
  const url = new URL(configuredUrl);
  url.searchParams.set('SdkAppid', String(sdkAppId));
  url.searchParams.set('CallbackCommand', command);
  url.searchParams.set('contenttype', 'json');
  url.searchParams.set('ClientIP', cause.clientIp);
  url.searchParams.set('OptPlatform', cause.platform);
  return url.toString();
}

/** The query parameters {@link callbackUrl} adds, in the order it adds them. */
const CALLBACK_PARAMS = ['SdkAppid', 'CallbackCommand', 'contenttype', 'ClientIP', 'OptPlatform'] as const;

/** The query {@link callbackUrl} writes after a configured URL that has none of its own (sticky: matched from `lastIndex`). */
const BARE_QUERY = /\?SdkAppid=[^&#]*&CallbackCommand=[^&#]*&contenttype=json&ClientIP=[^&#]*&OptPlatform=[^&#]*$/y;

/**
 * An app's configured callback URL, onto which written callbacks are sent (SPEC §6 "the current
 * configuration decides"): a callback keeps the query values it was written with (`SdkAppid`,
 * `CallbackCommand`, `contenttype`, `ClientIP`, `OptPlatform`) and goes to the URL configured
 * when it is sent, whatever URL was configured when it was written.
 */
export class CallbackTarget {
  /** The configured URL as {@link callbackUrl} serialises it, when it has no query or fragment. */
  private readonly bare: string | undefined;

  constructor(readonly configuredUrl: string) {
    let bare: string | undefined;
    try {
      const u = new URL(configuredUrl);
      if (u.search === '' && u.hash === '' && !u.href.endsWith('?') && !u.href.endsWith('#')) bare = u.href;
    } catch {
      // Left to urlFor, inside the attempt, which records it as a failed attempt.
    }
    this.bare = bare;
  }

  /**
   * The URL a callback written as `writtenUrl` (by {@link callbackUrl}) goes to now. Throws when
   * the configured URL does not parse.
   */
  urlFor(writtenUrl: string): string {
    // Written onto this same URL (the usual case): nothing to rebuild, and no parsing per attempt.
    if (this.bare !== undefined && writtenUrl.startsWith(this.bare)) {
      BARE_QUERY.lastIndex = this.bare.length;
      if (BARE_QUERY.test(writtenUrl)) return writtenUrl;
    }
    const written = new URL(writtenUrl).searchParams;
    const url = new URL(this.configuredUrl);
    for (const name of CALLBACK_PARAMS) {
      const value = written.get(name);
      if (value !== null) url.searchParams.set(name, value);
    }
    return url.toString();
  }
}

/**
 * `scheme://host[:port]` of a URL that {@link callbackUrl} wrote (so already normalised), without
 * parsing it again: this runs for every callback written and claimed. Credentials are left out,
 * as `URL.origin` leaves them out.
 */
export function originOf(url: string): string {
  const start = url.indexOf('//') + 2;
  let end = url.indexOf('/', start);
  if (end < 0) end = url.length;
  const query = url.indexOf('?', start);
  if (query >= 0 && query < end) end = query;
  const at = url.lastIndexOf('@', end);
  return at >= start ? `${url.slice(0, start)}${url.slice(at + 1, end)}` : url.slice(0, end);
}

/** Adds the token authentication parameters of SPEC §3.2 to a callback URL. */
export function withSign(url: string, requestTime: number, sign: string): string {
  const u = new URL(url);
  u.searchParams.set('RequestTime', String(requestTime));
  u.searchParams.set('Sign', sign);
  return u.toString();
}

/** The JSON body of a callback, exactly as sent. */
export function callbackBody(effect: CallbackEffect, options: RenderOptions = {}): string {
  switch (effect.command) {
    case 'Call.CallbackAfterStartCall': {
      const callInfo: Record<string, unknown> = { ...effect.callInfo };
      if (options.emitCallMediaType) callInfo['CallMediaType'] = effect.callInfo.MediaType;
      return JSON.stringify({
        CallbackCommand: effect.command,
        CallInfo: callInfo,
        UserList: effect.userList,
        EventTime: effect.eventTime,
      });
    }
    case 'Call.CallbackAfterMemberChanged':
      return JSON.stringify({
        CallbackCommand: effect.command,
        CallId: effect.callId,
        UserList: effect.userList,
        ChangedUserList: effect.changedUserList,
        EventTime: effect.eventTime,
      });
    case 'Call.CallbackAfterEndCall':
      return JSON.stringify({
        CallbackCommand: effect.command,
        CallRecord: effect.callRecord,
        EventTime: effect.eventTime,
      });
  }
}
