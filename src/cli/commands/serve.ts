/**
 * `dialtone serve`: its flags, as one table of flag → config key → parser, laid over the
 * environment. The table is the only place a flag is named, so the help text, the parsing and
 * the config key of a flag cannot drift apart.
 */
import { Option, type Command } from 'commander';
import { callbackAllow, configFromEnv, iceServers, splitList, TURN_TTL_RANGE, turnUrls, type DialtoneConfig } from '../../config.js';
import { intArg } from '../args.js';

/** One `serve` flag, with the config key it sets. */
export interface ServeFlag {
  /** Commander spelling, e.g. `--port <port>`; a flag without `<value>` is a switch. */
  readonly flags: string;
  readonly help: string;
  /** The {@link DialtoneConfig} key the flag sets. */
  readonly key: keyof DialtoneConfig;
  /**
   * Checks the flag's text; throws commander's `InvalidArgumentError` (reported as a usage
   * error) or a `ConfigError`. Returns the text unchanged: {@link ServeFlag.apply} converts it
   * again, so the typed value goes from the parser straight into the config and commander's
   * untyped option values never need a cast (parsing a flag twice costs nothing).
   */
  readonly check: (text: string) => string;
  /** Sets {@link ServeFlag.key} of `config` from the flag's text (`true` for a switch). */
  readonly apply: (config: DialtoneConfig, value: string | true) => void;
}

/**
 * A flag setting `key` to `parse(text)`. Generic in `key` so that the parser's result is checked
 * against that key's type: no cast between the flag and the config.
 */
function flag<K extends keyof DialtoneConfig>(flags: string, key: K, help: string, parse: (text: string) => DialtoneConfig[K]): ServeFlag {
  return {
    flags,
    key,
    help,
    check: (text) => {
      parse(text);
      return text;
    },
    apply: (config, value) => {
      // Only a switch gives `true`, and switches are made by `devSwitch`, not here.
      if (value !== true) config[key] = parse(value);
    },
  };
}

/** `--dev`: a switch, so it has no text to parse. */
function devSwitch(flags: string, help: string): ServeFlag {
  return {
    flags,
    key: 'dev',
    help,
    check: (text) => text,
    apply: (config) => {
      config.dev = true;
    },
  };
}

const text = (value: string): string => value;

