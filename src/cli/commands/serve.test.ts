import { Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { ConfigError, configFromEnv, DEFAULTS, type DialtoneConfig } from '../../config.js';
import { registerServe, SERVE_FLAGS, serveConfig } from './serve.js';

/** Each flag, a value given on the command line and what it must set. */
const SAMPLES: Record<string, { argv: string[]; key: keyof DialtoneConfig; value: unknown }> = {
  '--host': { argv: ['--host', '0.0.0.0'], key: 'host', value: '0.0.0.0' },
  '--port': { argv: ['--port', '0'], key: 'port', value: 0 },
  '--data-dir': { argv: ['--data-dir', '/var/lib/dialtone'], key: 'dataDir', value: '/var/lib/dialtone' },
  '--dev': { argv: ['--dev'], key: 'dev', value: true },
  '--sdkappid': { argv: ['--sdkappid', '1400000042'], key: 'sdkAppId', value: 1400000042 },
  '--secret-key': { argv: ['--secret-key', 'k3y'], key: 'secretKey', value: 'k3y' },
  '--admin': { argv: ['--admin', 'root, ops,'], key: 'admins', value: ['root', 'ops'] },
  '--rest-rate-limit': { argv: ['--rest-rate-limit', '50'], key: 'restRateLimit', value: 50 },
  '--callback-timeout': { argv: ['--callback-timeout', '500'], key: 'callbackTimeoutMs', value: 500 },
  '--heartbeat-expiry': { argv: ['--heartbeat-expiry', '5000'], key: 'heartbeatExpiryMs', value: 5000 },
  '--leave-grace': { argv: ['--leave-grace', '0'], key: 'leaveGraceMs', value: 0 },
  '--callback-retention-days': { argv: ['--callback-retention-days', '30'], key: 'callbackRetentionDays', value: 30 },
  '--metrics-token': { argv: ['--metrics-token', 't0ken'], key: 'metricsToken', value: 't0ken' },
  '--log-level': { argv: ['--log-level', 'debug'], key: 'logLevel', value: 'debug' },
  '--database-url': { argv: ['--database-url', 'postgres://db/x'], key: 'databaseUrl', value: 'postgres://db/x' },
  '--database-schema': { argv: ['--database-schema', 'tenant_a'], key: 'databaseSchema', value: 'tenant_a' },
  '--redis-url': { argv: ['--redis-url', 'redis://r:6379'], key: 'redisUrl', value: 'redis://r:6379' },
  '--redis-prefix': { argv: ['--redis-prefix', 'dt:'], key: 'redisPrefix', value: 'dt:' },
  '--callback-allow': {
    argv: ['--callback-allow', '10.0.0.0/8,hooks.internal'],
    key: 'callbackAllow',
    value: ['10.0.0.0/8', 'hooks.internal'],
  },
  '--claim-lease': { argv: ['--claim-lease', '15000'], key: 'claimLeaseMs', value: 15000 },
  '--ice-servers': {
    argv: ['--ice-servers', 'stun:stun.example.com:3478, stun:[2001:db8::1]'],
    key: 'iceServers',
    value: [{ urls: ['stun:stun.example.com:3478', 'stun:[2001:db8::1]'] }],
  },
  '--turn-urls': {
    argv: ['--turn-urls', 'turn:turn.example.com:3478?transport=udp,turns:turn.example.com'],
    key: 'turnUrls',
    value: ['turn:turn.example.com:3478?transport=udp', 'turns:turn.example.com'],
  },
  '--turn-secret': { argv: ['--turn-secret', 's3cret'], key: 'turnSecret', value: 's3cret' },
  '--turn-ttl': { argv: ['--turn-ttl', '3600'], key: 'turnTtlSeconds', value: 3600 },
};

/** Parses `serve <argv>` as the CLI does and returns the configuration it would start with. */
async function parse(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<DialtoneConfig> {
  const program = new Command().exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  registerServe(program);
  const serve = program.commands.find((c) => c.name() === 'serve')!;
  let config: DialtoneConfig | undefined;
  // The real action starts a server: replace it with one that only keeps the configuration.
  serve.action((values: Record<string, unknown>) => {
    config = serveConfig(values, env);
  });
  await program.parseAsync(['serve', ...argv], { from: 'user' });
  return config!;
}

describe('serve flags', () => {
  it('has a sample for every flag, and each flag sets its own config key', async () => {
    expect(SERVE_FLAGS.map((f) => f.flags.split(' ')[0]).sort()).toEqual(Object.keys(SAMPLES).sort());
    for (const f of SERVE_FLAGS) {
      const sample = SAMPLES[f.flags.split(' ')[0]!]!;
      expect(f.key, f.flags).toBe(sample.key);
      const config = await parse(sample.argv);
      expect(config[sample.key], f.flags).toEqual(sample.value);
      // Nothing else moved from the defaults.
      expect({ ...config, [sample.key]: DEFAULTS[sample.key] }, f.flags).toEqual({ ...DEFAULTS, [sample.key]: DEFAULTS[sample.key] });
    }
  });

  it('keeps the environment for flags not given, and a flag wins over the environment', async () => {
    const env = { PORT: '9000', HOST: '0.0.0.0', DIALTONE_CALLBACK_ALLOW: '10.0.0.0/8' };
    expect(await parse([], env)).toEqual(configFromEnv(env));
    const config = await parse(['--port', '9001', '--callback-allow', 'fd00::/8'], env);
    expect(config.port).toBe(9001);
    expect(config.host).toBe('0.0.0.0');
    expect(config.callbackAllow).toEqual(['fd00::/8']);
  });

  it('rejects an integer out of range as a usage error naming the flag', async () => {
    for (const [argv, range] of [
      [['--port', 'abc'], '0..65535'],
      [['--port', '65536'], '0..65535'],
      [['--sdkappid', '0'], '1..4294967295'],
      [['--callback-timeout', '99'], '100..30000'],
      [['--claim-lease', '-5'], '1000..3600000'],
      [['--turn-ttl', '59'], '60..2592000'],
    ] as const) {
      const err = await parse([...argv]).catch((e: unknown) => e);
      expect(err, argv.join(' ')).toBeInstanceOf(CommanderError);
      expect((err as CommanderError).message).toContain(`argument '${argv[1]}' is invalid. expected an integer in ${range}`);
    }
  });

  it.each([
    ['--callback-allow', 'DIALTONE_CALLBACK_ALLOW', '10.0.0.0/99'],
    ['--ice-servers', 'DIALTONE_ICE_SERVERS', 'turn:turn.example.com'],
    ['--turn-urls', 'DIALTONE_TURN_URLS', 'stun:stun.example.com'],
  ])('rejects a bad %s with the ConfigError the environment variable gives', async (flag, variable, value) => {
    const err = await parse([flag, value]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    const fromEnv = (() => {
      try {
        configFromEnv({ [variable]: value });
      } catch (e) {
        return e;
      }
    })();
    expect(fromEnv).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toBe((fromEnv as ConfigError).message);
    expect((err as ConfigError).message.startsWith(`${variable} (${flag}): `)).toBe(true);
  });
});
