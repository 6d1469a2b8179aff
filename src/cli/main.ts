/** The `dialtone` command. */
import { Command } from 'commander';
import { callbackAllow, configFromEnv, splitList, type DialtoneConfig } from '../config.js';
import { intArg } from './args.js';
import { exitQuietlyOnClosedOutput } from './output.js';
import { registerApp } from './commands/app.js';
import { registerCall } from './commands/call.js';
import { registerCallback } from './commands/callback.js';
import { registerDeliveries } from './commands/deliveries.js';
import { registerListen } from './commands/listen.js';
import { registerLogin } from './commands/login.js';
import { registerRecords } from './commands/records.js';
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

program
  .command('serve')
  .description('Run the server (settings from flags, else the environment, else defaults).')
  .option('--host <host>', 'listen address (HOST)')
  .option('--port <port>', 'listen port, 0 for any free port (PORT)', intArg(0, 65535))
  .option('--data-dir <dir>', 'directory of the SQLite database (DIALTONE_DATA_DIR)')
  .option('--dev', 'development mode: request logging, a friendlier start-up banner, callbacks may go to loopback')
  .option('--sdkappid <id>', 'define or update this app at start (DIALTONE_SDKAPPID)', intArg(1, 0xffffffff))
  .option('--secret-key <key>', "the app's SecretKey (DIALTONE_SECRET_KEY)")
  .option('--admin <ids>', 'comma-separated administrator user ids (DIALTONE_ADMIN)')
  .option('--rest-rate-limit <n>', 'REST requests per second per API per app (DIALTONE_REST_RATE_LIMIT)', intArg(1, 1_000_000))
  .option('--callback-timeout <ms>', 'timeout of one callback attempt in ms (DIALTONE_CALLBACK_TIMEOUT_MS)', intArg(100, 30_000))
  .option('--heartbeat-expiry <ms>', 'a member silent this long leaves as Offline (DIALTONE_HEARTBEAT_EXPIRY_MS)', intArg(1_000, 3_600_000))
  .option('--callback-retention-days <days>', 'delivered callbacks are kept this long (DIALTONE_CALLBACK_RETENTION_DAYS)', intArg(1, 3650))
  .option('--metrics-token <token>', '/metrics requires this bearer token (DIALTONE_METRICS_TOKEN)')
  .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (LOG_LEVEL)')
  .option('--database-url <url>', 'postgres:// URL: keep everything in PostgreSQL instead of SQLite (DATABASE_URL)')
  .option('--database-schema <name>', 'PostgreSQL schema, created if missing (DIALTONE_DATABASE_SCHEMA, default public)')
  .option('--redis-url <url>', 'redis:// URL: with --database-url, cluster mode (REDIS_URL)')
  .option('--redis-prefix <prefix>', 'prefix of Redis keys and channels (DIALTONE_REDIS_PREFIX, default dialtone:)')
  .option(
    '--callback-allow <list>',
    'comma-separated CIDRs and host names callbacks may reach besides public addresses, e.g. 127.0.0.0/8,::1 (DIALTONE_CALLBACK_ALLOW)',
  )
  .option('--claim-lease <ms>', 'how long a claim on a callback or timer holds (DIALTONE_CLAIM_LEASE_MS)', intArg(1_000, 3_600_000))
  .addHelpText(
    'after',
    '\nExamples:\n  dialtone serve --dev\n  dialtone serve --host 0.0.0.0 --port 8080 --data-dir /var/lib/dialtone\n  dialtone serve --database-url postgres://db/dialtone --redis-url redis://redis:6379   # one of a cluster',
  )
  .action(async (flags: Record<string, unknown>) => {
    const config: DialtoneConfig = configFromEnv();
    if (flags.host !== undefined) config.host = flags.host as string;
    if (flags.port !== undefined) config.port = flags.port as number;
    if (flags.dataDir !== undefined) config.dataDir = flags.dataDir as string;
    if (flags.dev) config.dev = true;
    if (flags.sdkappid !== undefined) config.sdkAppId = flags.sdkappid as number;
    if (flags.secretKey !== undefined) config.secretKey = flags.secretKey as string;
    if (flags.admin !== undefined) config.admins = splitList(flags.admin as string);
    if (flags.restRateLimit !== undefined) config.restRateLimit = flags.restRateLimit as number;
    if (flags.callbackTimeout !== undefined) config.callbackTimeoutMs = flags.callbackTimeout as number;
    if (flags.heartbeatExpiry !== undefined) config.heartbeatExpiryMs = flags.heartbeatExpiry as number;
    if (flags.callbackRetentionDays !== undefined) config.callbackRetentionDays = flags.callbackRetentionDays as number;
    if (flags.metricsToken !== undefined) config.metricsToken = flags.metricsToken as string;
    if (flags.logLevel !== undefined) config.logLevel = flags.logLevel as string;
    if (flags.databaseUrl !== undefined) config.databaseUrl = flags.databaseUrl as string;
    if (flags.databaseSchema !== undefined) config.databaseSchema = flags.databaseSchema as string;
    if (flags.redisUrl !== undefined) config.redisUrl = flags.redisUrl as string;
    if (flags.redisPrefix !== undefined) config.redisPrefix = flags.redisPrefix as string;
    if (flags.claimLease !== undefined) config.claimLeaseMs = flags.claimLease as number;
    if (flags.callbackAllow !== undefined) config.callbackAllow = callbackAllow(flags.callbackAllow as string);
    // Loaded only here: the other commands start faster without the server's modules.
    const { serve } = await import('./serve.js');
    await serve(config);
  });

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
  .action((userId: string, flags: { expire?: number; sdkappid?: number; secretKey?: string; dataDir?: string; json?: boolean }) => {
    const env = configFromEnv();
    const { sdkAppId, userSig } = userSigFor(userId, {
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
