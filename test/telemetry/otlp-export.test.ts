import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, Metadata, Server, ServerCredentials, type ServiceError } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { MessengerServiceClient, SendMessageRequest, type SendMessageResponse } from '../../gen/messenger/v1/service';
import { textTo } from '../support/gateway-harness';
import { otlpHttpReceiver } from '../support/otlp-receiver';
import { readTraceRequest } from '../support/otlp-proto-reader';
import { spawnGateway, type GatewayProcess, killGateway } from '../support/gateway-process';

const TOKEN = 'EAAB-otlp-e2e-secret-token-77';
const SECRET = 'otlp-e2e-app-secret';
const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const PARENT = 'b7ad6b7169203331';

/** A minimal OTLP/gRPC receiver: TraceService/Export with raw bytes in and an empty response out. */
async function otlpGrpcReceiver(): Promise<{ url: string; bodies: Buffer[]; server: Server }> {
  const bodies: Buffer[] = [];
  const server = new Server();
  const raw = (b: Buffer) => b;
  server.addService(
    { Export: { path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export', requestStream: false, responseStream: false, requestSerialize: raw, requestDeserialize: raw, responseSerialize: raw, responseDeserialize: raw } },
    { Export: (call: { request: Buffer }, cb: (e: null, r: Buffer) => void) => { bodies.push(call.request); cb(null, Buffer.alloc(0)); } },
  );
  const port = await new Promise<number>((r, j) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? j(e) : r(p))));
  return { url: `http://127.0.0.1:${port}`, bodies, server };
}

function sendWithTraceparent(target: string, recipient: string): Promise<SendMessageResponse | ServiceError> {
  const client = new MessengerServiceClient(target, credentials.createInsecure());
  const md = new Metadata();
  md.set('traceparent', `00-${TRACE_ID}-${PARENT}-01`);
  return new Promise((resolve) =>
    client.sendMessage(SendMessageRequest.fromPartial(textTo(recipient)), md, { deadline: Date.now() + 10_000 }, (err: ServiceError | null, res?: SendMessageResponse) => {
      client.close();
      resolve(err ?? res!);
    }),
  );
}

function configWithSecrets(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gw-otlp-'));
  const file = join(dir, 'gateway.json');
  writeFileSync(file, JSON.stringify({ sandbox: true, pages: [{ id: '1001', accessToken: '${T}', appSecret: '${S}' }] }));
  return file;
}

interface OtlpSpan { traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number; attributes: Array<{ key: string; value: Record<string, unknown> }> }
interface OtlpTraces { resourceSpans: Array<{ resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> }; scopeSpans: Array<{ spans: OtlpSpan[] }> }> }

let proc: GatewayProcess | undefined;
afterEach(async () => {
  await killGateway(proc);
  proc = undefined;
});

