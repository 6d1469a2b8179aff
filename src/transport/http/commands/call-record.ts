/** `call_record_http_srv`: records of ended calls (SPEC §2.3). */
import { Type } from '@sinclair/typebox';
import type { Clock, Storage } from '../../../app/ports.js';
import { ERR, dialtoneError } from '../../../errors.js';
import { Identifier } from '../../../schema.js';
import { restCommand, type RestCommand } from '../command.js';

/** How far back records can be listed, seconds (7 days). */
export const RECORD_WINDOW_SECONDS = 7 * 24 * 3600;
/** Default and largest page size of `get_record_by_filter`. */
export const RECORDS_PER_PAGE = { default: 10, max: 100 } as const;

const codes = { invalidParam: ERR.CALL_INVALID_PARAM, internal: ERR.CALL_INTERNAL };
const CALL_RESULTS = ['Cancel', 'Reject', 'NotAnswer', 'NormalEnd', 'CallBusy', 'Interrupt', 'Offline'] as const;

/** The `call_record_http_srv` commands. */
export function callRecordCommands(storage: Storage, clock: Clock): RestCommand[] {
  return [
    restCommand({
      path: 'call_record_http_srv/get_record_by_callid',
      body: Type.Object({ CallId: Identifier() }),
      ...codes,
      handle: async (body, actor) => {
        const record = await storage.transaction((tx) => tx.calls.getRecord(actor.sdkAppId, body.CallId));
        if (!record) throw dialtoneError(ERR.RECORD_NOT_FOUND);
        return { CallRecord: record };
      },
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
        const now = Math.floor(clock.now() / 1000);
        const earliest = now - RECORD_WINDOW_SECONDS;
        const startTime = Math.max(body.StartTime ?? earliest, earliest);
        const endTime = body.EndTime ?? now;
        const perPage = body.NumberPerPage ?? RECORDS_PER_PAGE.default;
        const page = body.Page ?? 1;
        // A window that ends before it starts (e.g. before the last 7 days) simply holds nothing.
        if (endTime < startTime) return { TotalNum: 0, Page: page, CallRecordList: [] };
        const { total, records } = await storage.transaction((tx) =>
          tx.calls.findRecords(
            actor.sdkAppId,
            { startTime, endTime, callResult: body.CallResult, callType: body.CallType },
            (page - 1) * perPage,
            perPage,
          ),
        );
        return { TotalNum: total, Page: page, CallRecordList: records };
      },
    }),
  ];
}
