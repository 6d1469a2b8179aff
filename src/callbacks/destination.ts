/**
 * Safe callback destinations (SPEC §6): which addresses a callback may be sent to. Callbacks are
 * server-side requests whose URL an app's administrator chooses, so by default they reach public
 * unicast addresses only; the operator widens that with `DIALTONE_CALLBACK_ALLOW` (CIDRs and
 * host names) and dev mode allows loopback.
 *
 * Pure: addresses are classified with ipaddr.js, never parsed by hand. Resolving names and
 * checking the address actually connected to is the connector's job (`connector.ts`).
 */
import ipaddr from 'ipaddr.js';
import { domainToASCII } from 'node:url';

/** Why a URL with user-info is refused. */
export const USER_INFO_REFUSAL =
  'Url must not contain a user name or password (user:password@): callbacks never send them; authenticate callbacks with the callback token or webhook signature instead';

/** What kind of address an IP is, as far as callbacks are concerned. */
export type AddressKind =
  'public' | 'loopback' | 'private' | 'carrier-grade NAT' | 'link-local' | 'unspecified' | 'multicast' | 'broadcast' | 'reserved';

/** The setting that widens the policy, named in every refusal. */
export const CALLBACK_ALLOW_SETTING = 'DIALTONE_CALLBACK_ALLOW';

/** How every refusal ends: what is allowed and how the operator changes it. */
const HINT = `callbacks may only go to public addresses unless the operator allows it with ${CALLBACK_ALLOW_SETTING}`;

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type Cidr = [Address, number];

const IPV4_KINDS: Record<string, AddressKind> = {
  unicast: 'public',
  loopback: 'loopback',
  private: 'private',
  carrierGradeNat: 'carrier-grade NAT',
  linkLocal: 'link-local',
  unspecified: 'unspecified',
  multicast: 'multicast',
  broadcast: 'broadcast',
};

const IPV6_KINDS: Record<string, AddressKind> = {
  loopback: 'loopback',
  uniqueLocal: 'private',
  // fec0::/10 was the site's own network before fc00::/7 replaced it.
  deprecatedSiteLocal: 'private',
  linkLocal: 'link-local',
  unspecified: 'unspecified',
  multicast: 'multicast',
};

/** 2000::/3, where every global unicast IPv6 address is assigned (RFC 4291). */
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');
/** 64:ff9b::/96, the well-known NAT64 prefix: the last 32 bits are the IPv4 address reached. */
const NAT64 = ipaddr.parseCIDR('64:ff9b::/96');

/** The IPv4 address a NAT64 address (64:ff9b::/96) reaches, if it is one. */
function nat64Target(address: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  if (!address.match(NAT64)) return undefined;
  const bytes = address.toByteArray();
  return new ipaddr.IPv4(bytes.slice(12));
}

function kindOf(address: Address): AddressKind {
  if (address.kind() === 'ipv4') return IPV4_KINDS[address.range()] ?? 'reserved';
  const v6 = address as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return kindOf(v6.toIPv4Address());
  const target = nat64Target(v6);
  if (target) return kindOf(target);
  const range = v6.range();
  if (range === 'unicast') return v6.match(GLOBAL_UNICAST_V6) ? 'public' : 'reserved';
  // Anything else (6to4, Teredo, IPv4-translated, documentation, benchmarking, …) is reserved:
  // several of them embed an IPv4 address a relay would forward to.
  return IPV6_KINDS[range] ?? 'reserved';
}

/** The addresses an address also stands for: itself, the IPv4 of an IPv4-mapped or NAT64 one. */
function aliases(address: Address): Address[] {
  if (address.kind() === 'ipv4') return [address];
  const v6 = address as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return [v6, v6.toIPv4Address()];
  const target = nat64Target(v6);
  return target ? [v6, target] : [v6];
}

/** True for a literal IPv4 or IPv6 address in any spelling ipaddr.js reads (no brackets). */
export function isIpLiteral(text: string): boolean {
  return ipaddr.isValid(text);
}

/** Classifies a literal IP address (any spelling, no brackets). Throws on something else. */
export function classifyAddress(text: string): AddressKind {
  return kindOf(ipaddr.parse(text));
}

/** "a private address (10.0.0.1)", with cloud metadata named as such. */
function describeAddress(kind: AddressKind, text: string): string {
  const article = /^[aeiou]/.test(kind) ? 'an' : 'a';
  const metadata = kind === 'link-local' && aliases(ipaddr.parse(text)).some((a) => a.toString() === '169.254.169.254');
  return `${article} ${kind} address (${text}${metadata ? ', cloud metadata' : ''})`;
}

