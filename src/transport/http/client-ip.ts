/** Normalises a peer address for `ClientIP`: IPv4-mapped IPv6 becomes plain IPv4. */
export function clientIpOf(address: string | undefined): string {
  if (!address) return '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice('::ffff:'.length) : address;
}
