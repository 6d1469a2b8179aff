/** `dialtone login`: checks a connection against the server and saves it as a profile. */
import type { Command } from 'commander';
import { intArg } from '../args.js';
import { profilesPath, saveProfile } from '../profiles.js';
import { RestClient } from '../rest-client.js';
import { out, printJson } from '../output.js';

/** Registers `login` on `program`. */
export function registerLogin(program: Command): void {
  program
    .command('login')
    .description('Check credentials against a server and save them as a profile (the file is readable by you only).')
    .requiredOption('--sdkappid <id>', 'the app', intArg(1, 0xffffffff))
    .requiredOption('--secret-key <key>', "the app's SecretKey")
    .option('--url <url>', 'server base URL', 'http://127.0.0.1:8080')
    .option('--admin <userId>', 'administrator to act as', 'administrator')
    .option('--profile <name>', 'profile name', 'default')
    .option('--default', 'make it the default profile even when another one is')
    .option('--json', 'print {"profile","file","url","sdkAppId","admin"} as JSON')
    .addHelpText(
      'after',
      `\nProfiles are saved in ${profilesPath()} (DIALTONE_CONFIG overrides).\n\nExamples:\n  dialtone login --url https://calls.example.com --sdkappid 1400000042 --secret-key "$KEY"\n  dialtone login --profile staging --url http://10.0.0.5:8080 --sdkappid 1400000042 --secret-key "$KEY" --default`,
    )
    .action(
      async (flags: {
        sdkappid: number;
        secretKey: string;
        url: string;
        admin: string;
        profile: string;
        default?: boolean;
        json?: boolean;
      }) => {
        const connection = { url: flags.url, sdkAppId: flags.sdkappid, secretKey: flags.secretKey, admin: flags.admin };
        // Any administrator command proves the URL, SDKAppID, key and administrator together.
        await new RestClient(connection).call('call_config/get_delivery_policy');
        const file = profilesPath();
        saveProfile(flags.profile, connection, flags.default ?? false, file);
        if (flags.json) printJson({ profile: flags.profile, file, url: flags.url, sdkAppId: flags.sdkappid, admin: flags.admin });
        else out(`logged in to ${flags.url} as ${flags.admin} of app ${flags.sdkappid}; saved profile "${flags.profile}" in ${file}`);
      },
    );
}
