/**
 * The gateway could not listen on its address: a mistake of the operator, reported in one line (exit 2).
 * The line names the address when its host is an IP address or `localhost`; a host name is not
 * repeated (only the port is): whatever `${ENV}` or a paste put there (a secret, by mistake) stays out of logs.
 */
export class ListenError extends Error {
  override name = 'ListenError';
  constructor(readonly listen: string, reason: string, what: ListenerName = 'grpc') {
    super(`cannot listen on ${shownAddress(listen)} (${KEY[what]}): ${reason}; choose another address with ${HOW[what]}`);
  }
}

/** `127.0.0.1:8025`, `[::1]:50051`, `localhost:8088` as they are; `port 50051 (host not repeated)` for any other host. */
export function shownAddress(listen: string): string {
  const colon = listen.lastIndexOf(':');
  const host = listen.slice(0, colon);
  const port = listen.slice(colon + 1);
  if (colon < 0 || !/^\d{1,5}$/.test(port)) return 'the configured address';
  const literal = /^(\d{1,3}\.){3}\d{1,3}$/.test(host) || /^\[[0-9a-fA-F:.]+\]$/.test(host) || host === 'localhost';
  return literal ? listen : `port ${port} (host not repeated)`;
}

/** The gateway's listeners, and how each address is changed. */
export type ListenerName = 'grpc' | 'webhook' | 'inbox';
const KEY: Record<ListenerName, string> = { grpc: 'listen', webhook: 'webhook.listen', inbox: 'inbox listen' };
const HOW: Record<ListenerName, string> = {
  grpc: '--listen HOST:PORT (or GATEWAY_LISTEN, or "listen" in the config)',
  webhook: '--webhook-listen HOST:PORT (or GATEWAY_WEBHOOK_LISTEN, or "webhook.listen" in the config)',
  inbox: '--inbox-listen HOST:PORT (or GATEWAY_INBOX_LISTEN)',
};

const REASONS: [RegExp, string][] = [
  [/EADDRINUSE/, 'the address is already in use (EADDRINUSE): another gateway, or another program, is listening there'],
  [/EADDRNOTAVAIL/, 'no interface of this machine has that address (EADDRNOTAVAIL)'],
  [/EACCES/, 'permission denied (EACCES): ports below 1024 need privileges'],
];

/** A ListenError for a bind failure; its message (which quotes the address) is never repeated. */
export function listenErrorOf(listen: string, err: unknown, what: ListenerName = 'grpc'): ListenError {
  const message = err instanceof Error ? `${err.message} ${(err as { code?: string }).code ?? ''}` : String(err);
  const reason = REASONS.find(([re]) => re.test(message))?.[1] ?? 'the host does not resolve to an address of this machine, or the port cannot be bound';
  return new ListenError(listen, reason, what);
}