/** Every flag of `serve`, in the order `--help` lists them. */
export const SERVE_FLAGS: readonly ServeFlag[] = [
  flag('--host <host>', 'host', 'listen address (HOST)', text),
  flag('--port <port>', 'port', 'listen port, 0 for any free port (PORT)', intArg(0, 65535)),
  flag('--data-dir <dir>', 'dataDir', 'directory of the SQLite database (DIALTONE_DATA_DIR)', text),
  devSwitch('--dev', 'development mode: request logging, a friendlier start-up banner, callbacks may go to loopback'),
  flag('--sdkappid <id>', 'sdkAppId', 'define or update this app at start (DIALTONE_SDKAPPID)', intArg(1, 0xffffffff)),
  flag('--secret-key <key>', 'secretKey', "the app's SecretKey (DIALTONE_SECRET_KEY)", text),
  flag('--admin <ids>', 'admins', 'comma-separated administrator user ids (DIALTONE_ADMIN)', splitList),
  flag(
    '--rest-rate-limit <n>',
    'restRateLimit',
    'REST requests per second per API per app (DIALTONE_REST_RATE_LIMIT)',
    intArg(1, 1_000_000),
  ),
  flag(
    '--callback-timeout <ms>',
    'callbackTimeoutMs',
    'timeout of one callback attempt in ms (DIALTONE_CALLBACK_TIMEOUT_MS)',
    intArg(100, 30_000),
  ),
  flag(
    '--heartbeat-expiry <ms>',
    'heartbeatExpiryMs',
    'a member silent this long leaves as Offline (DIALTONE_HEARTBEAT_EXPIRY_MS)',
    intArg(1_000, 3_600_000),
  ),
  flag(
    '--leave-grace <ms>',
    'leaveGraceMs',
    'a member whose page closed its connection and does not return this long hangs up; 0: off (DIALTONE_LEAVE_GRACE_MS)',
    intArg(0, 3_600_000),
  ),
  flag(
    '--callback-retention-days <days>',
    'callbackRetentionDays',
    'delivered callbacks are kept this long (DIALTONE_CALLBACK_RETENTION_DAYS)',
    intArg(1, 3650),
  ),
  flag('--metrics-token <token>', 'metricsToken', '/metrics requires this bearer token (DIALTONE_METRICS_TOKEN)', text),
  flag('--log-level <level>', 'logLevel', 'fatal|error|warn|info|debug|trace|silent (LOG_LEVEL)', text),
  flag('--database-url <url>', 'databaseUrl', 'postgres:// URL: keep everything in PostgreSQL instead of SQLite (DATABASE_URL)', text),
  flag(
    '--database-schema <name>',
    'databaseSchema',
    'PostgreSQL schema, created if missing (DIALTONE_DATABASE_SCHEMA, default public)',
    text,
  ),
  flag('--redis-url <url>', 'redisUrl', 'redis:// URL: with --database-url, cluster mode (REDIS_URL)', text),
  flag('--redis-prefix <prefix>', 'redisPrefix', 'prefix of Redis keys and channels (DIALTONE_REDIS_PREFIX, default dialtone:)', text),
  flag(
    '--callback-allow <list>',
    'callbackAllow',
    'comma-separated CIDRs and host names callbacks may reach besides public addresses, e.g. 127.0.0.0/8,::1 (DIALTONE_CALLBACK_ALLOW)',
    callbackAllow,
  ),
  flag(
    '--ice-servers <list>',
    'iceServers',
    'STUN/TURN servers for clients: comma-separated stun: URLs, or a JSON array of RTCIceServer objects (DIALTONE_ICE_SERVERS)',
    iceServers,
  ),
  flag(
    '--turn-urls <list>',
    'turnUrls',
    'comma-separated turn:/turns: URLs of a TURN server with use-auth-secret (DIALTONE_TURN_URLS)',
    turnUrls,
  ),
  flag(
    '--turn-secret <secret>',
    'turnSecret',
    "that TURN server's static-auth-secret (DIALTONE_TURN_SECRET; the environment keeps it out of ps)",
    text,
  ),
  flag(
    '--turn-ttl <seconds>',
    'turnTtlSeconds',
    'lifetime of the TURN credentials given to clients (DIALTONE_TURN_TTL, default 21600)',
    intArg(...TURN_TTL_RANGE),
  ),
  flag(
    '--claim-lease <ms>',
    'claimLeaseMs',
    'how long a claim on a callback or timer holds (DIALTONE_CLAIM_LEASE_MS)',
    intArg(1_000, 3_600_000),
  ),
];

/** Commander's option for `f`. */
export function serveOption(f: ServeFlag): Option {
  const option = new Option(f.flags, f.help);
  return f.flags.includes('<') ? option.argParser(f.check) : option;
}

/**
 * The configuration `serve` starts with: the environment over the defaults, then each flag given
 * in `values` (commander's option values, keyed by attribute name) over that.
 */
export function serveConfig(values: Readonly<Record<string, unknown>>, env: NodeJS.ProcessEnv = process.env): DialtoneConfig {
  const config = configFromEnv(env);
  for (const f of SERVE_FLAGS) {
    const value = values[serveOption(f).attributeName()];
    if (typeof value === 'string' || value === true) f.apply(config, value);
  }
  return config;
}

/** Registers `serve` on `program`. */
export function registerServe(program: Command): void {
  const cmd = program.command('serve').description('Run the server (settings from flags, else the environment, else defaults).');
  for (const f of SERVE_FLAGS) cmd.addOption(serveOption(f));
  cmd
    .addHelpText(
      'after',
      '\nExamples:\n  dialtone serve --dev\n  dialtone serve --host 0.0.0.0 --port 8080 --data-dir /var/lib/dialtone\n  dialtone serve --database-url postgres://db/dialtone --redis-url redis://redis:6379   # one of a cluster',
    )
    .action(async (values: Record<string, unknown>) => {
      const config = serveConfig(values);
      // Loaded only here: the other commands start faster without the server's modules.
      const { serve } = await import('../serve.js');
      await serve(config);
    });
}
