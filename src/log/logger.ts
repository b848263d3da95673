import pino, { type Logger } from 'pino';
import type { LogFormat, LogLevel } from '../config/gateway-config';
import { redactSecrets } from '../redaction/secret-redaction';
import { batchedStdout } from './batched-stdout';
import { censorNamedFields } from './named-fields';
import { prettyLine } from './pretty-line';

export type { Logger };

/** The longest log line written, in bytes; a longer one (an echoed 4 MB value, say) is replaced by its head. */
export const MAX_LOG_LINE = 16 * 1024;

/**
 * Every line as it is written: registered secrets and credential-shaped text redacted (whatever
 * field they sit in, an error's message included), and bounded.
 */
function finalLine(line: string): string {
  return boundedLine(redactSecrets(line));
}

/** A line no longer than MAX_LOG_LINE: a longer one is replaced by a line with its head. */
function boundedLine(line: string): string {
  if (line.length * 3 <= MAX_LOG_LINE || Buffer.byteLength(line) <= MAX_LOG_LINE) return line;
  const head = line.slice(0, 1024);
  return `${JSON.stringify({ level: 50, time: Date.now(), msg: 'log line too long: cut', bytes: line.length, head })}\n`;
}

/** A readable line of a JSON line, bounded again: a pretty line is never longer than MAX_LOG_LINE either. */
function boundedPretty(pretty: string): string {
  return pretty.length * 3 <= MAX_LOG_LINE || Buffer.byteLength(pretty) <= MAX_LOG_LINE ? pretty : `${pretty.slice(0, 1024)} … (cut)\n`;
}

const finalPrettyLine = (line: string): string => boundedPretty(prettyLine(finalLine(line)));
const boundedPrettyLine = (line: string): string => boundedPretty(prettyLine(boundedLine(line)));

/** Each logger's sibling for lines whose fields were redacted where the line was built (vettedLineLogger). */
const vettedLoggers = new WeakMap<Logger, Logger>();

/**
 * Logs to stdout (or the given stream, for tests): pino's JSON lines, numeric `level` (30 = info)
 * and `time` in epoch ms, for the gateway and the standalone sandbox alike (`service` tells them
 * apart). `format` `pretty` writes the same lines readable, one per line (see pretty-line.ts);
 * without a format, stdout that is a terminal gets `pretty`, anything else (a file, a pipe, a
 * container runtime) JSON. Both go through the same redaction and length bound. Lines to stdout are
 * gathered for at most 5 ms and written together (batched-stdout.ts).
 */
export function createLogger(level: LogLevel, destination?: NodeJS.WritableStream, service = 'messenger-gateway', format?: LogFormat): Logger {
  const pretty = (format ?? (destination === undefined && process.stdout.isTTY ? 'pretty' : 'json')) === 'pretty';
  const options = {
    level,
    base: { service },
    formatters: { log: censorNamedFields },
    hooks: { streamWrite: pretty ? finalPrettyLine : finalLine },
  };
  const dest = destination ?? batchedStdout();
  const logger = pino(options, dest);
  vettedLoggers.set(logger, pino({ level, base: { service }, hooks: { streamWrite: pretty ? boundedPrettyLine : boundedLine } }, dest));
  return logger;
}

/**
 * The logger for a line whose every string field the caller redacted itself (the access line of
 * each call: `src/service/call-log.ts`), or whose fields cannot hold a secret: the same format,
 * destination and length bound, without the second pass over the whole line (~a third of the
 * line's cost) and without the censoring of credential-named fields (a vetted line has none).
 * A logger createLogger did not make is its own.
 */
export function vettedLineLogger(logger: Logger): Logger {
  return vettedLoggers.get(logger) ?? logger;
}

/** Resolves once every line logged so far is written (stdout is written every few ms): call it before process.exit. */
export function flushLogger(logger: Logger): Promise<void> {
  return new Promise((resolve) => logger.flush(() => resolve()));
}
