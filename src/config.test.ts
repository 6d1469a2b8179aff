import { describe, expect, it } from 'vitest';
import { checkConfig, configFromEnv, ConfigError } from './config.js';

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
