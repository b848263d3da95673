/** The exit codes of the client commands (`send`, `upload`, `bulk`); `serve` exits 2 on a bad config or address too. */
export const EXIT = {
  /** The call (every message of a bulk run) succeeded. */
  OK: 0,
  /** The gateway answered with a gRPC error status (its details are printed on stderr). */
  CALL_FAILED: 1,
  /** The command line or an input file is wrong; nothing was sent. */
  USAGE: 2,
  /** No gateway answered at the target (not running, wrong --target, refused connection). */
  UNREACHABLE: 3,
} as const;

/** The exit codes as the commands' --help prints them. */
export const EXIT_CODES_HELP = `Exit codes:
  0  ok
  1  the gateway answered with a gRPC error (code, ErrorInfo, GraphError, RetryInfo, BadRequest on stderr)
  2  usage error: bad flags or input; nothing was sent
  3  gateway unreachable at --target (not running? wrong address?)`;