/** One entry of the allow-list. */
export type AllowRule = { kind: 'cidr'; cidr: Cidr; text: string } | { kind: 'host'; host: string; text: string };

/** Host names as they appear in a URL: lower case, no trailing dot, punycode. */
function normalHost(host: string): string {
  return host.toLowerCase().replace(/\.$/, '');
}

const LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;

/**
 * Reads one allow-list entry: a CIDR (`10.1.2.0/24`, `fd00::/8`), a bare address (its /32 or
 * /128) or a host name (`hooks.internal`). Throws an Error saying what is wrong.
 */
export function parseAllowRule(entry: string): AllowRule {
  const text = entry.trim();
  if (text.includes('/')) {
    if (!ipaddr.isValidCIDR(text)) throw new Error(`"${text}" is not a CIDR (like 10.1.2.0/24 or fd00::/8)`);
    return { kind: 'cidr', cidr: ipaddr.parseCIDR(text), text };
  }
  const bare = text.replace(/^\[(.*)\]$/, '$1');
  if (ipaddr.isValid(bare)) {
    const address = ipaddr.parse(bare);
    return { kind: 'cidr', cidr: [address, address.kind() === 'ipv4' ? 32 : 128], text };
  }
  const host = normalHost(domainToASCII(text));
  const labels = host.split('.');
  // An all-numeric last label would be read as an IPv4 address by URL parsers, never as a name.
  if (host === '' || host.length > 253 || !labels.every((l) => LABEL.test(l)) || /^\d+$/.test(labels.at(-1)!)) {
    throw new Error(`"${text}" is neither a CIDR (like 10.1.2.0/24), an IP address nor a host name`);
  }
  return { kind: 'host', host, text };
}

/** What the policy allows beyond public addresses. */
export interface DestinationPolicyOptions {
  /** `DIALTONE_CALLBACK_ALLOW` entries: CIDRs, bare addresses and host names. Default none. */
  allow?: readonly string[];
  /** Allow loopback addresses (dev mode). Default false. */
  allowLoopback?: boolean;
}

/** Decides which callback destinations are allowed (SPEC §6 "Safe destinations"). */
export class DestinationPolicy {
  private readonly cidrs: Cidr[] = [];
  private readonly hosts = new Set<string>();
  private readonly allowLoopback: boolean;

  /** Throws an Error naming the first bad `allow` entry. */
  constructor(options: DestinationPolicyOptions = {}) {
    this.allowLoopback = options.allowLoopback ?? false;
    for (const entry of options.allow ?? []) {
      const rule = parseAllowRule(entry);
      if (rule.kind === 'cidr') this.cidrs.push(rule.cidr);
      else this.hosts.add(rule.host);
    }
  }

  /** True when `hostname` is a listed host name: allowed whatever it resolves to. */
  allowsHost(hostname: string): boolean {
    return this.hosts.has(normalHost(hostname));
  }

  /**
   * Why a callback may not be connected to `address` (a literal IP, any spelling, no brackets),
   * or undefined when it may. `what` starts the sentence, e.g. `Url points to` or
   * `hooks.example resolves to`.
   */
  refuseAddress(address: string, what = 'Url points to'): string | undefined {
    const parsed = ipaddr.parse(address);
    const kind = kindOf(parsed);
    if (kind === 'public') return undefined;
    if (kind === 'loopback' && this.allowLoopback) return undefined;
    for (const a of aliases(parsed)) {
      if (this.cidrs.some(([net, bits]) => net.kind() === a.kind() && a.match(net, bits))) return undefined;
    }
    return `${what} ${describeAddress(kind, address)}; ${HINT}`;
  }

  /**
   * Why `set_callback` refuses `url`, or undefined when it is accepted: not an absolute URL,
   * not http(s), with user-info, or a literal address outside the policy. Host names are not
   * resolved here; they are checked on the address connected to when a callback is sent.
   */
  refuseUrl(url: string): string | undefined {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return 'Url is not an absolute URL';
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'Url must be http:// or https://';
    if (parsed.username !== '' || parsed.password !== '') {
      return USER_INFO_REFUSAL;
    }
    const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
    // WHATWG URL has already rewritten every IPv4 spelling (2130706433, 0x7f000001, 0177.1)
    // into dotted decimal, so a host that is not an IP literal here is a name.
    if (!isIpLiteral(host)) return undefined;
    return this.refuseAddress(host);
  }
}
