import type { IncomingMessage, ServerResponse } from 'node:http';

/** The small JSON bodies of the sandbox's and the inbox's own APIs: at most this many bytes. */
export const MAX_JSON_BODY = 64 * 1024;

/** Reads a request's JSON body (bounded), or says why it could not. */
export function readJsonBody(req: IncomingMessage, max = MAX_JSON_BODY): Promise<{ ok: true; value: unknown } | { ok: false; why: string }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= max) chunks.push(c);
    });
    req.on('end', () => {
      if (size > max) return resolve({ ok: false, why: `body larger than ${max} bytes` });
      try {
        resolve({ ok: true, value: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown });
      } catch {
        resolve({ ok: false, why: 'the body is not JSON' });
      }
    });
    req.on('error', () => resolve({ ok: false, why: 'the request failed' }));
  });
}

/** A JSON answer, never cached. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}
