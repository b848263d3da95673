/**
 * A tiny OTLP/HTTP receiver: accepts POST /v1/traces and /v1/metrics (protobuf or JSON),
 * counts requests, bytes and spans. `GET /stats` returns the counts. Prints {"ready":true,"port":N}.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const stats = { traceRequests: 0, metricRequests: 0, bytes: 0, spans: 0 };

function varint(b: Buffer, pos: number): [number, number] {
  let v = 0;
  let shift = 0;
  for (;;) {
    const byte = b[pos++];
    v += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return [v, pos];
    shift += 7;
  }
}

/** Calls `each` for every length-delimited field `field` of the message in b[start, end). */
function fields(b: Buffer, start: number, end: number, field: number, each: (s: number, e: number) => void): void {
  let pos = start;
  while (pos < end) {
    let tag;
    [tag, pos] = varint(b, pos);
    const wire = tag & 7;
    if (wire === 0) [, pos] = varint(b, pos);
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      let len;
      [len, pos] = varint(b, pos);
      if (tag >>> 3 === field) each(pos, pos + len);
      pos += len;
    } else return;
  }
}

/** ExportTraceServiceRequest.resource_spans(1).scope_spans(2).spans(2) */
function countSpansProto(b: Buffer): number {
  let n = 0;
  fields(b, 0, b.length, 1, (rs, re) => fields(b, rs, re, 2, (ss, se) => fields(b, ss, se, 2, () => n++)));
  return n;
}

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats));
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    stats.bytes += body.length;
    if (req.url === '/v1/traces') {
      stats.traceRequests++;
      try {
        if ((req.headers['content-type'] ?? '').includes('json')) stats.spans += body.toString('utf8').split('"spanId"').length - 1;
        else stats.spans += countSpansProto(body);
      } catch {
        /* counting is best effort */
      }
    } else if (req.url === '/v1/metrics') stats.metricRequests++;
    const json = (req.headers['content-type'] ?? '').includes('json');
    res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' }).end(json ? '{}' : '');
  });
});
server.keepAliveTimeout = 120_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ ready: true, port: (server.address() as AddressInfo).port })}\n`);
});
process.once('SIGTERM', () => process.exit(0));
