// End to end on the sandbox: a customer action dated 25 h ago (`ago`, as `npm run customer --
// --ago 25h` sends it) closes the window in the sandbox (Meta) and in the gateway's record. With
// the policy `off` the gateway sends, and the caller gets the sandbox's 10/2018278, typed through
// the gateway's Graph error mapping; with `enforce` (the default) it is refused before Graph.
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { MessageTag, MessagingType } from '../../gen/messenger/v1/enums';
import { SANDBOX_WEBHOOK } from '../../src/config/gateway-config';
import { decodeStatusDetails } from '../../src/errors/decode-status-details';
import { grpcError, startTestGateway, textTo, type TestGateway } from '../support/gateway-harness';
import { conversationClient, type ConversationClient } from '../support/conversation-client';

let gw: TestGateway;
let conv: ConversationClient;

beforeAll(async () => {
  gw = await startTestGateway({
    pages: [{ id: '1001', accessToken: 'token-1001', appsecretProof: 'classic', conversationPolicy: 'off' }, { id: '1002', accessToken: 'token-1002', appsecretProof: 'classic' }],
    extra: { webhook: { ...SANDBOX_WEBHOOK, listen: '127.0.0.1:0' } },
  });
  conv = conversationClient(gw.target);
}, 30_000);
afterAll(async () => {
  conv?.close();
  await gw?.close();
});

async function customerWrote(pageId: string, psid: string, ago: string): Promise<void> {
  const res = await request(`${gw.sandbox!.url}/_sandbox/customer/messages`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pageId, psid, text: 'are you there?', ago }),
  });
  expect(res.statusCode, await res.body.text()).toBe(200);
}

describe('a window closed in the sandbox, through the gateway', () => {
  it("policy off: a RESPONSE to a conversation aged 25 h comes back to the gRPC caller as the sandbox's 10/2018278 (typed, through the gateway's Graph error mapping)", async () => {
    const psid = '27182001';
    await customerWrote('1001', psid, '25h');
    const before = gw.sandbox!.received.length;
    const err = await grpcError(gw.send(textTo(psid, 'sorry for the wait', '1001')));
    expect(err.code).toBe(status.FAILED_PRECONDITION);
    const details = decodeStatusDetails(err.metadata);
    expect(details.errorInfo).toMatchObject({ reason: 'OUTSIDE_MESSAGING_WINDOW', domain: 'graph.facebook.com' });
    expect(details.errorInfo!.metadata).toMatchObject({ code: '10', error_subcode: '2018278' });
    expect(details.graphError).toMatchObject({ code: 10, errorSubcode: 2018278, type: 'OAuthException' });
    expect(details.graphError!.message).toMatch(/^\(#10\) This message is sent outside of allowed window/);
    expect(details.graphError!.fbtraceId).toMatch(/^[A-Za-z0-9]{11}$/);
    // The gateway did call Graph (the sandbox), once: Graph's 10 is never retried.
    expect(gw.sandbox!.received.slice(before).filter((r) => r.path.endsWith('/messages'))).toHaveLength(1);
    // HUMAN_AGENT still goes out at 25 h.
    const human = await gw.send({ ...textTo(psid, 'a person here', '1001'), messagingType: MessagingType.MESSAGING_TYPE_MESSAGE_TAG, tag: MessageTag.MESSAGE_TAG_HUMAN_AGENT });
    expect(human.messageId).toMatch(/^m_/);
  });

  it('policy enforce (the default): the same RESPONSE is refused before Graph with OUTSIDE_MESSAGING_WINDOW', async () => {
    const psid = '27182002';
    await customerWrote('1002', psid, '25h');
    const before = gw.sandbox!.received.length;
    const err = await grpcError(gw.send(textTo(psid, 'sorry for the wait', '1002')));
    expect(err.code).toBe(status.FAILED_PRECONDITION);
    expect(decodeStatusDetails(err.metadata).errorInfo).toMatchObject({ reason: 'OUTSIDE_MESSAGING_WINDOW', domain: 'messenger-gateway' });
    expect(gw.sandbox!.received.slice(before).filter((r) => r.path.endsWith('/messages'))).toHaveLength(0);
  });
});
