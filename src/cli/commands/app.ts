/** `dialtone app create|list|show`: the server's apps (operator app administrators only). */
import type { Command } from 'commander';
import { intArg, listArg } from '../args.js';
import { clientFor, withConnection, type ConnectionFlags } from '../connection.js';
import { isoTime, out, printFields, printJson, printTable } from '../output.js';

type Flags = ConnectionFlags & { json?: boolean };

interface AppOut {
  SdkAppId: number;
  Admins: string[];
  CreateTimeMs: number;
  Operator: boolean;
}

/** Registers `app` and its subcommands on `program`. */
export function registerApp(program: Command): void {
  const app = program.command('app').description("Create and list this server's apps (as an administrator of the operator app).");

  withConnection(app.command('create'))
    .description('Create an app; prints its SDKAppID, SecretKey and webhook secret (shown only now).')
    .option('--new-sdkappid <id>', 'SDKAppID of the new app (default: random in 1400000000..1499999999)', intArg(1, 0xffffffff))
    .option('--new-secret-key <key>', 'SecretKey of the new app, 16..256 characters (default: 32 random bytes, hex)')
    .option('--admins <ids>', 'comma-separated administrators of the new app (default: administrator)', listArg)
    .option('--json', 'print the REST Response as JSON')
    .addHelpText('after', '\nExamples:\n  dialtone app create\n  dialtone app create --new-sdkappid 1400000042 --admins ops,alice --json')
    .action(async (flags: Flags & { newSdkappid?: number; newSecretKey?: string; admins?: string[] }) => {
      const res = await (
        await clientFor(flags)
      ).call<AppOut & { SecretKey: string; WebhookSecret: string }>('dialtone_admin/create_app', {
        SdkAppId: flags.newSdkappid,
        SecretKey: flags.newSecretKey,
        Admins: flags.admins,
      });
      if (flags.json) return printJson(res);
      printFields({ SDKAppID: res.SdkAppId, SecretKey: res.SecretKey, WebhookSecret: res.WebhookSecret, Admins: res.Admins.join(', ') });
      out('Keep the SecretKey and webhook secret safe: `app show` does not print them.');
    });

  withConnection(app.command('list'))
    .description('List the apps.')
    .option('--json', 'print the REST Response as JSON')
    .addHelpText('after', '\nExamples:\n  dialtone app list\n  dialtone app list --json')
    .action(async (flags: Flags) => {
      const res = await (await clientFor(flags)).call<{ AppList: AppOut[] }>('dialtone_admin/list_apps');
      if (flags.json) return printJson(res);
      printTable(
        res.AppList.map((a) => ({
          SDKAppID: a.SdkAppId,
          Admins: a.Admins.join(','),
          Created: isoTime(a.CreateTimeMs),
          Operator: a.Operator ? 'yes' : '',
        })),
        ['SDKAppID', 'Admins', 'Created', 'Operator'],
      );
    });

  withConnection(app.command('show'))
    .description('Show one app (never its keys).')
    .argument('<sdkAppId>', 'the app to show', intArg(1, 0xffffffff))
    .option('--json', 'print the REST Response as JSON')
    .addHelpText('after', '\nExamples:\n  dialtone app show 1400000042')
    .action(async (sdkAppId: number, flags: Flags) => {
      const res = await (await clientFor(flags)).call<{ App: AppOut }>('dialtone_admin/get_app', { SdkAppId: sdkAppId });
      if (flags.json) return printJson(res);
      printFields({
        SDKAppID: res.App.SdkAppId,
        Admins: res.App.Admins.join(', '),
        Created: isoTime(res.App.CreateTimeMs),
        Operator: res.App.Operator,
      });
    });
}
