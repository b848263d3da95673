import type { IncomingMessage, ServerResponse } from 'node:http';
import type { InboxEvent } from './inbox-types';

/** Comment lines keep idle connections (and proxies) from timing out. */
export const KEEPALIVE_MS = 15_000;
/** A client that reads nothing while this much is queued is dropped, not buffered for. */
const MAX_BUFFERED = 4 * 1024 * 1024;

/** The inbox's server-sent events: every open `GET /api/events` gets each event as one `data:` line. */
export class EventStream {
  private readonly clients = new Set<ServerResponse>();
  private readonly timer: NodeJS.Timeout;

  constructor() {
    this.timer = setInterval(() => this.write(': keep-alive\n\n'), KEEPALIVE_MS);
    this.timer.unref();
  }

  /** Takes over the response: headers, then events until the client goes away. */
  open(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    // The client reconnects after 1 s if the stream breaks.
    res.write('retry: 1000\n\n');
    this.clients.add(res);
    const drop = () => this.clients.delete(res);
    req.once('close', drop);
    res.once('close', drop);
  }

  send(event: InboxEvent): void {
    this.write(`data: ${JSON.stringify(event)}\n\n`);
  }

  get size(): number {
    return this.clients.size;
  }

  close(): void {
    clearInterval(this.timer);
    for (const res of this.clients) res.end();
    this.clients.clear();
  }

  private write(text: string): void {
    for (const res of this.clients) {
      if (res.writableLength > MAX_BUFFERED) {
        res.destroy();
        this.clients.delete(res);
      } else {
        res.write(text);
      }
    }
  }
}
