// A fake Graph API (node:http) that misbehaves on demand, for the fault-injection suites.
// The behaviour of a request is chosen by its recipient id (`{"recipient":{"id":"<fault>"}}`),
// so one fake serves a whole suite and a gateway can be checked to keep serving afterwards;
// any other recipient id gets a normal answer. Every timer and socket the fake holds is
// released when the client goes away, so that leak checks measure the gateway, not the fake.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { waitFor } from '../support/wait-for';

/** What the fake does with a request, keyed by the recipient id that asks for it. */
export type Fault =
  /** Never answers. */
  | 'hang'
  /** Headers after `slowMs` (default 5 s), then a normal body. */
  | 'slow-headers'
  /** Headers at once, then the JSON body one byte every 100 ms (over `slowMs`, default 5 s). */
  | 'slow-body'
  /** A normal answer, headers and body each delayed by `slowMs` / 2 (within a deadline). */
  | 'slow-ok'
  /** 200 with Content-Length 400, 20 bytes of body, then a TCP reset. */
  | 'reset-mid-body'
  /** 502 with an HTML page (a proxy's error, no Graph error body). */
  | 'html-502'
  /** 200 whose body is not JSON. */
  | 'invalid-json'
  /** 200 with a 10 MB body; pauses after 2 MiB to see whether the client gives up. */
  | 'huge-body'
  /** Graph error 613 with the usage headers (estimated_time_to_regain_access 7 minutes). */
  | 'error-613'
  /** Graph error 1200 (temporary send failure), HTTP 500. */
  | 'error-1200';

export const FAULTS: readonly Fault[] = [
  'hang', 'slow-headers', 'slow-body', 'slow-ok', 'reset-mid-body', 'html-502', 'invalid-json', 'huge-body', 'error-613', 'error-1200',
];

/** 10 MB, the size of the huge answer. */
export const HUGE_BODY_BYTES = 10 * 1000 * 1000;
/** Where the huge answer pauses, waiting for the client to hang up. */
export const HUGE_PAUSE_AFTER = 2 * 1024 * 1024;
/** The regain estimate the 613 answer carries, in minutes (Graph's unit). */
export const REGAIN_MINUTES = 7;

/** What happened to one huge answer. */
export interface HugeBodyReport {
  /** Bytes handed to the socket before the client closed the connection. */
  bytesWritten: number;
  /** Whether the client closed the connection during the pause (it stopped reading at its cap). */
  closedDuringPause: boolean;
  /** Whether the whole 10 MB were written. */
  completed: boolean;
}

export interface FaultGraph {
  url: string;
  /** Requests received: path, recipient id, and whether their connection or answer has closed. */
  requests: { path: string; recipient: string | undefined; closed: boolean }[];
  /** Sockets currently open on the server side. */
  openSockets(): number;
  /** Resolves true once every server-side socket has closed, or false after `ms`. */
  socketsDrained(ms: number): Promise<boolean>;
  /** Resolves true once every request for `recipient` has closed (answered or abandoned), or false after `ms`. */
  requestsClosed(recipient: string, ms: number): Promise<boolean>;
  /** The report of each huge answer, once its connection closed. */
  hugeReports: HugeBodyReport[];
  /** Stops listening and closes whatever connections remain. */
  close(): Promise<void>;
}

export interface FaultGraphOptions {
  /** How slow the slow faults are (ms). */
  slowMs?: number;
  /** How long the huge answer waits at its pause before writing the rest (ms). */
  hugePauseMs?: number;
}

/** A reserved-then-freed loopback port: connecting to it is refused. */
export async function refusedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

