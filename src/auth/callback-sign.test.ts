import { describe, expect, it } from 'vitest';
import vector from '../../test/fixtures/vectors/callback-sign.json' with { type: 'json' };
import { callbackSign, generateWebhookSecret, webhookSignature } from './callback-sign.js';

describe('callback Sign', () => {
  it('matches the reference vector', () => {
    expect(callbackSign(vector.token, vector.requestTime)).toBe(vector.sign);
  });
  it('is lowercase hex of 64 characters', () => {
    expect(callbackSign('t', 1)).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('Standard Webhooks signature', () => {
  it('generates whsec_ secrets of 32 random bytes', () => {
    const s = generateWebhookSecret();
    expect(s).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(s.slice(6), 'base64')).toHaveLength(32);
    expect(generateWebhookSecret()).not.toBe(s);
  });
  it('matches the Standard Webhooks reference example', () => {
    // Example from the Standard Webhooks specification's reference test suite.
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const sig = webhookSignature(secret, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}');
    expect(sig).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });
});
