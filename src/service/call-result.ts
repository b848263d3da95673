import type { Failure } from '../errors/failure';

/**
 * What a handler (or the Graph-call core) hands back to the RPC edge (rpc-edge.ts): the answer
 * or the failure, and the facts the call's log line and span report. The facts travel here, in
 * the result, and nowhere else: no handler fills a record passed down to it.
 */
export type CallResult<Res> = (
  | { readonly ok: true; readonly response: Res }
  | { readonly ok: false; readonly failure: Failure }
) & CallFacts;

export interface CallFacts {
  /** Answered from the idempotency store (the answer carries the replay trailer). */
  readonly replayed: boolean;
  /** Graph calls made again after the first attempt. */
  readonly resends?: number;
  /** Bytes of a streamed upload read from the client. */
  readonly bytes?: number;
  /** The Page acted for, when the request names it only after the call began (an upload's first message). */
  readonly page?: string;
}

/** A failed result with no other fact. */
export function failed(failure: Failure, replayed = false): CallResult<never> {
  return { ok: false, failure, replayed };
}
