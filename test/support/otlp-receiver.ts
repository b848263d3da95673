import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A minimal OTLP/HTTP receiver: no collector package exists here, and a real HTTP endpoint is all the exporter needs. */
export async function otlpHttpReceiver(): Promise<{ url: string; bodies: Map<string, string[]>; raw: Map<string, Buffer[]>; server: HttpServer }> {
  const bodies = new Map<string, string[]>();
  const raw = new Map<string, Buffer[]>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      bodies.set(req.url!, [...(bodies.get(req.url!) ?? []), body.toString('utf8')]);
      raw.set(req.url!, [...(raw.get(req.url!) ?? []), body]);
      // An empty ExportTraceServiceResponse, in the encoding of the request.
      if ((req.headers['content-type'] ?? '').includes('protobuf')) res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies, raw, server };
}

/** The spans of every `/v1/traces` body an http/json exporter sent. */
export function exportedSpans(bodies: Map<string, string[]>): OtlpSpan[] {
  return (bodies.get('/v1/traces') ?? []).flatMap((b) => (JSON.parse(b) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }> }).resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)));
}

/** A span as OTLP/JSON carries it (the fields tests look at). */
export interface OtlpSpan { traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number }

/** The receiver with its spans read on demand (what the polyglot interop test uses). */
export async function otlpReceiver(): Promise<{ url: string; spans: () => OtlpSpan[]; server: HttpServer }> {
  const rx = await otlpHttpReceiver();
  return { url: rx.url, spans: () => exportedSpans(rx.bodies), server: rx.server };
}
