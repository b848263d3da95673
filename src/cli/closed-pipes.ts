/**
 * A reader that goes away (`… | head -c 1`, a `jq` that quit) closes the pipe under stdout or stderr:
 * the next write fails with EPIPE. That is the reader's choice, not the command's failure, so it is
 * not thrown (no stack trace); nothing more reaches that stream, and the command's own outcome
 * still decides the exit code. A command that must stop when its reader goes (`listen`) also
 * listens for the stream's 'error' itself.
 */
export function tolerateClosedPipes(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (!isClosedPipe(err)) throw err;
    });
  }
}

/** Whether a stream error says its reader has gone (EPIPE), or a write came after that. */
export function isClosedPipe(err: NodeJS.ErrnoException): boolean {
  return err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED';
}
