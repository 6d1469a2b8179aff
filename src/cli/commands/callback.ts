/** `dialtone callback …`: the app's callback configuration, token, delivery policy and webhook secret. */
import type { Command } from 'commander';
import { CALLBACK_COMMANDS } from '../../domain/types.js';
import { boolArg, choiceArg, intArg, listArg } from '../args.js';
import { clientFor, withConnection, type ConnectionFlags } from '../connection.js';
import { out, printFields, printJson } from '../output.js';

type Flags = ConnectionFlags & { json?: boolean };

/** Accepts full callback command names or the short `start`, `member`, `end`. */
export function callbackCommandArg(value: string): (typeof CALLBACK_COMMANDS)[number] {
  const short: Record<string, (typeof CALLBACK_COMMANDS)[number]> = {
    start: 'Call.CallbackAfterStartCall',
    member: 'Call.CallbackAfterMemberChanged',
    end: 'Call.CallbackAfterEndCall',
  };
  return short[value.toLowerCase()] ?? choiceArg(CALLBACK_COMMANDS)(value);
}

function done(flags: Flags, message: string): void {
  if (flags.json) printJson({});
  else out(message);
}

/** Registers `callback` and its subcommands on `program`. */
export function registerCallback(program: Command): void {
  const callback = program
    .command('callback')
    .description("The app's callback URL and commands, token, delivery policy and webhook secret.");

  withConnection(callback.command('set'))
    .description('Set (or replace) the callback URL and the commands sent to it.')
    .argument('<url>', 'http:// or https:// URL of your callback endpoint')
    .option('--commands <list>', 'comma-separated commands: start, member, end or full names (default: all three)', (v) =>
      listArg(v).map(callbackCommandArg),
    )
    .option('--json', 'print the REST Response as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  dialtone callback set https://api.example.com/dialtone\n  dialtone callback set http://127.0.0.1:4000/ --commands start,end',
    )
    .action(async (url: string, flags: Flags & { commands?: string[] }) => {
      const commands = [...new Set(flags.commands ?? CALLBACK_COMMANDS)];
      await (await clientFor(flags)).call('call_config/set_callback', { Url: url, CallbackCommandList: commands });
      done(flags, `callback set: ${url} (${commands.join(', ')})`);
    });

  withConnection(callback.command('get'))
    .description('Show the callback URL and commands.')
    .option('--json', 'print the REST Response as JSON')
    .addHelpText('after', '\nExamples:\n  dialtone callback get --json')
    .action(async (flags: Flags) => {
      const res = await (await clientFor(flags)).call<{ Url: string; CallbackCommandList: string[] }>('call_config/get_callback');
      if (flags.json) return printJson(res);
      printFields({ Url: res.Url, Commands: res.CallbackCommandList.join(', ') });
    });

  withConnection(callback.command('delete'))
    .description('Delete the callback configuration (no callbacks are sent after this).')
    .option('--json', 'print the REST Response as JSON')
    .addHelpText('after', '\nExamples:\n  dialtone callback delete')
    .action(async (flags: Flags) => {
      await (await clientFor(flags)).call('call_config/delete_callback');
      done(flags, 'callback configuration deleted');
    });

  const token = callback.command('token').description('The callback token: adds Sign and RequestTime to every callback URL.');
  withConnection(token.command('set'))
    .description('Set the callback token (1..128 characters).')
    .argument('<token>', 'the token')
    .option('--disable', 'store it but do not sign with it')
    .option('--json', 'print the REST Response as JSON')
    .addHelpText('after', '\nExamples:\n  dialtone callback token set "$TOKEN"\n  dialtone callback token set "$TOKEN" --disable')
    .action(async (value: string, flags: Flags & { disable?: boolean }) => {
      await (await clientFor(flags)).call('call_config/set_callback_token', { Token: value, IsTokenEnable: !flags.disable });
      done(flags, `callback token set (${flags.disable ? 'disabled' : 'enabled'})`);
    });
  withConnection(token.command('get'))
    .description('Show the callback token.')
    .option('--json', 'print the REST Response as JSON')
    .addHelpText('after', '\nExamples:\n  dialtone callback token get')
    .action(async (flags: Flags) => {
      const res = await (await clientFor(flags)).call<{ Token: string; IsTokenEnable: boolean }>('call_config/get_callback_token');
      if (flags.json) return printJson(res);
      printFields({ Token: res.Token, Enabled: res.IsTokenEnable });
    });
  withConnection(token.command('delete'))
    .description('Delete the callback token.')
    .option('--json', 'print the REST Response as JSON')
    .addHelpText('after', '\nExamples:\n  dialtone callback token delete')
    .action(async (flags: Flags) => {
      await (await clientFor(flags)).call('call_config/delete_callback_token');
      done(flags, 'callback token deleted');
    });

  const policy = callback.command('policy').description('The delivery policy: mode, timeout, retry schedule, ordering.');
  withConnection(policy.command('get'))
    .description('Show the delivery policy.')
    .option('--json', 'print the REST Response as JSON')
    .addHelpText('after', '\nExamples:\n  dialtone callback policy get')
    .action(async (flags: Flags) => {
      const res = await (await clientFor(flags)).call('call_config/get_delivery_policy');
      if (flags.json) return printJson(res);
      printFields(res);
    });
  withConnection(policy.command('set'))
    .description('Change the delivery policy (only the options given).')
    .option(
      '--mode <mode>',
      'Retry (retry on the schedule) or Reference (one attempt, as the reference product)',
      choiceArg(['Retry', 'Reference'] as const),
    )
    .option('--timeout <ms>', 'attempt timeout in ms (100..30000)', intArg(100, 30_000))
    .option('--schedule <seconds>', 'comma-separated delays in seconds before the 2nd, 3rd, … attempt (at most 20)', (v) =>
      listArg(v).map((s) => intArg(0, 7 * 86_400)(s)),
    )
    .option('--ordering <on|off>', 'hold a call’s later callbacks while an earlier one is retried', boolArg)
    .option('--emit-call-media-type <on|off>', 'also send CallInfo.CallMediaType in StartCall callbacks', boolArg)
    .option('--json', 'print the REST Response as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  dialtone callback policy set --mode Reference\n  dialtone callback policy set --timeout 5000 --schedule 5,30,300 --ordering off',
    )
    .action(
      async (flags: Flags & { mode?: string; timeout?: number; schedule?: number[]; ordering?: boolean; emitCallMediaType?: boolean }) => {
        const res = await (
          await clientFor(flags)
        ).call('call_config/set_delivery_policy', {
          Mode: flags.mode,
          TimeoutMs: flags.timeout,
          RetryScheduleSeconds: flags.schedule,
          Ordering: flags.ordering,
          EmitCallMediaType: flags.emitCallMediaType,
        });
        if (flags.json) return printJson(res);
        printFields(res);
      },
    );

  const secret = callback.command('secret').description('The webhook secret that signs webhook-signature.');
  withConnection(secret.command('get'))
    .description('Show the webhook secret(s) signing now.')
    .option('--json', 'print the REST Response as JSON')
    .addHelpText('after', '\nExamples:\n  dialtone callback secret get')
    .action(async (flags: Flags) => {
      const res = await (await clientFor(flags)).call('call_config/get_webhook_secret');
      if (flags.json) return printJson(res);
      printFields(res);
    });
  withConnection(secret.command('rotate'))
    .description('Rotate the webhook secret; the old one keeps signing beside it for 24 hours.')
    .option('--secret <whsec>', 'the new secret (whsec_ + base64); default: generated')
    .option('--json', 'print the REST Response as JSON')
    .addHelpText('after', '\nExamples:\n  dialtone callback secret rotate')
    .action(async (flags: Flags & { secret?: string }) => {
      const res = await (await clientFor(flags)).call('call_config/rotate_webhook_secret', flags.secret ? { Secret: flags.secret } : {});
      if (flags.json) return printJson(res);
      printFields(res);
    });
}
