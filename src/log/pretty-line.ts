/** pino's numeric levels, as a terminal shows them. */
const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };
/** Fields every line has: the time and level lead the line, the service is the same on every line. */
const LEADING = new Set(['level', 'time', 'msg', 'service']);

/**
 * One JSON log line (pino's, already redacted and bounded) as one line for people:
 * `12:03:04.567 INFO  gateway ready  listen=127.0.0.1:50051 pages=[]`. Strings without spaces are
 * written bare, everything else as JSON, so a value never spills onto a second line.
 */
export function prettyLine(jsonLine: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(jsonLine) as Record<string, unknown>;
  } catch {
    return jsonLine;
  }
  const time = typeof entry.time === 'number' ? new Date(entry.time).toISOString().slice(11, 23) : '';
  const level = LEVELS[entry.level as number] ?? String(entry.level);
  let out = `${time} ${level} ${typeof entry.msg === 'string' ? entry.msg : ''}`;
  let first = true;
  for (const [key, value] of Object.entries(entry)) {
    if (LEADING.has(key) || value === undefined) continue;
    out += `${first ? '  ' : ' '}${key}=${typeof value === 'string' && /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value)}`;
    first = false;
  }
  return `${out}\n`;
}
