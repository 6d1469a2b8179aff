import { describe, expect, it } from 'vitest';
import { callbackUrl, originOf } from './render.js';

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
