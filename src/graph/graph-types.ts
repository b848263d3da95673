/**
 * The types the Graph client shares with the layers that call it (delivery, service, errors),
 * in one module that imports nothing of the gateway's: so nothing that needs a GraphOutcome has
 * to import the client, and no cycle can form through it. A call's bounds are in src/call/bounds.ts.
 */
import type { GraphError } from '../../gen/messenger/v1/errors';
import type { GraphUsage } from './usage-headers';

/** Everything a Graph call can end with; mapped to a Failure by src/errors/upstream-failure.ts. */
export type GraphOutcome =
  | { kind: 'ok'; status: number; body: Record<string, unknown>; usage?: GraphUsage }
  | { kind: 'graph-error'; status: number; error: GraphError; usage?: GraphUsage }
  /** A non-2xx answer without a Graph error envelope (a proxy's 502 page, say). */
  | { kind: 'http-error'; status: number; usage?: GraphUsage }
  | { kind: 'bad-response'; status: number; detail: string }
  /** No answer: `maybeDelivered` is false only when the request certainly never left. */
  | { kind: 'unreachable'; detail: string; maybeDelivered: boolean }
  | { kind: 'timeout'; timeoutMs: number; maybeDelivered: boolean }
  | { kind: 'cancelled' };

export type GraphFailureOutcome = Exclude<GraphOutcome, { kind: 'ok' }>;

/** A file streamed to Graph as the multipart `filedata` part. */
export interface FilePart {
  filename: string;
  contentType: string;
  /** Known size lets the request carry Content-Length instead of chunked encoding. */
  size?: number;
  data: AsyncIterable<Uint8Array>;
}
