import { WebSocket } from 'undici';

/**
 * A DevTools-protocol session with a process started with `--inspect=127.0.0.1:PORT`, for the
 * leak check: heap used after a full GC is what a leak raises; RSS also moves with the GC's
 * timing and the allocator, by more than a small leak.
 */
export interface InspectorSession {
  /** The inspected process's heap used (MB) right after a full garbage collection. */
  heapAfterGcMb(): Promise<number>;
  close(): void;
}

export async function connectInspector(port: number): Promise<InspectorSession> {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as Array<{ webSocketDebuggerUrl: string }>;
  const ws = new WebSocket(targets[0].webSocketDebuggerUrl);
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve(), { once: true });
    ws.addEventListener('error', () => reject(new Error(`inspector on port ${port}: connection failed`)), { once: true });
  });
  let nextId = 1;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  ws.addEventListener('message', (ev) => {
    const msg = JSON.parse(String(ev.data)) as { id?: number; result?: unknown; error?: { message: string } };
    const p = msg.id === undefined ? undefined : pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id!);
    if (msg.error) p.reject(new Error(msg.error.message));
    else p.resolve(msg.result);
  });
  const call = (method: string, params: object = {}) =>
    new Promise<unknown>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ id, method, params }));
    });
  return {
    async heapAfterGcMb() {
      // Twice: objects freed by the first collection's finalizers go in the second.
      await call('HeapProfiler.collectGarbage');
      await call('HeapProfiler.collectGarbage');
      const r = (await call('Runtime.evaluate', { expression: 'process.memoryUsage().heapUsed', returnByValue: true })) as { result: { value: number } };
      return r.result.value / 2 ** 20;
    },
    close: () => ws.close(),
  };
}
