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

describe('DIALTONE_ICE_SERVERS', () => {
  it('is empty by default', () => {
    expect(configFromEnv({}).iceServers).toEqual([]);
  });

  it('reads comma-separated stun: URLs as one entry', () => {
    expect(
      configFromEnv({ DIALTONE_ICE_SERVERS: 'stun:stun.example.com:3478, stuns:stun.example.com,,stun:[::1]:3478' }).iceServers,
    ).toEqual([{ urls: ['stun:stun.example.com:3478', 'stuns:stun.example.com', 'stun:[::1]:3478'] }]);
  });

  it('reads a JSON array of RTCIceServer objects as they are, urls always an array', () => {
    const json = JSON.stringify([
      { urls: 'stun:stun.example.com' },
      { urls: ['turn:turn.example.com:3478?transport=udp', 'turns:turn.example.com:5349'], username: 'u', credential: 'p' },
    ]);
    expect(configFromEnv({ DIALTONE_ICE_SERVERS: ` ${json} ` }).iceServers).toEqual([
      { urls: ['stun:stun.example.com'] },
      { urls: ['turn:turn.example.com:3478?transport=udp', 'turns:turn.example.com:5349'], username: 'u', credential: 'p' },
    ]);
  });

  it.each([
    ['turn:turn.example.com', /"turn:turn.example.com" is not a stun: URL .*DIALTONE_TURN_URLS/],
    ['stun:example.com:70000', /"stun:example.com:70000" is not a stun: URL/],
    ['https://stun.example.com', /is not a stun: URL/],
    ['[{"urls":"turn:t.example.com"}]', /\[0\] has turn: URLs: it needs a username and a credential/],
    ['[{"urls":[]}]', /\[0\]\.urls must be a URL or a non-empty array of URLs/],
    ['[{"urls":"stun:a"},{"urls":"http://x"}]', /\[1\]\.urls: "http:\/\/x" is not a stun:, stuns:, turn: or turns: URL/],
    [
      '[{"urls":"turn:t","username":"u","credentials":"p"}]',
      /\[0\] has "credentials"; an ICE server has only urls, username and credential/,
    ],
    ['[{"urls":"turn:t","username":"u","credential":5}]', /\[0\]\.credential must be a string/],
    ['["stun:a"]', /\[0\] is not an object/],
    ['[{"urls":"stun:a"}', /not a JSON array: /],
  ])('refuses %s with a ConfigError saying why', (value, why) => {
    const read = () => configFromEnv({ DIALTONE_ICE_SERVERS: value });
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(/^DIALTONE_ICE_SERVERS \(--ice-servers\): /);
    expect(read).toThrow(why);
  });
});

describe('DIALTONE_TURN_URLS, DIALTONE_TURN_SECRET, DIALTONE_TURN_TTL', () => {
  const turn = { DIALTONE_TURN_URLS: 'turn:127.0.0.1:3478, turns:turn.example.com:5349?transport=tcp', DIALTONE_TURN_SECRET: 's3cret' };

  it('reads the URLs and the secret; the TTL defaults to 21600 s', () => {
    expect(checkConfig(configFromEnv(turn))).toMatchObject({
      turnUrls: ['turn:127.0.0.1:3478', 'turns:turn.example.com:5349?transport=tcp'],
      turnSecret: 's3cret',
      turnTtlSeconds: 21600,
    });
    expect(configFromEnv({ ...turn, DIALTONE_TURN_TTL: '3600' }).turnTtlSeconds).toBe(3600);
  });

  it('needs the URLs and the secret together', () => {
    for (const env of [{ DIALTONE_TURN_URLS: turn.DIALTONE_TURN_URLS }, { DIALTONE_TURN_SECRET: 's3cret' }]) {
      expect(() => checkConfig(configFromEnv(env))).toThrow('DIALTONE_TURN_URLS and DIALTONE_TURN_SECRET must be set together');
    }
  });

  it.each(['stun:turn.example.com', 'turn:', 'turn:t.example.com?transport=sctp', ' , '])('refuses the URL list %j', (urls) => {
    expect(() => configFromEnv({ ...turn, DIALTONE_TURN_URLS: urls })).toThrow(/^DIALTONE_TURN_URLS \(--turn-urls\): /);
  });

  it.each(['59', '2592001', '1h', '-1'])('refuses the TTL %j', (ttl) => {
    expect(() => configFromEnv({ ...turn, DIALTONE_TURN_TTL: ttl })).toThrow(
      `DIALTONE_TURN_TTL must be an integer in 60..2592000, got "${ttl}"`,
    );
  });
});
