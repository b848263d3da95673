/**
 * The gateway could not listen on its address: a mistake of the operator, reported in one line (exit 2).
 * The address itself is not repeated: whatever `${ENV}` put into `listen` (a secret, by mistake) stays out of logs.
 */
export class ListenError extends Error {
  override name = 'ListenError';
  constructor(readonly listen: string, reason: string) {
    super(`cannot listen on the configured address (listen): ${reason}; choose another address with --listen HOST:PORT (or GATEWAY_LISTEN, or "listen" in the config)`);
  }
}

const REASONS: [RegExp, string][] = [
  [/EADDRINUSE/, 'the address is already in use (EADDRINUSE): another gateway, or another program, is listening there'],
  [/EADDRNOTAVAIL/, 'no interface of this machine has that address (EADDRNOTAVAIL)'],
  [/EACCES/, 'permission denied (EACCES): ports below 1024 need privileges'],
];

/** A ListenError for grpc-js's bind failure; its message (which quotes the address) is never repeated. */
export function listenErrorOf(listen: string, err: unknown): ListenError {
  const message = err instanceof Error ? err.message : String(err);
  const reason = REASONS.find(([re]) => re.test(message))?.[1] ?? 'the host does not resolve to an address of this machine, or the port cannot be bound';
  return new ListenError(listen, reason);
}
