import { describe, expect, it } from 'vitest';
import { CallbackTarget, callbackUrl, originOf, type CallbackCause } from './render.js';

const cause = { clientIp: '127.0.0.1', platform: 'Web' as const };

describe('originOf', () => {
  it('gives what URL.origin gives for every callback URL shape', () => {
    for (const configured of [
      'http://example.com/cb',
      'https://example.com:8443/a/b?x=1',
      'http://127.0.0.1:4000',
      'http://user:secret@example.com:81/cb',
      'https://[::1]:9000/cb?token=a@b',
      'http://EXAMPLE.com:80/cb',
    ]) {
      const url = callbackUrl(configured, 1400000000, 'Call.CallbackAfterStartCall', cause);
      expect(originOf(url), configured).toBe(new URL(url).origin);
    }
  });
});

describe('CallbackTarget', () => {
  const written = (configured: string, c: CallbackCause = cause, command = 'Call.CallbackAfterMemberChanged') =>
    callbackUrl(configured, 1400000000, command, c);

  it('sends a callback written onto the same URL to exactly the URL it was written with', () => {
    for (const configured of [
      'http://example.com/cb',
      'http://example.com',
      'https://example.com:8443/a/b?x=1&y=%20z',
      'http://example.com/cb?SdkAppid=7&x=1',
      'http://example.com/cb#frag',
      'http://example.com/cb?',
      'http://EXAMPLE.com:80/a%20b',
    ]) {
      for (const c of [cause, { clientIp: '::1', platform: 'Unknown' }, { clientIp: 'a&b=c?#', platform: 'RESTAPI' }] as CallbackCause[]) {
        expect(new CallbackTarget(configured).urlFor(written(configured, c)), configured).toBe(written(configured, c));
      }
    }
  });

  it("sends it to the URL configured now, with the query values it was written with and the new URL's own", () => {
    const ip: CallbackCause = { clientIp: '::1', platform: 'iOS' };
    const old = written('http://old.example/cb?old=1', ip);
    expect(new CallbackTarget('https://new.example:8443/hook?k=v').urlFor(old)).toBe(written('https://new.example:8443/hook?k=v', ip));
    expect(new CallbackTarget('https://new.example/hook').urlFor(old)).toBe(written('https://new.example/hook', ip));
    // A bare URL that merely begins like the new one is rebuilt, not taken as is.
    expect(new CallbackTarget('http://old.example/c').urlFor(old)).toBe(written('http://old.example/c', ip));
  });

  it('throws on a configured URL that does not parse, only when asked for a URL', () => {
    const target = new CallbackTarget('not a url');
    expect(() => target.urlFor(written('http://example.com/cb'))).toThrow();
  });
});
