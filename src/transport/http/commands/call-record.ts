/** `call_record_http_srv`: records of ended calls (SPEC §2.3). */
import { Type } from '@sinclair/typebox';
import { RECORDS_PER_PAGE, type RecordService } from '../../../app/record-service.js';
import { ERR } from '../../../errors.js';
import { Identifier } from '../../../schema.js';
import { restCommand, type RestCommand } from '../command.js';

export { RECORD_WINDOW_SECONDS, RECORDS_PER_PAGE } from '../../../app/record-service.js';

const codes = { invalidParam: ERR.CALL_INVALID_PARAM, internal: ERR.CALL_INTERNAL };
const CALL_RESULTS = ['Cancel', 'Reject', 'NotAnswer', 'NormalEnd', 'CallBusy', 'Interrupt', 'Offline'] as const;

/** The `call_record_http_srv` commands. */
export function callRecordCommands(records: RecordService): RestCommand[] {
  return [
    restCommand({
      path: 'call_record_http_srv/get_record_by_callid',
      body: Type.Object({ CallId: Identifier() }),
      ...codes,
      handle: async (body, actor) => ({ CallRecord: await records.get(actor.sdkAppId, body.CallId) }),
    }),
    restCommand({
      path: 'call_record_http_srv/get_record_by_filter',
      body: Type.Object({
        StartTime: Type.Optional(Type.Integer({ minimum: 0 })),
        EndTime: Type.Optional(Type.Integer({ minimum: 0 })),
        CallResult: Type.Optional(Type.Union(CALL_RESULTS.map((r) => Type.Literal(r)))),
        CallType: Type.Optional(Type.Union([Type.Literal('SingleCall'), Type.Literal('MultiCall')])),
        NumberPerPage: Type.Optional(Type.Integer({ minimum: 1, maximum: RECORDS_PER_PAGE.max })),
        Page: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
      }),
      ...codes,
      handle: async (body, actor) => {
        const found = await records.find(actor.sdkAppId, {
          startTime: body.StartTime,
          endTime: body.EndTime,
          callResult: body.CallResult,
          callType: body.CallType,
          perPage: body.NumberPerPage,
          page: body.Page,
        });
        return { TotalNum: found.total, Page: found.page, CallRecordList: found.records };
      },
    }),
  ];
}
