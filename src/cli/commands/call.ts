/** `dialtone call info|end|robot|policy`: live calls (SPEC §2.4) and the app's call policy (SPEC §5.2). */
import type { Command } from 'commander';
import { boolArg, choiceArg, intArg, listArg } from '../args.js';
import { clientFor, withConnection, type ConnectionFlags } from '../connection.js';
import { out, printFields, printJson, printTable } from '../output.js';

type Flags = ConnectionFlags & { json?: boolean };

/** Registers `call` and its subcommands on `program`. */
export function registerCall(program: Command): void {
  const call = program
    .command('call')
    .description("Live calls: look at one, end one, or start one from a server-side robot account; the app's call policy.");

  withConnection(call.command('info'))
    .description('Show a live call and its members.')
    .argument('<callId>', 'the CallId')
    .option('--json', 'print the REST Response as JSON')
    .addHelpText('after', '\nExamples:\n  dialtone call info 055662e1-bc8a-469c-a334-1126c8c17d58')
    .action(async (callId: string, flags: Flags) => {
      const res = await (
        await clientFor(flags)
      ).call<{ CallInfo: Record<string, unknown>; UserList: { User_Account: string; Status: string }[] }>(
        'call_engine_http_srv/get_call_info',
        { CallId: callId },
      );
      if (flags.json) return printJson(res);
      printFields(res.CallInfo);
      out();
      printTable(res.UserList, ['User_Account', 'Status']);
    });

  withConnection(call.command('end'))
    .description('End a live call for everyone.')
    .argument('<callId>', 'the CallId')
    .option('--json', 'print the REST Response as JSON')
    .addHelpText('after', '\nExamples:\n  dialtone call end 055662e1-bc8a-469c-a334-1126c8c17d58')
    .action(async (callId: string, flags: Flags) => {
      await (await clientFor(flags)).call('call_engine_http_srv/end_call', { CallId: callId });
      if (flags.json) printJson({});
      else out(`call ${callId} ended`);
    });

  withConnection(call.command('robot'))
    .description('Start a call from a robot account (no connection: never busy, never expires).')
    .requiredOption('--robot <userId>', 'the robot account that calls')
    .requiredOption('--callees <ids>', 'comma-separated users to ring', listArg)
    .option('--media <type>', 'Audio or Video', choiceArg(['Audio', 'Video'] as const), 'Audio')
    .option('--timeout <seconds>', 'ring timeout in seconds (10..600)', intArg(10, 600), 30)
    .option('--room-id <id>', 'room id (default: generated)')
    .option('--user-data <text>', 'UserData passed to the callees')
    .option('--json', 'print the REST Response as JSON')
    .addHelpText('after', '\nExamples:\n  dialtone call robot --robot reminder-bot --callees alice,bob --media Video')
    .action(
      async (flags: Flags & { robot: string; callees: string[]; media: string; timeout: number; roomId?: string; userData?: string }) => {
        const res = await (
          await clientFor(flags)
        ).call<{ CallId: string; CallResult: { Callee_Account: string; ResultCode: number }[] }>(
          'call_engine_http_srv/start_call_by_robot',
          {
            Robot_Account: flags.robot,
            CalleeList_Account: flags.callees,
            Timeout: flags.timeout * 1000,
            UserData: flags.userData,
            CallInfo: { MediaType: flags.media, RoomId: flags.roomId },
          },
        );
        if (flags.json) return printJson(res);
        out(`CallId  ${res.CallId}`);
        printTable(
          res.CallResult.map((r) => ({ Callee: r.Callee_Account, Result: r.ResultCode === 0 ? 'ringing' : 'busy' })),
          ['Callee', 'Result'],
        );
      },
    );

  const policy = call.command('policy').description('The call policy: who may join the app’s group calls by CallId.');
  withConnection(policy.command('get'))
    .description('Show the call policy.')
    .option('--json', 'print the REST Response as JSON')
    .addHelpText('after', '\nExamples:\n  dialtone call policy get')
    .action(async (flags: Flags) => {
      const res = await (await clientFor(flags)).call<{ OpenGroupJoin: boolean }>('call_config/get_call_policy');
      if (flags.json) return printJson(res);
      printFields(res);
    });
  withConnection(policy.command('set'))
    .description('Change the call policy.')
    .requiredOption(
      '--open-group-join <on|off>',
      'on: any user of the app who knows a group call’s CallId may join it; off (default): only users the call invited',
      boolArg,
    )
    .option('--json', 'print the REST Response as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  dialtone call policy set --open-group-join on\n  dialtone call policy set --open-group-join off --json',
    )
    .action(async (flags: Flags & { openGroupJoin: boolean }) => {
      const res = await (
        await clientFor(flags)
      ).call<{ OpenGroupJoin: boolean }>('call_config/set_call_policy', {
        OpenGroupJoin: flags.openGroupJoin,
      });
      if (flags.json) return printJson(res);
      printFields(res);
    });
}
