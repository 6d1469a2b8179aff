import { describe, expect, it } from 'vitest';
import { turnCredentials } from './turn.js';

// Expected values computed once, outside this code base, with OpenSSL:
//   printf '%s' '1700000000:alice' | openssl dgst -sha1 -hmac 'north-wind-secret' -binary | base64
describe('turnCredentials', () => {
  it('username is <expiry>:<userId>, credential base64 HMAC-SHA1 of it (OpenSSL)', () => {
    expect(turnCredentials('north-wind-secret', 'alice', 1_700_000_000)).toEqual({
      username: '1700000000:alice',
      credential: 'r/l6ttQtMIfbS2lfULS0mDRRNUg=',
    });
  });

  it('hashes the UTF-8 bytes of a user id with astral characters and a colon (OpenSSL)', () => {
    expect(turnCredentials('north-wind-secret', '用户😀:x', 1_700_021_600)).toEqual({
      username: '1700021600:用户😀:x',
      credential: 'qfyGZhxDIFoI58L7cnZxW++FuGI=',
    });
  });

  it('depends on the secret and on the expiry', () => {
    const base = turnCredentials('north-wind-secret', 'alice', 1_700_000_000).credential;
    expect(turnCredentials('other-secret', 'alice', 1_700_000_000).credential).not.toBe(base);
    expect(turnCredentials('north-wind-secret', 'alice', 1_700_000_001).credential).not.toBe(base);
  });
});
