import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { coalesceWrites } from '../../src/service/coalesced-writes';

/** A stream like grpc-js's: each write completes only when the test says so. */
function slowStream() {
  const started: string[] = [];
  const pending: Array<(err?: Error | null) => void> = [];
  const stream = new Writable({
    objectMode: true,
    write(chunk: string, _enc, cb) {
      started.push(chunk);
      pending.push(cb);
    },
  });
  return { stream, started, pending };
}

describe('coalesceWrites', () => {
  it('passes every write queued behind a pending one on at once, in order, and finishes after the last', async () => {
    const { stream, started, pending } = slowStream();
    coalesceWrites(stream);
    for (const m of ['a', 'b', 'c', 'd']) stream.write(m);
    expect(started).toEqual(['a']);
    pending.shift()?.();
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual(['a', 'b', 'c', 'd']);
    let finished = false;
    stream.end(() => (finished = true));
    pending.shift()?.();
    pending.shift()?.();
    await new Promise((r) => setImmediate(r));
    expect(finished).toBe(false);
    // A batch counts as unsent until all of it is written (what the not-reading bound looks at).
    expect(stream.writableLength).toBe(3);
    pending.shift()?.();
    await new Promise((r) => setImmediate(r));
    expect(finished).toBe(true);
  });

  it('fails the stream on the first failed write of a batch', async () => {
    const { stream, pending } = slowStream();
    coalesceWrites(stream);
    const errors: Error[] = [];
    stream.on('error', (e) => errors.push(e));
    for (const m of ['a', 'b', 'c']) stream.write(m);
    pending.shift()?.();
    await new Promise((r) => setImmediate(r));
    pending.shift()?.(new Error('broken'));
    pending.shift()?.(new Error('again'));
    await new Promise((r) => setImmediate(r));
    expect(errors.map((e) => e.message)).toEqual(['broken']);
  });
});
