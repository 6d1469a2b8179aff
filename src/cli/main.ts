/** The `dialtone` command. */
import { Command } from 'commander';
import { configFromEnv } from '../config.js';
import { intArg } from './args.js';
import { exitQuietlyOnClosedOutput } from './output.js';
import { registerApp } from './commands/app.js';
import { registerCall } from './commands/call.js';
import { registerCallback } from './commands/callback.js';
import { registerDeliveries } from './commands/deliveries.js';
import { registerListen } from './commands/listen.js';
import { registerLogin } from './commands/login.js';
import { registerRecords } from './commands/records.js';
import { registerServe } from './commands/serve.js';
import { registerTrigger } from './commands/trigger.js';
import { CliError } from './rest-client.js';
import { userSigFor } from './usersig.js';

exitQuietlyOnClosedOutput();
const program = new Command();
program
  .name('dialtone')
  .description('Dialtone: a self-hostable call backend speaking the TRTC Call server protocol.')
  // Usage errors, like every other failure, are one line: `dialtone: <reason>`.
  .configureOutput({ outputError: (text, write) => write(`dialtone: ${text.trim().replace(/^error: /, '')} (see --help)\n`) })
  .addHelpText(
    'after',
    `
Server commands find their server and credentials from --url/--sdkappid/--secret-key/--admin, else
DIALTONE_URL/DIALTONE_SDKAPPID/DIALTONE_SECRET_KEY/DIALTONE_ADMIN, else a profile saved by
\`dialtone login\`, else the app in the local data directory (./data).

Examples:
  dialtone serve --dev
  dialtone login --url http://127.0.0.1:8080 --sdkappid 1400000042 --secret-key "$KEY"
  dialtone listen --port 4000 --configure
  dialtone trigger end --url http://127.0.0.1:4000/ --result Reject
  dialtone deliveries list --status failed`,
  );

registerServe(program);

program
  .command('usersig')
  .description("Print a UserSig for <userId>, signed with the app's SecretKey.")
  .argument('<userId>', 'the user (or administrator) the UserSig is for')
  .option('--expire <seconds>', 'lifetime in seconds (default 15552000, 180 days)', intArg(1, 50 * 365 * 24 * 3600))
  .option('--sdkappid <id>', 'the app (DIALTONE_SDKAPPID); default: the only app in the data directory', intArg(1, 0xffffffff))
  .option('--secret-key <key>', "the app's SecretKey (DIALTONE_SECRET_KEY); default: read from the data directory")
  .option('--data-dir <dir>', 'data directory to read the app from (DIALTONE_DATA_DIR, default ./data)')
  .option('--json', 'print {"sdkAppId","userId","userSig"} as JSON')
  .addHelpText(
    'after',
    '\nExamples:\n  dialtone usersig administrator\n  dialtone usersig alice --expire 86400 --sdkappid 1400000000 --secret-key "$KEY"',
  )
  .action(async (userId: string, flags: { expire?: number; sdkappid?: number; secretKey?: string; dataDir?: string; json?: boolean }) => {
    const env = configFromEnv();
    const { sdkAppId, userSig } = await userSigFor(userId, {
      sdkAppId: flags.sdkappid ?? env.sdkAppId,
      secretKey: flags.secretKey ?? env.secretKey,
      dataDir: flags.dataDir ?? env.dataDir,
      expire: flags.expire,
    });
    process.stdout.write(flags.json ? `${JSON.stringify({ sdkAppId, userId, userSig })}\n` : `${userSig}\n`);
  });

registerLogin(program);
registerApp(program);
registerCallback(program);
registerRecords(program);
registerCall(program);
registerDeliveries(program);
registerListen(program);
registerTrigger(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`dialtone: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(err instanceof CliError ? err.exitCode : 1);
});
