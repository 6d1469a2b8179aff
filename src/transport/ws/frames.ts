/** The client protocol's frame and op argument schemas (SPEC §4). */
import { Type } from '@sinclair/typebox';
import { validator } from '../../schema.js';

/** Longest user id, characters. */
export const MAX_USER_ID_LENGTH = 64;
/** Longest `userData`, characters. */
export const MAX_USER_DATA_LENGTH = 1000;

/** A user id: 1..64 characters, no control characters. */
export const UserId = Type.String({ minLength: 1, maxLength: MAX_USER_ID_LENGTH, pattern: '^[^\\u0000-\\u001f\\u007f]+$' });
const CallId = Type.String({ minLength: 1, maxLength: 64 });

/** `{ id, op, args }`. */
export const checkRequest = validator(
  Type.Object({
    id: Type.Union([Type.String({ maxLength: 128 }), Type.Number()]),
    op: Type.String({ maxLength: 64 }),
    args: Type.Optional(Type.Object({})),
  }),
);

/** Arguments of each op. */
export const opArgs = {
  calls: validator(
    Type.Object({
      userIdList: Type.Array(UserId, { minItems: 1, maxItems: 64 }),
      mediaType: Type.Union([Type.Literal('Audio'), Type.Literal('Video')]),
      roomId: Type.Optional(Type.Union([Type.Integer(), Type.String()])),
      roomIdType: Type.Optional(Type.Union([Type.Literal(1), Type.Literal(2)])),
      timeout: Type.Optional(Type.Integer({ minimum: 0, maximum: 600 })),
      userData: Type.Optional(Type.String({ maxLength: MAX_USER_DATA_LENGTH })),
      chatGroupId: Type.Optional(Type.String({ maxLength: 128 })),
    }),
  ),
  accept: validator(Type.Object({ callId: CallId })),
  reject: validator(Type.Object({ callId: CallId })),
  ignore: validator(Type.Object({ callId: CallId })),
  hangup: validator(Type.Object({ callId: CallId, reason: Type.Optional(Type.Literal('interrupt')) })),
  inviteUser: validator(
    Type.Object({
      callId: CallId,
      userIdList: Type.Array(UserId, { minItems: 1, maxItems: 64 }),
      timeout: Type.Optional(Type.Integer({ minimum: 0, maximum: 600 })),
    }),
  ),
  join: validator(Type.Object({ callId: CallId })),
  signal: validator(Type.Object({ callId: CallId, toUserId: UserId, data: Type.Unknown() })),
  ping: validator(Type.Object({})),
};

/** Names of the ops this server understands. */
export type OpName = keyof typeof opArgs;
