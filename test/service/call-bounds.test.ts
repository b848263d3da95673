import { EventEmitter } from 'node:events';
import type { ServerSurfaceCall } from '@grpc/grpc-js/build/src/server-call';
import { describe, expect, it } from 'vitest';
import { callBounds } from '../../src/service/call-bounds';

/** Just what callBounds reads of a grpc-js server call: the 'cancelled' event, `cancelled`, the deadline. */
function fakeCall(deadline: number | Date = Infinity): EventEmitter & { cancelled: boolean; cancel(): void } {
  const call = Object.assign(new EventEmitter(), {
    cancelled: false,
    getDeadline: () => deadline,
    cancel() {
      call.cancelled = true;
      call.emit('cancelled', 'cancelled');
    },
  });
  return call;
}

const asCall = (c: ReturnType<typeof fakeCall>) => c as unknown as ServerSurfaceCall;

describe('callBounds', () => {
  it('gives the deadline as epoch ms, none for an infinite one', () => {
    expect(callBounds(asCall(fakeCall(Infinity))).deadline).toBeUndefined();
    expect(callBounds(asCall(fakeCall(1234))).deadline).toBe(1234);
    expect(callBounds(asCall(fakeCall(new Date(5678)))).deadline).toBe(5678);
  });

  it('subscribes to the call only once listeners come, once for all of them, and fires each once', () => {
    const call = fakeCall();
    const signal = callBounds(asCall(call)).signal!;
    expect(call.listenerCount('cancelled')).toBe(0);
    const fired: string[] = [];
    const a = () => fired.push('a');
    const b = () => fired.push('b');
    const c = () => fired.push('c');
    signal.addEventListener('abort', a);
    signal.addEventListener('abort', b);
    signal.addEventListener('abort', c);
    expect(call.listenerCount('cancelled')).toBe(1);
    signal.removeEventListener('abort', b);
    expect(signal.aborted).toBe(false);
    call.cancel();
    call.emit('cancelled', 'again');
    expect(signal.aborted).toBe(true);
    expect(fired).toEqual(['a', 'c']);
  });

  it('a listener added after the cancellation never runs (callers check `aborted` first)', () => {
    const call = fakeCall();
    const signal = callBounds(asCall(call)).signal!;
    call.cancel();
    let fired = false;
    signal.addEventListener('abort', () => (fired = true));
    expect(signal.aborted).toBe(true);
    expect(fired).toBe(false);
  });

  it('dispose unsubscribes from the call', () => {
    const call = fakeCall();
    const bounds = callBounds(asCall(call));
    let fired = false;
    bounds.signal!.addEventListener('abort', () => (fired = true));
    bounds.dispose();
    expect(call.listenerCount('cancelled')).toBe(0);
    call.cancel();
    expect(fired).toBe(false);
  });
});
