// The gateway's own OUTSIDE_MESSAGING_WINDOW refusal, and GetConversation, say what is true for
// the account's platform: an Instagram account has no utility templates (HUMAN_AGENT, its only
// tag, is all that is left after 24 h, and nothing after 7 days) and Graph's code there is
// 10/2534022, not Messenger's 10/2018278. Over gRPC, on the sandbox's demo Instagram account.
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { AllowedSends } from '../../gen/messenger/v1/conversation';
import { MessageTag, MessagingType } from '../../gen/messenger/v1/enums';
import { SANDBOX_WEBHOOK } from '../../src/config/gateway-config';
import { decodeStatusDetails } from '../../src/errors/decode-status-details';
import { DEMO_INSTAGRAM_LOGIN_ACCOUNT } from '../../src/sandbox/demo-pages';
import { conversationClient, type ConversationClient } from '../support/conversation-client';
import { grpcError, startTestGateway, textTo, type TestGateway } from '../support/gateway-harness';
import { waitFor } from '../support/wait-for';

let gw: TestGateway;
let conv: ConversationClient;
const IG = DEMO_INSTAGRAM_LOGIN_ACCOUNT;

beforeAll(async () => {
  // No account configured: the demo accounts, the policy enforce (the default).
  gw = await startTestGateway({ extra: { webhook: { ...SANDBOX_WEBHOOK, listen: '127.0.0.1:0' } } });
  conv = conversationClient(gw.target);
}, 30_000);
afterAll(async () => {
  conv?.close();
  await gw?.close();
});

async function customerWrote(pageId: string, psid: string, ago: string, instagram: boolean): Promise<void> {
  const res = await request(`${gw.sandbox!.url}/_sandbox/customer/messages`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pageId, psid, text: 'are you there?', ago, instagram }),
  });
  expect(res.statusCode, await res.body.text()).toBe(200);
  await waitFor(async () => (await conv.conversation({ pageId, recipientId: psid })).known, { what: 'the gateway to record the customer message' });
}

const humanAgent = (psid: string, pageId: string) => ({ ...textTo(psid, 'a person here', pageId), messagingType: MessagingType.MESSAGING_TYPE_MESSAGE_TAG, tag: MessageTag.MESSAGE_TAG_HUMAN_AGENT });

describe('the window refusal on an Instagram account', () => {
  it('25 h: names 10/2534022 and HUMAN_AGENT as the only way left, no utility template', async () => {
    const igsid = '66100001';
    await customerWrote(IG, igsid, '25h', true);
    const err = await grpcError(gw.send(textTo(igsid, 'sorry for the wait', IG)));
    expect(err.code).toBe(status.FAILED_PRECONDITION);
    const info = decodeStatusDetails(err.metadata).errorInfo!;
    expect(info).toMatchObject({ reason: 'OUTSIDE_MESSAGING_WINDOW', domain: 'messenger-gateway' });
    expect(info.metadata.allowed).toBe('HUMAN_AGENT');
    expect(err.details).toContain('10/2534022');
    expect(err.details).not.toContain('2018278');
    expect(err.details).not.toContain('or a utility template');
    expect(err.details).toContain('only a human agent\'s reply (MESSAGE_TAG with tag HUMAN_AGENT');
    expect(err.details).toContain('Instagram has no utility templates');
    expect((await conv.conversation({ pageId: IG, recipientId: igsid })).allowed).toBe(AllowedSends.ALLOWED_SENDS_HUMAN_AGENT_ONLY);
    // And HUMAN_AGENT does go out.
    expect((await gw.send(humanAgent(igsid, IG))).messageId).toBeTruthy();
  });

  it('8 days: nothing is allowed until the person writes again (metadata.allowed NONE, GetConversation NOTHING)', async () => {
    const igsid = '66100002';
    await customerWrote(IG, igsid, '8d', true);
    const err = await grpcError(gw.send(humanAgent(igsid, IG)));
    expect(err.code).toBe(status.FAILED_PRECONDITION);
    const info = decodeStatusDetails(err.metadata).errorInfo!;
    expect(info.reason).toBe('OUTSIDE_MESSAGING_WINDOW');
    expect(info.metadata.allowed).toBe('NONE');
    expect(err.details).toContain('10/2534022');
    expect(err.details).not.toMatch(/utility template \(|only a utility template/i);
    expect(err.details).toContain('until the person writes again');
    expect((await conv.conversation({ pageId: IG, recipientId: igsid })).allowed).toBe(AllowedSends.ALLOWED_SENDS_NOTHING);
  });

  it('a Messenger Page keeps its own text: 10/2018278 and a utility template', async () => {
    const psid = '66100003';
    await customerWrote('1001', psid, '8d', false);
    const err = await grpcError(gw.send(humanAgent(psid, '1001')));
    const info = decodeStatusDetails(err.metadata).errorInfo!;
    expect(info.metadata.allowed).toBe('UTILITY_TEMPLATE');
    expect(err.details).toContain('10/2018278');
    expect(err.details).toContain('only a utility template (MESSAGING_TYPE_UTILITY)');
    expect((await conv.conversation({ pageId: '1001', recipientId: psid })).allowed).toBe(AllowedSends.ALLOWED_SENDS_UTILITY_TEMPLATE_ONLY);
  });
});

describe("the sandbox's own refusal on an Instagram account", () => {
  it('a conversation only the sandbox (Meta) knows closed: Graph answers 10/2534022, not 2018278', async () => {
    const igsid = '66100004';
    const aged = await request(`${gw.sandbox!.url}/_sandbox/windows`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pageId: IG, psid: igsid, ago: '25h' }) });
    expect(aged.statusCode, await aged.body.text()).toBe(200);
    // The gateway has no record of it: the send goes to Graph, which refuses it.
    const err = await grpcError(gw.send(textTo(igsid, 'late', IG)));
    expect(err.code).toBe(status.FAILED_PRECONDITION);
    const details = decodeStatusDetails(err.metadata);
    expect(details.errorInfo).toMatchObject({ reason: 'OUTSIDE_MESSAGING_WINDOW', domain: 'graph.facebook.com' });
    expect(details.graphError).toMatchObject({ code: 10, errorSubcode: 2534022 });
  });
});
