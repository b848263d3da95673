import { writeSync } from 'node:fs';

/** A batch this long is written at once instead of waiting for the timer. */
const MAX_BATCH = 64 * 1024;
/** The longest a line waits to be written. */
const FLUSH_MS = 5;
/** How long a write to a full pipe waits before it tries again (the reader is behind). */
const FULL_PIPE_WAIT_MS = 1;
const waitCell = new Int32Array(new SharedArrayBuffer(4));

/**
 * Log lines to a file descriptor, gathered for at most FLUSH_MS and written together with one
 * synchronous write: a line per send used to cost a `write` system call of its own, and one turn
 * of the event loop under load holds only a few sends. An idle process writes a line within
 * FLUSH_MS (nothing that waits for a line waits long), and a batch of MAX_BATCH goes out at once.
 * Synchronous writes keep the order and leave nothing in flight on another thread: `flushSync` on
 * exit (process.exit, an uncaught exception: both emit 'exit') writes everything logged before it,
 * which pino's asynchronous destination cannot promise for a write the thread pool has not started.
 */
export class BatchedLines {
  /** The batch, encoded as it comes: no string of the whole batch to build and encode again. */
  private readonly batch = Buffer.allocUnsafe(MAX_BATCH);
  private used = 0;
  private scheduled = false;
  private readonly flushSoon = (): void => {
    this.scheduled = false;
    this.flushSync();
  };

  constructor(private readonly fd: number) {}

  /** pino's destination interface: one finished line (a string, newline included). */
  write(line: string): boolean {
    // UTF-8 takes at most 3 bytes per UTF-16 unit; a line longer than the batch (pino's are bounded
    // to 16 KiB by the logger) goes out on its own.
    if (this.used + line.length * 3 > MAX_BATCH) {
      this.flushSync();
      if (line.length * 3 > MAX_BATCH) {
        this.writeAll(Buffer.from(line));
        return true;
      }
    }
    this.used += this.batch.write(line, this.used);
    if (!this.scheduled) {
      this.scheduled = true;
      // Unref'd: a process with nothing else to do exits, and its exit writes the lines.
      setTimeout(this.flushSoon, FLUSH_MS).unref();
    }
    return true;
  }

  /** Writes every line logged so far, now. */
  flushSync(): void {
    if (this.used === 0) return;
    const data = this.batch.subarray(0, this.used);
    this.used = 0;
    this.writeAll(data);
  }

  private writeAll(data: Buffer): void {
    while (data.length > 0) {
      try {
        data = data.subarray(writeSync(this.fd, data));
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
