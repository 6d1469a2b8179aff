/** The client protocol's frame and op argument schemas (SPEC §4). */
import { Type, type Static } from '@sinclair/typebox';
import { RECENT_CALLS } from '../../app/record-service.js';
import { Identifier, IdentifierOrEmpty, UserId, validator, WellFormedString } from '../../schema.js';

/** Longest `userData`, characters (the domain also caps it at 1000 UTF-8 bytes). */
export const MAX_USER_DATA_LENGTH = 1000;

const CallId = Identifier();
/** A room id: an integer (type 1), or an identifier (type 2); `''` asks for a generated one. */
const RoomId = Type.Union([Type.Integer(), IdentifierOrEmpty()], {
  errorMessage: 'must be an integer or a string of 1 to 64 characters with no control character',
});

/** `{ id, op, args }`. The args are checked, strings included, by the op's own schema. */
export const checkRequest = validator(
  Type.Object({
    id: Type.Union([WellFormedString({ maxLength: 128 }), Type.Number()], {
      errorMessage: 'must be a string of at most 128 characters or a number',
    }),
    op: WellFormedString({ maxLength: 64 }),
    args: Type.Optional(Type.Object({})),
  }),
  { root: 'the frame', deep: false },
);

/** The schema of each op's arguments. */
export const OP_SCHEMAS = {
  calls: Type.Object({
    userIdList: Type.Array(UserId(), { minItems: 1, maxItems: 64 }),
    mediaType: Type.Union([Type.Literal('Audio'), Type.Literal('Video')]),
    roomId: Type.Optional(RoomId),
    roomIdType: Type.Optional(Type.Union([Type.Literal(1), Type.Literal(2)])),
    timeout: Type.Optional(Type.Integer({ minimum: 0, maximum: 600 })),
    userData: Type.Optional(Type.String({ maxLength: MAX_USER_DATA_LENGTH })),
    chatGroupId: Type.Optional(IdentifierOrEmpty()),
  }),
  accept: Type.Object({ callId: CallId }),
  reject: Type.Object({ callId: CallId }),
  ignore: Type.Object({ callId: CallId }),
  hangup: Type.Object({ callId: CallId, reason: Type.Optional(Type.Literal('interrupt')) }),
  inviteUser: Type.Object({
    callId: CallId,
    userIdList: Type.Array(UserId(), { minItems: 1, maxItems: 64 }),
    timeout: Type.Optional(Type.Integer({ minimum: 0, maximum: 600 })),
  }),
  join: Type.Object({ callId: CallId }),
  signal: Type.Object({ callId: CallId, toUserId: UserId(), data: Type.Unknown() }),
  setMediaState: Type.Object({ callId: CallId, camera: Type.Optional(Type.Boolean()), microphone: Type.Optional(Type.Boolean()) }),
  switchMediaType: Type.Object({ callId: CallId, mediaType: Type.Union([Type.Literal('Audio'), Type.Literal('Video')]) }),
  ping: Type.Object({}),
  getIceServers: Type.Object({}),
  getRecentCalls: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: RECENT_CALLS.max })) }),
};

type OpSchemas = typeof OP_SCHEMAS;

/** Names of the ops this server understands. */
export type OpName = keyof OpSchemas;

/** The checked arguments of each op, as its schema describes them. */
export type OpArgs = { [Op in OpName]: Static<OpSchemas[Op]> };

/** Checks one op's arguments: its checked value, or why it is refused. */
export type OpArgsCheck<Op extends OpName> = (value: unknown) => { ok: true; value: OpArgs[Op] } | { ok: false; reason: string };

/** Arguments of each op; fields are named in errors as the client spells them (`userIdList[2]`). */
export const opArgs = Object.fromEntries(Object.entries(OP_SCHEMAS).map(([op, schema]) => [op, validator(schema, { root: 'args' })])) as {
  [Op in OpName]: OpArgsCheck<Op>;
};

/** Whether `op` names an op this server understands. */
export function isOpName(op: string): op is OpName {
  return Object.hasOwn(OP_SCHEMAS, op);
}
