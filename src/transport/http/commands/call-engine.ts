/** `call_engine_http_srv`: live calls (SPEC §2.4). */
import { Type } from '@sinclair/typebox';
import type { CallService } from '../../../app/call-service.js';
import { callInfo, userList } from '../../../domain/call-state.js';
import { ERR, isDialtoneError, type FieldNames } from '../../../errors.js';
import { Identifier, IdentifierOrEmpty, UserId } from '../../../schema.js';
import { restCommand, type RestCommand } from '../command.js';

const codes = { invalidParam: ERR.CALL_INVALID_PARAM, internal: ERR.CALL_INTERNAL };

/** `ResultCode` of a callee in `start_call_by_robot`'s answer: 0 ringing, 1 busy in another call. */
export const ROBOT_RESULT = { RINGING: 0, BUSY: 1 } as const;

const CallIdBody = Type.Object({ CallId: Identifier() });

/**
 * How `start_call_by_robot` spells the fields of the call rules it shares with the client's
 * `calls` (whose names the domain's errors use), so its errors name what the caller sent.
 */
const ROBOT_FIELDS: FieldNames = {
  userIdList: 'CalleeList_Account',
  userData: 'UserData',
  roomId: 'CallInfo.RoomId',
  roomIdType: 'CallInfo.RoomIdType',
  timeout: 'Timeout',
};

/** The `call_engine_http_srv` commands. */
export function callEngineCommands(calls: CallService): RestCommand[] {
  return [
    restCommand({
      path: 'call_engine_http_srv/get_call_info',
      body: CallIdBody,
      ...codes,
      handle: async (body, actor) => {
        const call = await calls.getCall(actor.sdkAppId, body.CallId);
        return { CallInfo: callInfo(call), UserList: userList(call) };
      },
    }),
    restCommand({
      path: 'call_engine_http_srv/end_call',
      body: CallIdBody,
      ...codes,
      handle: async (body, actor) => {
        await calls.endCall(actor, body.CallId);
        return undefined;
      },
    }),
    restCommand({
      path: 'call_engine_http_srv/start_call_by_robot',
      body: Type.Object({
        Robot_Account: UserId(),
        CalleeList_Account: Type.Array(UserId(), { minItems: 1, maxItems: 64 }),
        Timeout: Type.Integer({ minimum: 10_000, maximum: 600_000 }),
        UserData: Type.Optional(Type.String()),
        CallInfo: Type.Object({
          MediaType: Type.Union([Type.Literal('Audio'), Type.Literal('Video')]),
          RoomId: Type.Optional(
            Type.Union([IdentifierOrEmpty(), Type.Integer()], {
              errorMessage: 'must be an integer or a string of 1 to 64 characters with no control character',
            }),
          ),
          RoomIdType: Type.Optional(Type.Union([Type.Literal(1), Type.Literal(2)])),
        }),
        OfflinePushInfo: Type.Optional(Type.Object({})),
      }),
      ...codes,
      handle: async (body, actor) => {
        try {
          const started = await calls.startCall(
            { ...actor, userId: body.Robot_Account },
            {
              userIdList: body.CalleeList_Account,
              mediaType: body.CallInfo.MediaType,
              roomId: body.CallInfo.RoomId,
              roomIdType: body.CallInfo.RoomIdType,
              // Whole seconds: the ring timer works in seconds, the REST field in ms.
              timeout: Math.ceil(body.Timeout / 1000),
              userData: body.UserData,
            },
            true,
          );
          return {
            CallId: started.callId,
            CallResult: body.CalleeList_Account.map((id) => ({
              Callee_Account: id,
              ResultCode: started.busy.includes(id) ? ROBOT_RESULT.BUSY : ROBOT_RESULT.RINGING,
            })),
          };
        } catch (err) {
          // The call rules are the client protocol's; REST reports them as 101002, in its own field names.
          if (isDialtoneError(err) && err.code === ERR.CLIENT_INVALID_PARAM.code) throw err.as(ERR.CALL_INVALID_PARAM, ROBOT_FIELDS);
          throw err;
        }
      },
    }),
  ];
}
