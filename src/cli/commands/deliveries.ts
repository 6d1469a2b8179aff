/** `dialtone deliveries list|show|resend|resend-failed`: the callback delivery log and replay. */
import type { Command } from 'commander';
import { CliError, type RestClient } from '../rest-client.js';
import { choiceArg, intArg, timeArg } from '../args.js';
import { clientFor, withConnection, type ConnectionFlags } from '../connection.js';
import { isoTime, out, printFields, printJson, printTable, progress } from '../output.js';
import { callbackCommandArg } from './callback.js';

type Flags = ConnectionFlags & { json?: boolean };

interface Delivery {
  CallbackId: string;
  CallId: string;
  CallbackCommand: string;
  Status: string;
  Attempts: number;
  CreateTimeMs: number;
  NextAttemptTimeMs?: number;
  DeliveredTimeMs?: number;
  LastHttpStatus?: number;
  LastError?: string;
}

const count = async (client: RestClient, status: string, since: number) =>
  (await client.call<{ TotalNum: number }>('call_config/list_deliveries', { Status: status, StartTimeMs: since, NumberPerPage: 1 }))
    .TotalNum;

/** Registers `deliveries` and its subcommands on `program`. */
export function registerDeliveries(program: Command): void {
  const deliveries = program.command('deliveries').description('The callback delivery log: list, inspect and re-send callbacks.');

  withConnection(deliveries.command('list'))
    .description('List callbacks, newest first.')
    .option(
      '--status <status>',
      'pending, delivered, failed or cancelled',
      choiceArg(['pending', 'delivered', 'failed', 'cancelled'] as const),
    )
    .option('--command <command>', 'start, member, end or a full callback command name', callbackCommandArg)
    .option('--call-id <callId>', 'only this call’s callbacks')
    .option('--from <time>', 'created at or after (ISO date, unix s/ms, or an age: 30m, 6h, 2d)', (v) => timeArg(v))
    .option('--to <time>', 'created at or before', (v) => timeArg(v))
    .option('--page <n>', 'page, from 1', intArg(1, 1_000_000), 1)
    .option('--per-page <n>', 'callbacks per page (1..100)', intArg(1, 100), 20)
    .option('--json', 'print the REST Response as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  dialtone deliveries list --status failed --from 1d\n  dialtone deliveries list --call-id "$CALL" --json',
    )
    .action(
      async (
        flags: Flags & { status?: string; command?: string; callId?: string; from?: number; to?: number; page: number; perPage: number },
      ) => {
        const res = await (
          await clientFor(flags)
        ).call<{ TotalNum: number; Page: number; DeliveryList: Delivery[] }>('call_config/list_deliveries', {
          Status: flags.status,
          CallbackCommand: flags.command,
          CallId: flags.callId,
          StartTimeMs: flags.from,
          EndTimeMs: flags.to,
          Page: flags.page,
          NumberPerPage: flags.perPage,
        });
        if (flags.json) return printJson(res);
        printTable(
          res.DeliveryList.map((d) => ({
            CallbackId: d.CallbackId,
            Command: d.CallbackCommand.replace('Call.CallbackAfter', ''),
            CallId: d.CallId,
            Status: d.Status,
            Attempts: d.Attempts,
            Created: isoTime(d.CreateTimeMs),
            Last: d.LastError ?? (d.LastHttpStatus !== undefined ? `HTTP ${d.LastHttpStatus}` : ''),
          })),
          ['CallbackId', 'Command', 'CallId', 'Status', 'Attempts', 'Created', 'Last'],
        );
        out(`page ${res.Page}, ${res.DeliveryList.length} of ${res.TotalNum} callbacks`);
      },
    );

  withConnection(deliveries.command('show'))
    .description('Show one callback, its body and every attempt.')
    .argument('<callbackId>', 'the callback id (its webhook-id)')
    .option('--json', 'print the REST Response as JSON')
    .addHelpText('after', '\nExamples:\n  dialtone deliveries show msg_2Xk…')
    .action(async (callbackId: string, flags: Flags) => {
      const res = await (
        await clientFor(flags)
      ).call<{
        Delivery: Delivery & { Url: string; Body: string };
        AttemptList: Record<string, unknown>[];
      }>('call_config/get_delivery', { CallbackId: callbackId });
      if (flags.json) return printJson(res);
      printFields({ ...res.Delivery, CreateTimeMs: `${res.Delivery.CreateTimeMs} (${isoTime(res.Delivery.CreateTimeMs)})` });
      out();
      printTable(
        res.AttemptList.map((a) => ({ ...a, TimeMs: isoTime(a.TimeMs) })),
        ['Attempt', 'TimeMs', 'HttpStatus', 'LatencyMs', 'Error', 'Response'],
      );
    });

  withConnection(deliveries.command('resend'))
    .description('Send one callback again, now, with a fresh retry schedule, to the callback URL configured now.')
    .argument('<callbackId>', 'the callback id (its webhook-id)')
    .option('--json', 'print the REST Response as JSON')
    .addHelpText('after', '\nExamples:\n  dialtone deliveries resend msg_2Xk…')
    .action(async (callbackId: string, flags: Flags) => {
      await (await clientFor(flags)).call('call_config/resend_delivery', { CallbackId: callbackId });
      if (flags.json) printJson({});
      else out(`callback ${callbackId} queued for sending`);
    });

  withConnection(deliveries.command('resend-failed'))
    .description('Send again every failed callback created since a time, and follow their progress.')
    .requiredOption('--since <time>', 'ISO date, unix s/ms, or an age: 30m, 6h, 2d', (v) => timeArg(v))
    .option('--wait <seconds>', 'follow progress this long at most; 0 to return at once', intArg(0, 86_400), 60)
    .option('--json', 'print {"Count","Pending","Failed"} as JSON at the end')
    .addHelpText(
      'after',
      '\nExamples:\n  dialtone deliveries resend-failed --since 6h\n  dialtone deliveries resend-failed --since 2026-11-25T00:00:00Z --wait 0 --json',
    )
    .action(async (flags: Flags & { since: number; wait: number }) => {
      const client = await clientFor(flags);
      const { Count } = await client.call<{ Count: number }>('call_config/resend_failed_deliveries', { SinceMs: flags.since });
      progress(`resending ${Count} failed callback${Count === 1 ? '' : 's'} created since ${isoTime(flags.since)}`);
      let pending = Count;
      let failed = 0;
      const deadline = Date.now() + flags.wait * 1000;
      while (Count > 0 && flags.wait > 0) {
        pending = await count(client, 'pending', flags.since);
        failed = await count(client, 'failed', flags.since);
        progress(`  ${Count - pending - failed} delivered, ${pending} pending, ${failed} failed again`);
        if (pending === 0 || Date.now() >= deadline) break;
        await new Promise((r) => setTimeout(r, 1000));
      }
      if (flags.json) printJson({ Count, Pending: pending, Failed: failed });
      else out(`${Count} queued; ${pending} still pending, ${failed} failed again`);
      if (pending > 0 && flags.wait > 0)
        throw new CliError(
          `${pending} callbacks still pending after ${flags.wait} s; follow them with \`dialtone deliveries list --status pending\``,
          2,
        );
    });
}
