/** `dialtone records get|list`: call records (SPEC §2.3). */
import type { Command } from 'commander';
import type { CallRecord } from '../../domain/types.js';
import { choiceArg, intArg, timeArg } from '../args.js';
import { clientFor, withConnection, type ConnectionFlags } from '../connection.js';
import { isoTime, printFields, printJson, printTable } from '../output.js';

type Flags = ConnectionFlags & { json?: boolean };

const CALL_RESULTS = ['Cancel', 'Reject', 'NotAnswer', 'NormalEnd', 'CallBusy', 'Interrupt', 'Offline'] as const;

function row(r: CallRecord): Record<string, unknown> {
  return {
    CallId: r.CallId,
    Caller: r.Caller_Account,
    Type: r.CallType,
    Media: r.MediaType,
    Result: r.CallResult,
    Started: isoTime(r.StartTime, true),
    Seconds: r.EndTime - (r.AcceptTime || r.StartTime),
    Members: r.CalleeList_Account.join(','),
  };
}

/** Registers `records` and its subcommands on `program`. */
export function registerRecords(program: Command): void {
  const records = program.command('records').description('Call records of ended calls.');

  withConnection(records.command('get'))
    .description('Show the record of one call.')
    .argument('<callId>', 'the CallId')
    .option('--json', 'print the REST Response as JSON')
    .addHelpText('after', '\nExamples:\n  dialtone records get 055662e1-bc8a-469c-a334-1126c8c17d58')
    .action(async (callId: string, flags: Flags) => {
      const res = await (
        await clientFor(flags)
      ).call<{ CallRecord: CallRecord }>('call_record_http_srv/get_record_by_callid', { CallId: callId });
      if (flags.json) return printJson(res);
      const r = res.CallRecord;
      printFields({
        ...r,
        StartTime: `${r.StartTime} (${isoTime(r.StartTime, true)})`,
        AcceptTime: r.AcceptTime ? `${r.AcceptTime} (${isoTime(r.AcceptTime, true)})` : 0,
        EndTime: `${r.EndTime} (${isoTime(r.EndTime, true)})`,
        CalleeList_Account: r.CalleeList_Account.join(', '),
      });
    });

  withConnection(records.command('list'))
    .description('List records, newest first, of calls started in a window of the last 7 days.')
    .option('--from <time>', 'calls started at or after (ISO date, unix s/ms, or an age: 30m, 6h, 2d)', (v) => timeArg(v))
    .option('--to <time>', 'calls started at or before', (v) => timeArg(v))
    .option('--result <result>', `only this CallResult (${CALL_RESULTS.join(', ')})`, choiceArg(CALL_RESULTS))
    .option('--type <type>', 'SingleCall or MultiCall', choiceArg(['SingleCall', 'MultiCall'] as const))
    .option('--page <n>', 'page, from 1', intArg(1, 1_000_000), 1)
    .option('--per-page <n>', 'records per page (1..100)', intArg(1, 100), 10)
    .option('--json', 'print the REST Response as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  dialtone records list --from 1d\n  dialtone records list --result NotAnswer --type SingleCall --per-page 50 --json',
    )
    .action(async (flags: Flags & { from?: number; to?: number; result?: string; type?: string; page: number; perPage: number }) => {
      const res = await (
        await clientFor(flags)
      ).call<{ TotalNum: number; Page: number; CallRecordList: CallRecord[] }>('call_record_http_srv/get_record_by_filter', {
        ...(flags.from !== undefined ? { StartTime: Math.floor(flags.from / 1000) } : {}),
        ...(flags.to !== undefined ? { EndTime: Math.floor(flags.to / 1000) } : {}),
        ...(flags.result !== undefined ? { CallResult: flags.result } : {}),
        ...(flags.type !== undefined ? { CallType: flags.type } : {}),
        Page: flags.page,
        NumberPerPage: flags.perPage,
      });
      if (flags.json) return printJson(res);
      printTable(res.CallRecordList.map(row), ['CallId', 'Caller', 'Type', 'Media', 'Result', 'Started', 'Seconds', 'Members']);
      process.stdout.write(`page ${res.Page}, ${res.CallRecordList.length} of ${res.TotalNum} records\n`);
    });
}