describe('OTLP export from the gateway process', () => {
  it('OTLP/HTTP: setting the endpoint is enough; spans arrive with the service name and the caller as parent, and no secret', async () => {
    const rx = await otlpHttpReceiver();
    proc = await spawnGateway(['--config', configWithSecrets()], {
      T: TOKEN, S: SECRET,
      OTEL_EXPORTER_OTLP_ENDPOINT: rx.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'gateway-e2e',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_METRIC_EXPORT_INTERVAL: '500',
    });
    expect(await sendWithTraceparent(proc.target, '1')).toMatchObject({ messageId: expect.stringMatching(/^m_/) });
    expect(await sendWithTraceparent(proc.target, 'error-613')).toMatchObject({ code: 8 });
    proc.child.kill('SIGTERM'); // flushes the batch processor and the metric reader
    expect(await proc.exited).toBe(0);

    const traces = (rx.bodies.get('/v1/traces') ?? []).map((b) => JSON.parse(b) as OtlpTraces);
    const resources = traces.flatMap((t) => t.resourceSpans);
    expect(resources.length).toBeGreaterThan(0);
    for (const r of resources) expect(r.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue).toBe('gateway-e2e');
    const spans = resources.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
    const servers = spans.filter((s) => s.name === 'grpc.messenger.v1.MessengerService/SendMessage');
    expect(servers).toHaveLength(2);
    for (const server of servers) {
      expect(server.traceId).toBe(TRACE_ID);
      expect(server.parentSpanId).toBe(PARENT);
      const child = spans.find((s) => s.parentSpanId === server.spanId);
      expect(child?.name).toBe('POST');
      expect(child?.traceId).toBe(TRACE_ID);
    }
    expect((rx.bodies.get('/v1/metrics') ?? []).join('')).toContain('messenger.gateway.sends');

    const everything = [...rx.bodies.values()].flat().join('\n') + proc.stdout.join('\n') + proc.stderr.join('');
    for (const secret of [TOKEN, SECRET]) expect(everything).not.toContain(secret);
    rx.server.close();
  });

  it('OTLP/HTTP protobuf, the default protocol (the gateway\'s own serializer): the spans decode, with the caller as parent, the attributes, and no secret', async () => {
    const rx = await otlpHttpReceiver();
    proc = await spawnGateway(['--config', configWithSecrets()], {
      T: TOKEN, S: SECRET,
      OTEL_EXPORTER_OTLP_ENDPOINT: rx.url,
      OTEL_SERVICE_NAME: 'gateway-e2e-proto',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_BSP_SCHEDULE_DELAY: '100',
    });
    expect(await sendWithTraceparent(proc.target, '1')).toMatchObject({ messageId: expect.stringMatching(/^m_/) });
    expect(await sendWithTraceparent(proc.target, 'error-613')).toMatchObject({ code: 8 });
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);

    const bodies = rx.raw.get('/v1/traces') ?? [];
    expect(bodies.length).toBeGreaterThan(0);
    const resources = bodies.flatMap(readTraceRequest);
    for (const r of resources) expect(r.resource['service.name']).toBe('gateway-e2e-proto');
    const spans = resources.flatMap((r) => r.spans);
    const servers = spans.filter((s) => s.name === 'grpc.messenger.v1.MessengerService/SendMessage');
    expect(servers).toHaveLength(2);
    for (const server of servers) {
      expect(server).toMatchObject({ traceId: TRACE_ID, parentSpanId: PARENT, kind: 2 /* SERVER */ });
      expect(server.attributes).toMatchObject({ 'rpc.system': 'grpc', 'rpc.method': 'SendMessage', 'messenger.page.id': '1001' });
      const child = spans.find((s) => s.parentSpanId === server.spanId);
      expect(child).toMatchObject({ name: 'POST', traceId: TRACE_ID, kind: 3 /* CLIENT */ });
    }
    expect(servers.map((s) => s.attributes['messenger.graph.error.code']).sort()).toEqual([613, undefined]);
    const everything = Buffer.concat([...bodies, Buffer.from(proc.stdout.join('\n') + proc.stderr.join(''))]);
    for (const secret of [TOKEN, SECRET]) expect(everything.includes(Buffer.from(secret))).toBe(false);
    rx.server.close();
  });

  it('OTLP/gRPC works too', async () => {
    const rx = await otlpGrpcReceiver();
    proc = await spawnGateway([], {
      OTEL_EXPORTER_OTLP_ENDPOINT: rx.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_SERVICE_NAME: 'gateway-e2e-grpc',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_BSP_SCHEDULE_DELAY: '100',
    });
    await sendWithTraceparent(proc.target, '1');
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
    const all = Buffer.concat(rx.bodies);
    expect(all.length).toBeGreaterThan(0);
    expect(all.includes(Buffer.from('gateway-e2e-grpc'))).toBe(true);
    expect(all.includes(Buffer.from(TRACE_ID, 'hex'))).toBe(true);
    expect(all.includes(Buffer.from('grpc.messenger.v1.MessengerService/SendMessage'))).toBe(true);
    rx.server.forceShutdown();
  });
});
