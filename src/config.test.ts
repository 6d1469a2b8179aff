import { describe, expect, it } from 'vitest';
import { ConfigError, checkConfig, configFromEnv } from './config.js';

describe('DIALTONE_CALLBACK_ALLOW', () => {
  it('is empty by default', () => {
    expect(configFromEnv({}).callbackAllow).toEqual([]);
  });

  it('reads comma-separated CIDRs, addresses and host names', () => {
    expect(configFromEnv({ DIALTONE_CALLBACK_ALLOW: '127.0.0.0/8, ::1,10.1.2.0/24,,hooks.internal' }).callbackAllow).toEqual([
      '127.0.0.0/8',
      '::1',
      '10.1.2.0/24',
      'hooks.internal',
    ]);
  });

  it.each(['10.0.0.0/33', 'fd00::/200', 'not a host', 'http://hooks.internal/'])('refuses %s with a ConfigError naming it', (entry) => {
    const read = () => configFromEnv({ DIALTONE_CALLBACK_ALLOW: `127.0.0.0/8,${entry}` });
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(`DIALTONE_CALLBACK_ALLOW (--callback-allow): "${entry}"`);
  });

  it('is checked again with the other settings (the --callback-allow flag sets it after the environment)', () => {
    expect(() => checkConfig({ ...configFromEnv({}), callbackAllow: ['10.0.0.0/99'] })).toThrow(ConfigError);
  });
});

describe('DIALTONE_ADMIN', () => {
  it('takes administrators that are user ids, astral characters included', () => {
    expect(checkConfig(configFromEnv({ DIALTONE_ADMIN: 'ops, 管理员😀' })).admins).toEqual(['ops', '管理员😀']);
  });

  it.each([['a b'], ['ops\u0007'], ['x'.repeat(65)]])('refuses %j at start, saying why', (admin) => {
    expect(() => checkConfig(configFromEnv({ DIALTONE_ADMIN: `ops,${admin}` }))).toThrow(ConfigError);
    expect(() => checkConfig(configFromEnv({ DIALTONE_ADMIN: `ops,${admin}` }))).toThrow(
      /^DIALTONE_ADMIN: each administrator must be 1 to 64 characters with no comma, space or control character/,
    );
  });
});
