import { writeSync } from 'node:fs';

/** A batch this long is written at once instead of waiting for the end of the event loop's turn. */
const MAX_BATCH = 64 * 1024;
/** How long a write to a full pipe waits before it tries again (the reader is behind). */
const FULL_PIPE_WAIT_MS = 1;
const waitCell = new Int32Array(new SharedArrayBuffer(4));

/**
 * Log lines to a file descriptor, gathered over one turn of the event loop and written together
 * with one synchronous write: a line per send used to cost a `write` system call of its own. The
 * batch goes out at the end of the turn (setImmediate), so that an idle process writes a line as
 * promptly as before, and at once when it reaches MAX_BATCH. Synchronous writes keep the order and
 * leave nothing in flight on another thread: `flushSync` on exit (process.exit, an uncaught
 * exception: both emit 'exit') writes everything logged before it, which pino's asynchronous
 * destination cannot promise for a write the thread pool has not started.
 */
export class BatchedLines {
  private pending = '';
  private scheduled = false;
  private readonly flushSoon = (): void => {
    this.scheduled = false;
    this.flushSync();
  };

  constructor(private readonly fd: number) {}

  /** pino's destination interface: one finished line (a string, newline included). */
  write(line: string): boolean {
    this.pending += line;
    if (this.pending.length >= MAX_BATCH) this.flushSync();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushSoon);
    }
    return true;
  }

  /** Writes every line logged so far, now. */
  flushSync(): void {
    let data = Buffer.from(this.pending);
    this.pending = '';
    while (data.length > 0) {
      try {
        const n = writeSync(this.fd, data);
        data = data.subarray(n);
      } catch (err) {
        // A non-blocking pipe whose reader is behind: wait for it as a synchronous write would.
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') {
          // A closed reader (EPIPE) or a full disk: the lines cannot be written anywhere, and
          // logging must not take the process down.
          return;
        }
        Atomics.wait(waitCell, 0, 0, FULL_PIPE_WAIT_MS);
      }
    }
  }

  /** pino's `logger.flush(cb)`. */
  flush(cb?: (err?: Error) => void): void {
    this.flushSync();
    cb?.();
  }
}

let stdoutLines: BatchedLines | undefined;

/** The process's one batched stdout (every logger shares it, so that lines keep their order), flushed on exit. */
export function batchedStdout(): BatchedLines {
  if (!stdoutLines) {
    const lines = new BatchedLines(1);
    process.on('exit', () => lines.flushSync());
    stdoutLines = lines;
  }
  return stdoutLines;
}
