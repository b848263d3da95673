import type { IncomingMessage } from 'node:http';

/**
 * What the listener holds of bodies it cannot verify yet (a body is only verified once it is
 * whole), shared by all its requests: their bytes, counted as they arrive, and how many bodies
 * each source address has in progress. A request that sent only its headers holds no bytes,
 * so idle sockets cannot use up the budget; they count against their own source only.
 */
export class BodyBounds {
  /** Bytes of bodies being received, not yet verified. */
  bytes = 0;
  private readonly inProgress = new Map<string, number>();

  constructor(
    readonly maxBytes: number,
    readonly maxPerSource: number,
  ) {}

  /** Whether `source` may start one more body now. */
  mayEnter(source: string): boolean {
    return (this.inProgress.get(source) ?? 0) < this.maxPerSource;
  }

  enter(source: string): void {
    this.inProgress.set(source, (this.inProgress.get(source) ?? 0) + 1);
  }

  leave(source: string): void {
    const left = (this.inProgress.get(source) ?? 1) - 1;
    if (left <= 0) this.inProgress.delete(source);
    else this.inProgress.set(source, left);
  }

  /** Bodies in progress from `source`. */
  of(source: string): number {
    return this.inProgress.get(source) ?? 0;
  }
}

/**
 * How reading a body ended: its bytes, or why there are none (`too-large`: past `maxBodyBytes`,
 * drained; `over-budget`: its next bytes would pass the shared budget; `stalled`: it did not
 * start or stopped moving; `aborted`: the client went away).
 */
export type BodyRead = Buffer | 'too-large' | 'over-budget' | 'stalled' | 'aborted';

/** Reads a whole body within `maxBytes`, the shared budget and the stall timeout. */
export function readBody(req: IncomingMessage, maxBytes: number, bounds: BodyBounds, stallMs: number): Promise<BodyRead> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let kept = 0;
    let over = false;
    let settled = false;
    const settle = (result: BodyRead) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      bounds.bytes -= kept;
      kept = 0;
      resolve(result);
    };
    // Meta sends a body at once: one that does not start, or stops, within stallMs is no webhook.
    const timer = setTimeout(settle, stallMs, 'stalled');
    req.on('data', (chunk: Buffer) => {
      if (settled) return;
      timer.refresh();
      size += chunk.length;
      if (over) return; // keep draining, keep nothing
      if (size > maxBytes) {
        over = true;
        bounds.bytes -= kept;
        kept = 0;
        chunks.length = 0;
        return;
      }
      if (bounds.bytes + chunk.length > bounds.maxBytes) return settle('over-budget');
      chunks.push(chunk);
      kept += chunk.length;
      bounds.bytes += chunk.length;
    });
    req.on('end', () => settle(over ? 'too-large' : Buffer.concat(chunks)));
    req.on('aborted', () => settle('aborted'));
    req.on('error', () => settle('aborted'));
    req.on('close', () => settle('aborted'));
    if (req.destroyed) settle('aborted');
  });
}
