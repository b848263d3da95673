import type { Deadline } from '@grpc/grpc-js';
import type { CallBounds, CancelSignal } from '../call/bounds';

/** What callBounds needs of a grpc-js server call (any of unary, stream, duplex). */
export interface CancellableCall {
  readonly cancelled: boolean;
  once(event: 'cancelled', listener: () => void): unknown;
  removeListener(event: 'cancelled', listener: () => void): unknown;
  getDeadline(): Deadline;
}

/**
 * A gRPC call's cancellation as a CancelSignal. Not an AbortController: creating one per call
 * cost ~4% of a send's CPU in the benchmark profile; this subscribes to the call only when a
 * listener is first added, and one subscription serves every send of a bulk stream.
 */
class CallCancelSignal implements CancelSignal {
  private listeners: Set<() => void> | undefined;
  private readonly fire = () => {
    const listeners = this.listeners;
    this.listeners = undefined;
    if (listeners) for (const listener of listeners) listener();
  };

  constructor(private readonly call: CancellableCall) {}

  get aborted(): boolean {
    return this.call.cancelled;
  }

  addEventListener(_type: 'abort', listener: () => void): void {
    if (this.call.cancelled) return;
    if (!this.listeners) {
      this.listeners = new Set();
      this.call.once('cancelled', this.fire);
    }
    this.listeners.add(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    this.listeners?.delete(listener);
  }

  dispose(): void {
    if (!this.listeners) return;
    this.listeners = undefined;
    this.call.removeListener('cancelled', this.fire);
  }
}

/**
 * How long before the caller's deadline the gateway answers with its own status: 250 ms, or a fifth
 * of the time left when the call is shorter than 1.25 s. Without it the caller's own library would
 * fire DEADLINE_EXCEEDED first, and the gateway's typed answer (GRAPH_TIMEOUT with maybe_delivered,
 * IDEMPOTENT_SEND_IN_FLIGHT, PAGE_RATE_LIMITED) would reach only the log.
 */
export const DEADLINE_MARGIN_MS = 250;

/** The caller's deadline (less the margin) and cancellation, as bounds for the work of the call. */
export function callBounds(call: CancellableCall): CallBounds & { dispose(): void } {
  const signal = new CallCancelSignal(call);
  const d = call.getDeadline();
  let deadline = typeof d === 'number' ? (Number.isFinite(d) ? d : undefined) : d.getTime();
  if (deadline !== undefined) deadline -= Math.min(DEADLINE_MARGIN_MS, Math.max(0, (deadline - Date.now()) / 5));
  return { deadline, signal, dispose: () => signal.dispose() };
}
