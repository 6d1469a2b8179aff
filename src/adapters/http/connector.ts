/**
 * The undici connector of callback attempts: it refuses to connect outside the
 * {@link DestinationPolicy}, checking the address actually connected to, so a host name that
 * resolves (or is rebound) to a private address gets nowhere (SPEC §6 "Safe destinations").
 *
 * Host names go through net's `lookup` option, which resolves with an injectable DNS lookup and
 * hands net only the allowed addresses. Literal IP hosts are never looked up by net, so they are
 * checked before connecting.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import { buildConnector } from 'undici';
import type { DestinationPolicy } from '../../callbacks/destination.js';

/** One resolved address. `family` is 4 or 6. */
export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Resolves a host name to all its addresses. */
export type DnsLookup = (hostname: string) => Promise<ResolvedAddress[]>;

/** The system resolver (`dns.lookup`, all addresses), as net itself would use it. */
export const systemLookup: DnsLookup = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/** Raised instead of connecting to a destination the policy refuses; its message says why. */
export class DestinationRefusedError extends Error {
  override readonly name = 'DestinationRefusedError';
  readonly code = 'ERR_CALLBACK_DESTINATION_REFUSED';

  constructor(reason: string) {
    super(`destination refused: ${reason}`);
  }
}

/** Connector settings. */
export interface SafeConnectorOptions {
  policy: DestinationPolicy;
  /** Default {@link systemLookup}. */
  lookup?: DnsLookup;
  /** Connect timeout, ms (undici's `connect.timeout`). */
  timeoutMs: number;
}

function familyOf(option: unknown): number {
  if (option === 4 || option === 'IPv4') return 4;
  if (option === 6 || option === 'IPv6') return 6;
  return 0;
}

/** A net `lookup` that resolves with `lookup` and keeps only the addresses `policy` allows. */
export function guardedLookup(policy: DestinationPolicy, lookup: DnsLookup): LookupFunction {
  return (hostname, options, callback) => {
    const family = familyOf(options.family);
    lookup(hostname).then(
      (found) => {
        const usable = family === 0 ? found : found.filter((a) => a.family === family);
        let allowed = usable;
        let refusal: string | undefined;
        if (!policy.allowsHost(hostname)) {
          allowed = usable.filter((a) => {
            const why = policy.refuseAddress(a.address, `${hostname} resolves to`);
            refusal ??= why;
            return why === undefined;
          });
        }
        const first = allowed[0];
        if (!first) {
          const err = refusal
            ? new DestinationRefusedError(refusal)
            : Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND', hostname });
          callback(err, '', 0);
          return;
        }
        if (options.all) callback(null, allowed);
        else callback(null, first.address, first.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, '', 0),
    );
  };
}

/** An undici connector (the Agent's `connect` option) that only reaches what `policy` allows. */
export function safeConnector(opts: SafeConnectorOptions): buildConnector.connector {
  const connect = buildConnector({ timeout: opts.timeoutMs, lookup: guardedLookup(opts.policy, opts.lookup ?? systemLookup) });
  return (options, callback) => {
    if (isIP(options.hostname) !== 0) {
      const why = opts.policy.refuseAddress(options.hostname);
      if (why !== undefined) {
        callback(new DestinationRefusedError(why), null);
        return;
      }
    }
    connect(options, callback);
  };
}
