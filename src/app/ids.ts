/** Sources of fresh ids, injectable so tests can pin them. */
import { randomInt, randomUUID } from 'node:crypto';
import { MAX_NUMERIC_ROOM_ID } from '../domain/start-call.js';

/** Id generators used by the use cases. */
export interface Ids {
  callId(): string;
  /** A callback id, sent as `webhook-id`. */
  callbackId(): string;
  stringRoomId(): string;
  numericRoomId(): number;
}

/** Random ids: UUID call ids, `msg_`-prefixed callback ids. */
export const randomIds: Ids = {
  callId: () => randomUUID(),
  callbackId: () => `msg_${randomUUID().replace(/-/g, '')}`,
  stringRoomId: () => `room_${randomUUID().replace(/-/g, '').slice(0, 16)}`,
  numericRoomId: () => 1 + randomInt(MAX_NUMERIC_ROOM_ID),
};
