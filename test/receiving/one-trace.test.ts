import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { EventServiceClient, StartPosition, type StreamEventsResponse } from '../../gen/messenger/v1/events';
import { MessengerServiceClient, SendMessageRequest, type SendMessageResponse } from '../../gen/messenger/v1/service';
import { SANDBOX_WEBHOOK } from '../../src/config/gateway-config';
import { request } from 'undici';
import { customerWebhookBody } from '../../src/sandbox/customer-webhook';
import { signBody } from '../../src/webhook/verify-signature';
import { textTo } from '../support/gateway-harness';
import { exportedSpans, otlpHttpReceiver } from '../support/otlp-receiver';
import { spawnGateway, type GatewayProcess, killGateway } from '../support/gateway-process';

// The customer's message, the webhook, the consumer and the reply in one trace: the consumer
// passes the event's traceparent on with its SendMessage, and the gateway's server span of the
// reply is a child of the webhook's span.
let proc: GatewayProcess | undefined;
afterEach(async () => {
  await killGateway(proc);
  proc = undefined;
});

describe('one trace from the customer to the reply', () => {
  it("the reply's server span is a child of the webhook's span, through the event's traceparent", async () => {
    const rx = await otlpHttpReceiver();
    proc = await spawnGateway([], { OTEL_EXPORTER_OTLP_ENDPOINT: rx.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_METRICS_EXPORTER: 'none', OTEL_BSP_SCHEDULE_DELAY: '100' });
    const ready = proc.stdout.map((l) => JSON.parse(l) as { msg: string; webhook?: string }).find((l) => l.msg === 'gateway ready');
    expect(ready?.webhook).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/webhook$/);

    const events = new EventServiceClient(proc.target, credentials.createInsecure());
    const call = events.streamEvents(new Metadata());
    const first = new Promise<StreamEventsResponse>((resolve) => call.once('data', resolve));
    call.on('error', () => undefined);
    call.write({ subscribe: { consumerGroup: 'trace', pageIds: [], maxOutstanding: 0, start: StartPosition.START_POSITION_EARLIEST, startTime: undefined }, ack: undefined, nack: undefined });
    // A traceparent from the internet is not trusted: the webhook's span starts its own trace.
    const forged = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const body = customerWebhookBody({ pageId: '1001', psid: '4242', text: 'hi' });
    const posted = await request(ready!.webhook!, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(body, SANDBOX_WEBHOOK.appSecret), traceparent: forged } });
    expect(posted.statusCode).toBe(200);
    await posted.body.text();
    const { event } = await first;
    expect(event?.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const [, traceId, webhookSpan] = event!.traceparent.split('-');

    // The consumer's reply, with the event's context passed on.
    const messenger = new MessengerServiceClient(proc.target, credentials.createInsecure());
    const md = new Metadata();
    md.set('traceparent', event!.traceparent);
    const reply = await new Promise<SendMessageResponse | ServiceError>((resolve) =>
      messenger.sendMessage(SendMessageRequest.fromPartial(textTo('4242', 'echo: hi')), md, { deadline: Date.now() + 10_000 }, (err: ServiceError | null, res?: SendMessageResponse) => resolve(err ?? res!)),
    );
    expect(reply).toMatchObject({ messageId: expect.stringMatching(/^m_/) });
    call.write({ subscribe: undefined, ack: { eventIds: [event!.eventId] }, nack: undefined });
    call.cancel();
    events.close();
    messenger.close();
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);

    const spans = exportedSpans(rx.bodies);
    const webhook = spans.find((s) => s.name === 'POST /webhook');
    expect(webhook).toMatchObject({ traceId, spanId: webhookSpan });
    expect(traceId).not.toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(webhook?.parentSpanId ?? '').toBe('');
    const send = spans.find((s) => s.name === 'grpc.messenger.v1.MessengerService/SendMessage');
    expect(send).toMatchObject({ traceId, parentSpanId: webhookSpan });
    const graph = spans.find((s) => s.parentSpanId === send!.spanId);
    expect(graph).toMatchObject({ name: 'POST', traceId });
    rx.server.close();
  });
});
