import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';

/** The address a request counts against: its peer, or behind a trusted proxy the client that proxy names. */
export type SourceOf = (req: IncomingMessage) => string;

// A forwarded address is a key, never parsed further; this stops a long header making a long key.
const MAX_ADDRESS_LENGTH = 64;

/**
 * Without trusted proxies every request counts against its peer address. With them, a request
 * from a trusted proxy counts against the right-most `X-Forwarded-For` hop that is not itself a
 * trusted proxy: the hops left of it were written by the client and prove nothing.
 */
export function sourceAddressOf(trustedProxies: readonly string[]): SourceOf {
  if (trustedProxies.length === 0) return peerAddress;
  const trusted = new BlockList();
  for (const entry of trustedProxies) addTrusted(trusted, entry);
  const isTrusted = (address: string): boolean => {
    const family = isIP(address);
    return family !== 0 && trusted.check(address, family === 4 ? 'ipv4' : 'ipv6');
  };
  return (req) => {
    const peer = peerAddress(req);
    const header = req.headers['x-forwarded-for'];
    if (header === undefined || !isTrusted(peer)) return peer;
    const hops = (Array.isArray(header) ? header.join(',') : header).split(',');
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = plainAddress(hops[i].trim()).slice(0, MAX_ADDRESS_LENGTH);
      if (hop !== '' && !isTrusted(hop)) return hop;
    }
    return peer;
  };
}

function peerAddress(req: IncomingMessage): string {
  return plainAddress(req.socket.remoteAddress ?? '');
}

/** `::ffff:1.2.3.4` (IPv4 on a dual-stack socket) as `1.2.3.4`, so one client is one key. */
function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/** Adds `ADDRESS` or `ADDRESS/PREFIX` (checked by the config loader) to the list. */
function addTrusted(list: BlockList, entry: string): void {
  const [address, prefix] = entry.split('/');
  const type = isIP(address) === 4 ? 'ipv4' : 'ipv6';
  if (prefix === undefined) list.addAddress(address, type);
  else list.addSubnet(address, Number(prefix), type);
}
