/**
 * Whether a request was addressed to this machine by a loopback name: the defence of dev-only
 * endpoints against DNS rebinding, where a page of another site reaches a local server through
 * a name of its own that resolves to 127.0.0.1 (its requests then carry that name as Host).
 */
import ipaddr from 'ipaddr.js';

/**
 * True when `host` (a Host header) names a loopback address, with or without a port:
 * `localhost`, an IPv4 address in 127.0.0.0/8 or `[::1]`. Anything else, a missing or malformed
 * header included, is false.
 */
export function isLoopbackHost(host: string | undefined): boolean {
  const name = hostnameOf((host ?? '').trim().toLowerCase());
  if (name === undefined) return false;
  if (name === 'localhost' || name === 'localhost.') return true;
  if (name.startsWith('[')) {
    const v6 = name.slice(1, -1);
    return ipaddr.IPv6.isValid(v6) && ipaddr.IPv6.parse(v6).range() === 'loopback';
  }
  return ipaddr.IPv4.isValidFourPartDecimal(name) && ipaddr.IPv4.parse(name).range() === 'loopback';
}

/** The host part of `host[:port]` or `[v6][:port]`; undefined when the port or brackets are malformed. */
function hostnameOf(host: string): string | undefined {
  const end = host.startsWith('[') ? host.indexOf(']') + 1 : host.includes(':') ? host.indexOf(':') : host.length;
  if (end <= 0) return undefined;
  const rest = host.slice(end);
  if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return undefined;
  return host.slice(0, end);
}
