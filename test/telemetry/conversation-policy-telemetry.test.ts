import { spanExporter, metricReader, metricExporter } from './setup-in-memory-tracing';
import { SpanKind } from '@opentelemetry/api';
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grpcError, startTestGateway, textTo, type TestGateway } from '../support/gateway-harness';
import { waitFor } from '../support/wait-for';

// The conversation policy's facts on the send's server span, the refused/warned counter and the
// closing-windows gauge, as exported.
const SECRET = 'policy-telemetry-secret';
const HOUR = 3_600_000;
let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({
    pages: [{ id: '1001', accessToken: 't1', appsecretProof: 'classic' }, { id: '1002', accessToken: 't2', appsecretProof: 'classic', conversationPolicy: 'warn' }],
    extra: { webhook: { listen: '127.0.0.1:0', path: '/webhook', verifyToken: 'v', appSecret: SECRET, maxBodyBytes: 1024 * 1024 } },
  });
});
afterAll(() => gw?.close());

async function wrote(pageId: string, psid: string, agoMs: number): Promise<void> {
  const raw = Buffer.from(JSON.stringify({ object: 'page', entry: [{ id: pageId, time: Date.now(), messaging: [{ sender: { id: psid }, recipient: { id: pageId }, timestamp: Date.now() - agoMs, message: { mid: `m_tel_${pageId}_${psid}`, text: 'hi' } }] }] }));
  const res = await fetch(gw.gateway.webhookUrl!, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(raw).digest('hex')}` }, body: raw });
  await res.text();
  expect(res.status).toBe(200);
}

const sendSpans = () => spanExporter.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER && s.name === 'grpc.messenger.v1.MessengerService/SendMessage');

describe('conversation policy telemetry', () => {
  it('spans say refused, warned or unknown; the counter counts refused and warned by reason; the gauge counts windows closing within the hour', async () => {
    await wrote('1001', '9001', 25 * HOUR);
    await wrote('1002', '9002', 25 * HOUR);
    await wrote('1001', '9003', 23.5 * HOUR);
    spanExporter.reset();
    await grpcError(gw.send(textTo('9001', 'late', '1001')));
    // warn: it goes out, and the sandbox (which enforces Meta's windows) refuses it as Meta would.
    await grpcError(gw.send(textTo('9002', 'late', '1002')));
    await gw.send(textTo('9999', 'first contact', '1001'));
    const spans = await waitFor(() => (sendSpans().length === 3 ? sendSpans() : undefined), { what: 'three SendMessage spans' });
    const byRecipient = (page: string, decision: string) => spans.find((s) => s.attributes['messenger.page.id'] === page && s.attributes['messenger.conversation.decision'] === decision);
    expect(byRecipient('1001', 'refused')?.attributes).toMatchObject({ 'messenger.conversation.policy': 'enforce', 'messenger.conversation.allowed': 'human-agent', 'messenger.error.reason': 'OUTSIDE_MESSAGING_WINDOW' });
    expect(byRecipient('1002', 'warned')?.attributes).toMatchObject({ 'messenger.conversation.policy': 'warn' });
    expect(byRecipient('1001', 'unknown')?.attributes).toMatchObject({ 'messenger.conversation.policy': 'enforce', 'messenger.conversation.allowed': 'unknown' });

    await metricReader.forceFlush();
    const metrics = metricExporter.getMetrics().flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics));
    type Point = { attributes: Record<string, unknown>; value: unknown };
    const points = (name: string): Point[] => metrics.filter((m) => m.descriptor.name === name).flatMap((m) => m.dataPoints as Point[]);
    const policy = points('messenger.conversation.policy.sends');
    expect(policy.some((p) => p.attributes['messenger.page.id'] === '1001' && p.attributes['messenger.conversation.decision'] === 'refused' && p.attributes['messenger.error.reason'] === 'OUTSIDE_MESSAGING_WINDOW')).toBe(true);
    expect(policy.some((p) => p.attributes['messenger.page.id'] === '1002' && p.attributes['messenger.conversation.decision'] === 'warned')).toBe(true);
    const closing = points('messenger.conversation.windows_closing');
    expect(closing.find((p) => p.attributes['messenger.page.id'] === '1001')?.value).toBe(1);
  });
});
