import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DestinationPolicy, classifyAddress, parseAllowRule } from './destination.js';

const strict = new DestinationPolicy();

describe('classifyAddress', () => {
  it.each([
    ['8.8.8.8', 'public'],
    ['93.184.216.34', 'public'],
    ['2606:4700:4700::1111', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['fd00::1', 'private'],
    ['fc00::1', 'private'],
    ['fec0::1', 'private'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.127.255.255', 'carrier-grade NAT'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['2001:db8::1', 'reserved'],
    // 6to4 and IPv4-compatible addresses embed an IPv4 address a relay would forward to.
    ['2002:7f00:1::', 'reserved'],
    ['::7f00:1', 'reserved'],
    // IPv4-mapped and NAT64 addresses are what they map to.
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:8.8.8.8', 'public'],
    ['64:ff9b::a00:1', 'private'],
    ['64:ff9b::808:808', 'public'],
    // ipaddr.js reads every IPv4 spelling.
    ['2130706433', 'loopback'],
    ['0x7f000001', 'loopback'],
    ['0177.0.0.1', 'loopback'],
    ['127.1', 'loopback'],
    ['0xa.0.0.1', 'private'],
  ])('%s is %s', (address, kind) => {
    expect(classifyAddress(address)).toBe(kind);
  });
});

describe('DestinationPolicy.refuseUrl (set_callback)', () => {
  it.each([
    ['http://10.0.0.1/cb', 'a private address (10.0.0.1)'],
    ['http://169.254.169.254/latest/meta-data/', 'a link-local address (169.254.169.254, cloud metadata)'],
    ['http://192.168.0.10:8080/cb', 'a private address (192.168.0.10)'],
    ['http://[fd00::1]/cb', 'a private address (fd00::1)'],
    ['http://0x7f000001/cb', 'a loopback address (127.0.0.1)'],
    ['http://2130706433/cb', 'a loopback address (127.0.0.1)'],
    ['http://0177.0.0.1/cb', 'a loopback address (127.0.0.1)'],
    ['http://127.1:6379/', 'a loopback address (127.0.0.1)'],
    ['http://[::1]:5432/', 'a loopback address (::1)'],
    ['http://[::ffff:127.0.0.1]/', 'a loopback address (::ffff:7f00:1)'],
    ['https://100.100.100.200/', 'a carrier-grade NAT address (100.100.100.200)'],
    ['http://0.0.0.0:8080/', 'an unspecified address (0.0.0.0)'],
    ['http://224.0.0.1/', 'a multicast address (224.0.0.1)'],
    ['http://255.255.255.255/', 'a broadcast address (255.255.255.255)'],
  ])('refuses %s as %s, naming the setting', (url, what) => {
    expect(strict.refuseUrl(url)).toBe(
      `Url points to ${what}; callbacks may only go to public addresses unless the operator allows it with DIALTONE_CALLBACK_ALLOW`,
    );
  });

  it('refuses user-info, other schemes and relative URLs', () => {
    expect(strict.refuseUrl('https://user:pass@example.com/cb')).toMatch(/^Url must not contain a user name or password/);
    expect(strict.refuseUrl('https://user@example.com/cb')).toMatch(/^Url must not contain a user name or password/);
    expect(strict.refuseUrl('ftp://example.com/cb')).toBe('Url must be http:// or https://');
    expect(strict.refuseUrl('file:///etc/passwd')).toBe('Url must be http:// or https://');
    expect(strict.refuseUrl('/cb')).toBe('Url is not an absolute URL');
  });

  it('accepts public addresses and host names, which are checked when sent', () => {
    expect(strict.refuseUrl('https://8.8.8.8/cb')).toBeUndefined();
    expect(strict.refuseUrl('https://[2606:4700:4700::1111]/cb')).toBeUndefined();
    expect(strict.refuseUrl('https://hooks.example.com/cb?x=1')).toBeUndefined();
    expect(strict.refuseUrl('http://localhost:8080/cb')).toBeUndefined();
  });

  it('refuses every spelling of a refused IPv4 address that a URL can carry', () => {
    // Any IPv4 address, written as one integer, in hex, in octal or as IPv4-mapped IPv6, is
    // judged as its dotted form is.
    fc.assert(
      fc.property(fc.ipV4(), (dotted) => {
        const octets = dotted.split('.').map(Number);
        const int = octets.reduce((n, o) => n * 256 + o, 0);
        const expected = strict.refuseUrl(`http://${dotted}/`) === undefined;
        for (const host of [String(int), `0x${int.toString(16)}`, octets.map((o) => `0${o.toString(8)}`).join('.'), `[::ffff:${dotted}]`]) {
          expect(strict.refuseUrl(`http://${host}/`) === undefined, host).toBe(expected);
        }
      }),
    );
  });
});

describe('DestinationPolicy with an allow-list', () => {
  const policy = new DestinationPolicy({ allow: ['127.0.0.0/8', '::1', '10.1.2.0/24', '192.168.7.7', 'Hooks.Internal.'] });

  it('allows the listed CIDRs and bare addresses, and nothing next to them', () => {
    expect(policy.refuseAddress('127.0.0.1')).toBeUndefined();
    expect(policy.refuseAddress('::1')).toBeUndefined();
    expect(policy.refuseAddress('::ffff:127.0.0.1')).toBeUndefined();
    expect(policy.refuseAddress('10.1.2.200')).toBeUndefined();
    expect(policy.refuseAddress('192.168.7.7')).toBeUndefined();
    expect(policy.refuseAddress('10.1.3.1')).toMatch(/private address \(10\.1\.3\.1\)/);
    expect(policy.refuseAddress('192.168.7.8')).toMatch(/private/);
    expect(policy.refuseAddress('169.254.169.254')).toMatch(/link-local/);
    expect(policy.refuseUrl('http://10.1.2.3:9000/cb')).toBeUndefined();
  });

  it('allows a listed host name whatever it resolves to, in any case and with a trailing dot', () => {
    expect(policy.allowsHost('hooks.internal')).toBe(true);
    expect(policy.allowsHost('HOOKS.internal.')).toBe(true);
    expect(policy.allowsHost('other.internal')).toBe(false);
  });

  it('names what the address was reached through', () => {
    expect(strict.refuseAddress('10.0.0.1', 'hooks.example resolves to')).toBe(
      'hooks.example resolves to a private address (10.0.0.1); callbacks may only go to public addresses unless the operator allows it with DIALTONE_CALLBACK_ALLOW',
    );
  });
});

describe('dev mode', () => {
  const dev = new DestinationPolicy({ allowLoopback: true });

  it('allows loopback and nothing else that is not public', () => {
    expect(dev.refuseUrl('http://127.0.0.1:4000/')).toBeUndefined();
    expect(dev.refuseUrl('http://[::1]:4000/')).toBeUndefined();
    expect(dev.refuseUrl('http://10.0.0.1/')).toMatch(/private/);
    expect(dev.refuseUrl('http://169.254.169.254/')).toMatch(/link-local/);
  });
});

describe('parseAllowRule', () => {
  it('reads CIDRs, bare addresses and host names', () => {
    expect(parseAllowRule('10.1.2.0/24')).toMatchObject({ kind: 'cidr' });
    expect(parseAllowRule('fd00::/8')).toMatchObject({ kind: 'cidr' });
    expect(parseAllowRule('::1')).toMatchObject({ kind: 'cidr' });
    expect(parseAllowRule('[::1]')).toMatchObject({ kind: 'cidr' });
    expect(parseAllowRule('hooks.internal')).toEqual({ kind: 'host', host: 'hooks.internal', text: 'hooks.internal' });
    expect(parseAllowRule('localhost')).toMatchObject({ kind: 'host', host: 'localhost' });
  });

  it.each(['10.0.0.0/33', '10.0.0.0/', 'fd00::/129', 'not a host', '-bad.example', 'a..b', 'http://x', '*.example.com', '1.2.3.4.5'])(
    'refuses %s',
    (entry) => {
      expect(() => parseAllowRule(entry)).toThrow(entry);
    },
  );
});
