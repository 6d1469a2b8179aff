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
