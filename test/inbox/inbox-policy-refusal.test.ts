// A send the conversation policy refused before Graph shows in the sandbox inbox in place, as a
// send Graph refused does (the sandbox never saw it).
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { InboxConversation, InboxSummary } from '../../src/inbox/inbox-types';
import { grpcError, startTestGateway, textTo, type TestGateway } from '../support/gateway-harness';

const SECRET = 'inbox-policy-secret';
let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ extra: { inbox: { listen: '127.0.0.1:0' }, webhook: { listen: '127.0.0.1:0', path: '/webhook', verifyToken: 'v', appSecret: SECRET, maxBodyBytes: 1024 * 1024 } } });
});
afterAll(() => gw?.close());

it('a RESPONSE refused as outside the window is an item of its conversation, with the refusal', async () => {
  const raw = Buffer.from(JSON.stringify({ object: 'page', entry: [{ id: '1001', time: Date.now(), messaging: [{ sender: { id: '8101' }, recipient: { id: '1001' }, timestamp: Date.now() - 25 * 3_600_000, message: { mid: 'm_inbox_policy', text: 'old' } }] }] }));
  const res = await fetch(gw.gateway.webhookUrl!, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(raw).digest('hex')}` }, body: raw });
  expect(res.status).toBe(200);
  await grpcError(gw.send(textTo('8101', 'too late')));
  const inbox = gw.gateway.inbox!.url;
  const c = (await (await fetch(`${inbox}/api/conversations/1001/8101`)).json()) as InboxConversation;
  const refused = c.items.find((i) => i.from === 'page')!;
  expect(refused.message).toEqual({ text: 'too late' });
  expect(refused.failure).toMatchObject({ grpcCode: 'FAILED_PRECONDITION', reason: 'OUTSIDE_MESSAGING_WINDOW', retried: false, policy: { message: expect.stringContaining('HUMAN_AGENT') } });
  expect(refused.failure!.graph).toBeUndefined();
  const list = (await (await fetch(`${inbox}/api/conversations`)).json()) as { conversations: InboxSummary[] };
  expect(list.conversations.find((s) => s.psid === '8101')).toMatchObject({ preview: 'refused: OUTSIDE_MESSAGING_WINDOW', failed: 1 });
});
