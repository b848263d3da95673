import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { EventServiceClient, StartPosition, type StreamEventsResponse } from '../../gen/messenger/v1/events';
import { MessengerServiceClient, SendMessageRequest, type SendMessageResponse } from '../../gen/messenger/v1/service';
import { SANDBOX_WEBHOOK } from '../../src/config/gateway-config';
import { customerWebhookBody, postWebhook } from '../../src/sandbox/customer-webhook';
import { textTo } from '../support/gateway-harness';
import { spawnGateway, type GatewayProcess } from '../support/gateway-process';
import { otlpReceiver } from '../support/otlp-receiver';

// The customer's message, the webhook, the consumer and the reply in one trace: the consumer
// passes the event's traceparent on with its SendMessage, and the gateway's server span of the
// reply is a child of the webhook's span.
let proc: GatewayProcess | undefined;
afterEach(async () => {
  if (proc && proc.child.exitCode === null) {
    proc.child.kill('SIGKILL');
    await proc.exited;
  }
  proc = undefined;
});

describe('one trace from the customer to the reply', () => {
  it("the reply's server span is a child of the webhook's span, through the event's traceparent", async () => {
    const rx = await otlpReceiver();
    proc = await spawnGateway([], { OTEL_EXPORTER_OTLP_ENDPOINT: rx.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_METRICS_EXPORTER: 'none', OTEL_BSP_SCHEDULE_DELAY: '100' });
    const ready = proc.stdout.map((l) => JSON.parse(l) as { msg: string; webhook?: string }).find((l) => l.msg === 'gateway ready');
    expect(ready?.webhook).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/webhook$/);

    const events = new EventServiceClient(proc.target, credentials.createInsecure());
    const call = events.streamEvents(new Metadata());
    const first = new Promise<StreamEventsResponse>((resolve) => call.once('data', resolve));
    call.on('error', () => undefined);
    call.write({ subscribe: { consumerGroup: 'trace', pageIds: [], maxOutstanding: 0, start: StartPosition.START_POSITION_EARLIEST, startTime: undefined }, ack: undefined, nack: undefined });
    expect((await postWebhook(ready!.webhook!, SANDBOX_WEBHOOK.appSecret, customerWebhookBody({ pageId: '1001', psid: '4242', text: 'hi' }))).status).toBe(200);
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

    const spans = rx.spans();
    const webhook = spans.find((s) => s.name === 'POST /webhook');
    expect(webhook).toMatchObject({ traceId, spanId: webhookSpan });
    const send = spans.find((s) => s.name === 'grpc.messenger.v1.MessengerService/SendMessage');
    expect(send).toMatchObject({ traceId, parentSpanId: webhookSpan });
    const graph = spans.find((s) => s.parentSpanId === send!.spanId);
    expect(graph).toMatchObject({ name: 'POST', traceId });
    rx.server.close();
  });
});