/** Starts the fake Graph on 127.0.0.1 and a free port. */
export async function startFaultGraph(opts: FaultGraphOptions = {}): Promise<FaultGraph> {
  const slowMs = opts.slowMs ?? 5_000;
  const hugePauseMs = opts.hugePauseMs ?? 3_000;
  const sockets = new Set<Socket>();
  const requests: FaultGraph['requests'] = [];
  const hugeReports: HugeBodyReport[] = [];

  const server = createServer((req, res) => {
    readBody(req)
      .then((text) => {
        const recipient = recipientOf(text);
        const record = { path: req.url ?? '', recipient, closed: false };
        requests.push(record);
        res.once('close', () => (record.closed = true));
        behave(recipient as Fault | undefined, req, res);
      })
      .catch(() => res.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    // A client that hangs up mid-answer sends FIN; Node's server would keep its half open
    // while an answer is pending (a hang, a paused body), which would look like a leak.
    socket.once('end', () => socket.destroy());
  });

  function behave(fault: Fault | undefined, req: IncomingMessage, res: ServerResponse): void {
    // Timers of this answer, cleared as soon as the client goes away.
    const timers: NodeJS.Timeout[] = [];
    const later = (ms: number, fn: () => void): void => {
      timers.push(setTimeout(fn, ms));
    };
    res.once('close', () => timers.forEach(clearTimeout));
    const ok = okBody();

    switch (fault) {
      case 'hang':
        return;
      case 'slow-headers':
        return later(slowMs, () => json(res, 200, ok));
      case 'slow-ok':
        return later(slowMs / 2, () => {
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(ok) });
          res.write(ok.slice(0, 5));
          later(slowMs / 2, () => res.end(ok.slice(5)));
        });
      case 'slow-body': {
        // Leading spaces are valid JSON whitespace: the answer is fine, only slow.
        const text = `${' '.repeat(Math.ceil(slowMs / 100))}${ok}`;
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        let i = 0;
        const tick = () => {
          if (res.destroyed) return;
          if (i >= text.length) return void res.end();
          res.write(text[i++]);
          later(100, tick);
        };
        return tick();
      }
      case 'reset-mid-body':
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '400' });
        res.write('{"recipient_id":"42",');
        return later(50, () => req.socket.resetAndDestroy());
      case 'html-502': {
        const html = '<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>\n';
        res.writeHead(502, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(html) });
        return void res.end(html);
      }
      case 'invalid-json':
        res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' });
        return void res.end('{"recipient_id":"42","message_id":"m_');
      case 'huge-body':
        return hugeBody(res, later);
      case 'error-613': {
        const usage = { call_count: 100, total_cputime: 100, total_time: 100 };
        const buc = { '1001': [{ type: 'messenger', ...usage, estimated_time_to_regain_access: REGAIN_MINUTES }] };
        return json(res, 400, graphError(613, 'Calls to this api have exceeded the rate limit.'), {
          'x-app-usage': JSON.stringify(usage),
          'x-page-usage': JSON.stringify(usage),
          'x-business-use-case-usage': JSON.stringify(buc),
        });
      }
      case 'error-1200':
        return json(res, 500, graphError(1200, 'Temporary send message failure. Please try again later'));
      default:
        return json(res, 200, ok);
    }
  }

  function hugeBody(res: ServerResponse, later: (ms: number, fn: () => void) => void): void {
    const report: HugeBodyReport = { bytesWritten: 0, closedDuringPause: false, completed: false };
    let pausing = false;
    res.once('close', () => {
      report.closedDuringPause = pausing;
      hugeReports.push(report);
    });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(HUGE_BODY_BYTES) });
    // A valid JSON string, so that only its size is wrong with it.
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let paused = false;
    const pump = () => {
      while (!res.destroyed && report.bytesWritten < HUGE_BODY_BYTES) {
        if (!paused && report.bytesWritten >= HUGE_PAUSE_AFTER) {
          paused = true;
          pausing = true;
          return later(hugePauseMs, () => {
            pausing = false;
            pump();
          });
        }
        const n = Math.min(chunk.length, HUGE_BODY_BYTES - report.bytesWritten);
        const piece = report.bytesWritten + n === HUGE_BODY_BYTES ? Buffer.concat([chunk.subarray(0, n - 2), Buffer.from('{}')]) : chunk.subarray(0, n);
        report.bytesWritten += n;
        if (!res.write(piece)) return void res.once('drain', pump);
      }
      if (!res.destroyed) {
        report.completed = true;
        res.end();
      }
    };
    pump();
  }

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    requests,
    hugeReports,
    openSockets: () => sockets.size,
    async socketsDrained(ms) {
      await waitFor(() => sockets.size === 0, { what: 'every socket closed', timeoutMs: ms, intervalMs: 20 }).catch(() => undefined);
      return sockets.size === 0;
    },
    async requestsClosed(recipient, ms) {
      const open = () => requests.some((r) => r.recipient === recipient && !r.closed);
      await waitFor(() => !open(), { what: `the requests for ${recipient} closed`, timeoutMs: ms, intervalMs: 20 }).catch(() => undefined);
      return requests.some((r) => r.recipient === recipient) && !open();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function okBody(): string {
  return JSON.stringify({ recipient_id: '42', message_id: `m_${Math.random().toString(36).slice(2)}` });
}

function graphError(code: number, message: string): string {
  return JSON.stringify({ error: { message: `(#${code}) ${message}`, type: 'OAuthException', code, fbtrace_id: 'AfaultTrace' } });
}

function json(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  if (res.destroyed) return;
  res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function recipientOf(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { recipient?: { id?: unknown } };
    return typeof body.recipient?.id === 'string' ? body.recipient.id : undefined;
  } catch {
    return undefined;
  }
}
