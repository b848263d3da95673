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

/** Where each logger's vetted lines go (writeVettedLine). */
interface VettedOut {
  readonly destination: { write(line: string): unknown };
  readonly service: string;
  readonly finish: (line: string) => string;
}
const vettedOuts = new WeakMap<Logger, VettedOut>();
/** pino's level numbers. */
const LEVEL_NUMBER = { error: 50, warn: 40, info: 30 } as const;

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
  vettedOuts.set(logger, { destination: dest as VettedOut['destination'], service, finish: pretty ? boundedPrettyLine : boundedLine });
  return logger;
}

/**
 * Writes a line whose every string field the caller redacted itself (the access line of each call,
 * `src/service/call-log.ts`): pino's format exactly (`level`, `time`, `service`, the fields in their
 * order without the undefined ones, `msg`), to the logger's destination with its length bound and
 * format, without pino's generic serialiser and without the pass over the whole line (together
 * most of the line's cost). The caller checks the level (`logger.isLevelEnabled`). A logger
 * createLogger did not make gets the line through pino.
 */
export function writeVettedLine(logger: Logger, level: keyof typeof LEVEL_NUMBER, fields: object, msg: string): void {
  const out = vettedOuts.get(logger);
  if (!out) {
    logger[level](fields, msg);
    return;
  }
  // JSON.stringify keeps the keys' order and leaves undefined out, as pino does.
  const body = JSON.stringify(fields);
  const line = `{"level":${LEVEL_NUMBER[level]},"time":${Date.now()},"service":${JSON.stringify(out.service)}${body.length > 2 ? `,${body.slice(1, -1)}` : ''},"msg":${JSON.stringify(msg)}}\n`;
  out.destination.write(out.finish(line));
}

/** Resolves once every line logged so far is written (stdout is written every few ms): call it before process.exit. */
export function flushLogger(logger: Logger): Promise<void> {
  return new Promise((resolve) => logger.flush(() => resolve()));
}
