/**
 * The bounds every layer that works for a call respects (the Graph client, the page limiter,
 * the stores, the send pipeline), in a leaf folder: they are facts of the call, not of any one
 * of those layers, so none has to import another for them.
 */

/**
 * Cancellation as the Graph client, the page limiter and the stores use it: an AbortSignal
 * fits, and so does the gateway's cheaper per-call signal (src/service/call-bounds.ts).
 */
export interface CancelSignal {
  readonly aborted: boolean;
  /** `listener` runs at most once, on abort. */
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** Bounds of one call: the caller's deadline (epoch ms) and cancellation. */
export interface CallBounds {
  deadline?: number;
  signal?: CancelSignal;
}
