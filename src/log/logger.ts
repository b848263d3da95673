import pino, { type Logger } from 'pino';
import type { LogLevel } from '../config/gateway-config';
import { redactSecrets } from '../redaction/secret-redaction';

export type { Logger };

// Belt and braces: the gateway never logs credentials, and these paths catch an accident.
const REDACT = [
  'accessToken', '*.accessToken', 'appSecret', '*.appSecret', 'access_token', '*.access_token',
  'appsecret_proof', '*.appsecret_proof', 'authorization', '*.authorization', 'headers.authorization',
];

/** The longest log line written, in bytes; a longer one (an echoed 4 MB value, say) is replaced by its head. */
export const MAX_LOG_LINE = 16 * 1024;

/**
 * Every line as it is written: registered secrets and credential-shaped text redacted (whatever
 * field they sit in, an error's message included), and bounded.
 */
function finalLine(line: string): string {
  const redacted = redactSecrets(line);
  if (redacted.length * 3 <= MAX_LOG_LINE || Buffer.byteLength(redacted) <= MAX_LOG_LINE) return redacted;
  const head = redacted.slice(0, 1024);
  return `${JSON.stringify({ level: 50, time: Date.now(), msg: 'log line too long: cut', bytes: redacted.length, head })}\n`;
}

/**
 * JSON logs to stdout (or the given stream, for tests): pino's format, numeric `level` (30 = info) and
 * `time` in epoch ms, for the gateway and the standalone sandbox alike (`service` tells them apart).
 */
export function createLogger(level: LogLevel, destination?: NodeJS.WritableStream, service = 'messenger-gateway'): Logger {
  const options = {
    level,
    base: { service },
    redact: { paths: REDACT, censor: '[redacted]' },
    hooks: { streamWrite: finalLine },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** Resolves once every line logged so far is written (pino buffers stdout): call it before process.exit. */
export function flushLogger(logger: Logger): Promise<void> {
  return new Promise((resolve) => logger.flush(() => resolve()));
}
