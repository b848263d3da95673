import type { Writable } from 'node:stream';

/**
 * Lets a grpc-js server stream hand every response queued behind a pending write to HTTP/2 at
 * once. grpc-js defines only `_write`, and its callback fires once the message's DATA frame has
 * been written, so a burst of responses otherwise goes out one message per socket write. With
 * `_writev`, the messages buffered meanwhile are passed on together (in order; HTTP/2 buffers
 * and writes them in one go), and the batch completes when the last of them has been written:
 * until then all of it counts in `writableLength`, and `end()` still waits for every write.
 */
export function coalesceWrites(stream: Writable): void {
  stream._writev = (chunks, callback) => {
    let left = chunks.length;
    let failed = false;
    const written = (err?: Error | null) => {
      if (failed) return;
      if (err) {
        failed = true;
        callback(err);
      } else if (--left === 0) callback();
    };
    for (const { chunk, encoding } of chunks) stream._write(chunk, encoding, written);
  };
}
