/** `call_engine_http_srv`: live calls (SPEC §2.4). */
import { Type } from '@sinclair/typebox';
import type { CallService } from '../../../app/call-service.js';
import { callInfo, userList } from '../../../domain/call-state.js';
import { ERR, dialtoneError, isDialtoneError } from '../../../errors.js';
import { MAX_USER_DATA_LENGTH, UserId } from '../../ws/frames.js';
import { restCommand, type RestCommand } from '../command.js';

const codes = { invalidParam: ERR.CALL_INVALID_PARAM, internal: ERR.CALL_INTERNAL };

/** `ResultCode` of a callee in `start_call_by_robot`'s answer: 0 ringing, 1 busy in another call. */
export const ROBOT_RESULT = { RINGING: 0, BUSY: 1 } as const;

const CallIdBody = Type.Object({ CallId: Type.String({ minLength: 1, maxLength: 64 }) });

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
        Robot_Account: UserId,
        CalleeList_Account: Type.Array(UserId, { minItems: 1, maxItems: 64 }),
        Timeout: Type.Integer({ minimum: 10_000, maximum: 600_000 }),
        UserData: Type.Optional(Type.String()),
        CallInfo: Type.Object({
          MediaType: Type.Union([Type.Literal('Audio'), Type.Literal('Video')]),
          RoomId: Type.Optional(Type.Union([Type.String(), Type.Integer()])),
          RoomIdType: Type.Optional(Type.Union([Type.Literal(1), Type.Literal(2)])),
        }),
        OfflinePushInfo: Type.Optional(Type.Object({})),
      }),
      ...codes,
      handle: async (body, actor) => {
        if (body.UserData !== undefined && Buffer.byteLength(body.UserData, 'utf8') > MAX_USER_DATA_LENGTH) {
          throw dialtoneError(ERR.CALL_INVALID_PARAM, `UserData is at most ${MAX_USER_DATA_LENGTH} bytes`);
        }
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
          // Client-protocol validation errors are the same rules; REST reports them as 101002.
          if (isDialtoneError(err) && err.code === ERR.CLIENT_INVALID_PARAM.code) throw dialtoneError(ERR.CALL_INVALID_PARAM, err.message);
          throw err;
        }
      },
    }),
  ];
}
