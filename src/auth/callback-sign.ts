/**
 * Callback authentication (SPEC §3.2): the reference product's token `Sign`, and the Standard
 * Webhooks signature Dialtone adds on every callback.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';

/** `Sign` = lowercase hex SHA-256 of `token + requestTime` (a plain hash, not an HMAC). */
export function callbackSign(token: string, requestTime: number): string {
  return createHash('sha256').update(`${token}${requestTime}`, 'utf8').digest('hex');
}

/** Generates a Standard Webhooks secret: `whsec_` + base64 of 32 random bytes. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/**
 * Computes a Standard Webhooks `webhook-signature` value for one secret:
 * `v1,` + base64 HMAC-SHA256 over `id.timestamp.body`, keyed by the base64-decoded secret.
 */
export function webhookSignature(secret: string, id: string, timestampSeconds: number, body: string): string {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
  const mac = createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`, 'utf8').digest('base64');
  return `v1,${mac}`;
}
