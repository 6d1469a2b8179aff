/**
 * Time-limited TURN credentials, the scheme of coturn's `use-auth-secret` (the "TURN REST API"
 * draft, draft-uberti-behave-turn-rest): the TURN server shares one secret with Dialtone and
 * checks each username's expiry and HMAC itself, so no user is ever registered with it.
 */
import { createHmac } from 'node:crypto';

/** A TURN username and password for one user. */
export interface TurnCredentials {
  /** `<expiry unix seconds>:<userId>`. */
  username: string;
  /** Standard base64 (with padding) of HMAC-SHA1(secret, username), both UTF-8. */
  credential: string;
}

/**
 * The credentials of `userId` that a TURN server holding `secret` accepts until `expiresAt`
 * (unix seconds; coturn refuses them after that).
 */
export function turnCredentials(secret: string, userId: string, expiresAt: number): TurnCredentials {
  const username = `${expiresAt}:${userId}`;
  return { username, credential: createHmac('sha1', Buffer.from(secret, 'utf8')).update(username, 'utf8').digest('base64') };
}
