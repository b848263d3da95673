import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A minimal OTLP/HTTP receiver: no collector package exists here, and a real HTTP endpoint is all the exporter needs. */
export async function otlpHttpReceiver(): Promise<{ url: string; bodies: Map<string, string[]>; server: HttpServer }> {
  const bodies = new Map<string, string[]>();
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      bodies.set(req.url!, [...(bodies.get(req.url!) ?? []), body]);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies, server };
}

/** The spans of every `/v1/traces` body an http/json exporter sent. */
export function exportedSpans(bodies: Map<string, string[]>): OtlpSpan[] {
  return (bodies.get('/v1/traces') ?? []).flatMap((b) => (JSON.parse(b) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }> }).resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)));
}

/** A span as OTLP/JSON carries it (the fields tests look at). */
export interface OtlpSpan { traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number }
