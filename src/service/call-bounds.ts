import type { ServerSurfaceCall } from '@grpc/grpc-js/build/src/server-call';
import type { CallBounds } from '../graph/graph-client';

/** The caller's deadline and cancellation, as bounds for the Graph call. */
export function callBounds(call: ServerSurfaceCall): CallBounds & { dispose(): void } {
  const controller = new AbortController();
  const onCancel = () => controller.abort();
  call.once('cancelled', onCancel);
  const d = call.getDeadline();
  const deadline = typeof d === 'number' ? (Number.isFinite(d) ? d : undefined) : d.getTime();
  return { deadline, signal: controller.signal, dispose: () => call.removeListener('cancelled', onCancel) };
}
