// The RPC edge (src/service/rpc-edge.ts) is the one place where a Failure becomes a gRPC status
// and an answer is redacted: no handler, interceptor or pipeline encodes on its own, and no
// handler fills a record passed down to it. Checked on the source text, so that a new RPC that
// encodes by hand fails here rather than in review.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '../..');
const EDGE = 'src/service/rpc-edge.ts';
const ENCODER = 'src/errors/status-encoder.ts';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.tsx?$/.test(name) ? [relative(ROOT, path)] : [];
  });
}

const files = sources(join(ROOT, 'src')).map((file) => ({ file, text: readFileSync(join(ROOT, file), 'utf8') }));

/** Files (other than the edge and the encoder) whose text matches. */
function offenders(pattern: RegExp): string[] {
  return files.filter(({ file, text }) => file !== EDGE && file !== ENCODER && pattern.test(text)).map(({ file }) => file);
}

describe('one edge for every RPC', () => {
  it('only the edge imports the encoder of statuses and answers (encodeFailure, failureStatus, redactResponse)', () => {
    expect(offenders(/\b(encodeFailure|failureStatus|redactResponse)\b/)).toEqual([]);
    expect(files.find((f) => f.file === EDGE)!.text).toMatch(/\bencodeFailure\(/);
  });

  it('no handler answers a call with a status of its own (sendStatus, an error event, an error callback)', () => {
    expect(offenders(/\.sendStatus\(|\.emit\(\s*'error'/)).toEqual([]);
    // A unary or client-stream handler's callback takes its error only from the edge.
    const handlers = files.filter(({ text }) => /\bsendUnaryData\b|handleUnaryCall|handleClientStreamingCall/.test(text));
    expect(handlers.length).toBeGreaterThan(0);
    expect(handlers.filter(({ file, text }) => file !== EDGE && /callback\(/.test(text)).map(({ file }) => file)).toEqual([]);
  });

  it('no mutable send record is passed down: results carry the facts', () => {
    expect(offenders(/\bSendRecord\b/)).toEqual([]);
  });
});
