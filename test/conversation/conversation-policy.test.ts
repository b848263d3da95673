import { status } from '@grpc/grpc-js';
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AllowedSends, ThreadOwner } from '../../gen/messenger/v1/conversation';
import { MessageTag, MessagingType, SenderAction } from '../../gen/messenger/v1/enums';
import { ErrorReason } from '../../gen/messenger/v1/errors';
import type { PageConfig } from '../../src/config/gateway-config';
import { decodeStatusDetails } from '../../src/errors/decode-status-details';
import { conversationClient, type ConversationClient } from '../support/conversation-client';
import { startCountingGraph, okBody, type CountingGraph } from '../support/counting-graph';
import { grpcError, startTestGateway, textTo, type TestGateway } from '../support/gateway-harness';

// The conversation policy end to end: a gateway (not the sandbox) in front of a counting Graph,
// its webhook fed signed webhooks with Meta's (old) timestamps, as Meta would send them.
const SECRET = 'policy-webhook-secret';
const HOUR = 3_600_000;
const page = (id: string, conversationPolicy: PageConfig['conversationPolicy']): PageConfig => ({ id, accessToken: `token-${id}`, appsecretProof: 'classic', conversationPolicy });

let graph: CountingGraph;
let gw: TestGateway;
let conv: ConversationClient;
let webhookUrl: string;
let psidSeq = 5_000;
const nextPsid = () => String(++psidSeq);

beforeAll(async () => {
  // Sends answer as Graph's Send API; pass and take answer {success: true}.
  graph = await startCountingGraph((i, body) => ('message' in body || 'sender_action' in body ? okBody(i) : { status: 200, body: { success: true } }));
  gw = await startTestGateway({
    sandbox: false,
    pages: [page('1001', 'enforce'), page('1002', 'warn'), page('1003', 'off'), page('1004', undefined)],
    graph: { baseUrl: graph.url },
    extra: { webhook: { listen: '127.0.0.1:0', path: '/webhook', verifyToken: 'v', appSecret: SECRET, maxBodyBytes: 1024 * 1024 } },
  });
  webhookUrl = gw.gateway.webhookUrl!;
  conv = conversationClient(gw.target);
});
afterAll(async () => {
  conv?.close();
  await gw?.close();
  await graph?.close();
});

let midSeq = 0;
function messageItem(pageId: string, psid: string, timestamp: number, extra: Record<string, unknown> = {}) {
  return { sender: { id: psid }, recipient: { id: pageId }, timestamp, message: { mid: `m_policy_${++midSeq}`, text: 'hi' }, ...extra };
}

function body(pageId: string, items: unknown[], key: 'messaging' | 'standby' = 'messaging'): Buffer {
  return Buffer.from(JSON.stringify({ object: 'page', entry: [{ id: pageId, time: Date.now(), [key]: items }] }));
}

async function post(raw: Buffer, secret = SECRET): Promise<number> {
  const signature = `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;
  const res = await fetch(webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature }, body: raw });
  await res.text();
  return res.status;
}

/** The person wrote to the Page `agoMs` ago (Meta's timestamp), in a signed webhook. */
async function customerWrote(pageId: string, psid: string, agoMs: number): Promise<void> {
  expect(await post(body(pageId, [messageItem(pageId, psid, Date.now() - agoMs)]))).toBe(200);
}

const humanAgent = (psid: string, pageId: string) => ({ ...textTo(psid, 'a person here', pageId), messagingType: MessagingType.MESSAGING_TYPE_MESSAGE_TAG, tag: MessageTag.MESSAGE_TAG_HUMAN_AGENT });
const utility = (psid: string, pageId: string) => ({
  pageId,
  recipient: { identifier: { $case: 'id' as const, value: psid } },
  messagingType: MessagingType.MESSAGING_TYPE_UTILITY,
  message: { content: { $case: 'template' as const, value: { name: 'order_update', languageCode: 'en_US' } } },
});

describe('the messaging window (policy enforce)', () => {
  it('a customer message 23 h ago: a RESPONSE goes out, and GetConversation says any message until its end', async () => {
    const psid = nextPsid();
    await customerWrote('1001', psid, 23 * HOUR);
    const before = graph.requests.length;
    const res = await gw.send(textTo(psid, 'reply', '1001'));
    expect(res.messageId).toMatch(/^m_/);
    expect(res.policyWarning).toBeUndefined();
    expect(graph.requests.length).toBe(before + 1);
    const c = await conv.conversation({ pageId: '1001', recipientId: psid });
    expect(c.known).toBe(true);
    expect(c.allowed).toBe(AllowedSends.ALLOWED_SENDS_ANY_MESSAGE);
    expect(Math.abs(c.standardWindowEnd!.getTime() - (Date.now() + HOUR))).toBeLessThan(60_000);
    expect(c.lastSendTime).toBeDefined();
  });

  it('one 25 h ago: RESPONSE and a sender action refused before Graph; HUMAN_AGENT and a utility template go out', async () => {
    const psid = nextPsid();
    const wrote = Date.now() - 25 * HOUR;
    expect(await post(body('1001', [messageItem('1001', psid, wrote)]))).toBe(200);
    const before = graph.requests.length;
    const err = await grpcError(gw.send(textTo(psid, 'too late', '1001')));
    expect(err.code).toBe(status.FAILED_PRECONDITION);
    const info = decodeStatusDetails(err.metadata).errorInfo!;
    expect(info.reason).toBe('OUTSIDE_MESSAGING_WINDOW');
    expect(info.domain).toBe('messenger-gateway');
    expect(info.metadata.allowed).toBe('HUMAN_AGENT');
    expect(new Date(info.metadata.window_closed_at!).getTime()).toBe(wrote + 24 * HOUR);
    expect(new Date(info.metadata.human_agent_until!).getTime()).toBe(wrote + 7 * 24 * HOUR);
    const actionErr = await grpcError(gw.action({ pageId: '1001', recipient: { identifier: { $case: 'id', value: psid } }, action: SenderAction.SENDER_ACTION_TYPING_ON }));
    expect(decodeStatusDetails(actionErr.metadata).errorInfo!.reason).toBe('OUTSIDE_MESSAGING_WINDOW');
    // Graph was never called for either.
    expect(graph.requests.length).toBe(before);

    expect((await gw.send(humanAgent(psid, '1001'))).messageId).toMatch(/^m_/);
    expect((await gw.send(utility(psid, '1001'))).messageId).toMatch(/^m_/);
    expect(graph.requests.length).toBe(before + 2);
    const c = await conv.conversation({ pageId: '1001', recipientId: psid });
    expect(c.allowed).toBe(AllowedSends.ALLOWED_SENDS_HUMAN_AGENT_ONLY);
    expect(c.lastInboundTime!.getTime()).toBe(wrote);
  });

  it('8 days ago: HUMAN_AGENT is refused too; a utility template goes out', async () => {
    const psid = nextPsid();
    await customerWrote('1001', psid, 8 * 24 * HOUR);
    const before = graph.requests.length;
    const err = await grpcError(gw.send(humanAgent(psid, '1001')));
    expect(err.code).toBe(status.FAILED_PRECONDITION);
    const info = decodeStatusDetails(err.metadata).errorInfo!;
    expect(info.reason).toBe('OUTSIDE_MESSAGING_WINDOW');
    expect(info.metadata.allowed).toBe('UTILITY_TEMPLATE');
    // When it closed: the human-agent window, the one a HUMAN_AGENT message needs.
    const c = await conv.conversation({ pageId: '1001', recipientId: psid });
    expect(info.metadata.human_agent_window_closed_at).toBe(c.humanAgentWindowEnd!.toISOString());
    expect(err.details).toContain(`the human-agent window (7 days) closed at ${c.humanAgentWindowEnd!.toISOString()}: a HUMAN_AGENT message would be refused by Graph`);
    expect(graph.requests.length).toBe(before);
    expect((await gw.send(utility(psid, '1001'))).messageId).toMatch(/^m_/);
    expect((await conv.conversation({ pageId: '1001', recipientId: psid })).allowed).toBe(AllowedSends.ALLOWED_SENDS_UTILITY_TEMPLATE_ONLY);
  });

  it('a new message reopens the window', async () => {
    const psid = nextPsid();
    await customerWrote('1001', psid, 30 * HOUR);
    await customerWrote('1001', psid, 5_000);
    expect((await gw.send(textTo(psid, 'welcome back', '1001'))).messageId).toMatch(/^m_/);
  });

  it('a Page with no policy configured enforces (the default)', async () => {
    const psid = nextPsid();
    await customerWrote('1004', psid, 25 * HOUR);
    expect(decodeStatusDetails((await grpcError(gw.send(textTo(psid, 'x', '1004')))).metadata).errorInfo!.reason).toBe('OUTSIDE_MESSAGING_WINDOW');
  });

  it('an unknown conversation goes out (the gateway cannot know)', async () => {
    const psid = nextPsid();
    const before = graph.requests.length;
    expect((await gw.send(textTo(psid, 'first contact', '1001'))).messageId).toMatch(/^m_/);
    expect(graph.requests.length).toBe(before + 1);
    const c = await conv.conversation({ pageId: '1002', recipientId: nextPsid() });
    expect(c.known).toBe(false);
    expect(c.allowed).toBe(AllowedSends.ALLOWED_SENDS_UNSPECIFIED);
  });
});

describe('warn and off', () => {
  it('warn: a send outside the window goes out, marked in the response', async () => {
    const psid = nextPsid();
    await customerWrote('1002', psid, 25 * HOUR);
    const before = graph.requests.length;
    const res = await gw.send(textTo(psid, 'late', '1002'));
    expect(res.messageId).toMatch(/^m_/);
    expect(res.policyWarning?.reason).toBe(ErrorReason.OUTSIDE_MESSAGING_WINDOW);
    expect(res.policyWarning?.message).toContain('HUMAN_AGENT');
    expect(graph.requests.length).toBe(before + 1);
    expect(gw.logs.some((l) => l.includes('conversation policy (warn)'))).toBe(true);
  });

  it('off: the gateway does not check', async () => {
    const psid = nextPsid();
    await customerWrote('1003', psid, 25 * HOUR);
    const res = await gw.send(textTo(psid, 'late', '1003'));
    expect(res.messageId).toMatch(/^m_/);
    expect(res.policyWarning).toBeUndefined();
  });
});

describe('the thread owner', () => {
  it('a pass to another app, then a send: NOT_THREAD_OWNER with its app id; a take, then a send: it goes out', async () => {
    const psid = nextPsid();
    await customerWrote('1001', psid, 60_000);
    await conv.pass({ pageId: '1001', recipientId: psid, targetAppId: '263902037430900' });
    const before = graph.requests.length;
    const err = await grpcError(gw.send(textTo(psid, 'mine?', '1001')));
    expect(err.code).toBe(status.FAILED_PRECONDITION);
    const info = decodeStatusDetails(err.metadata).errorInfo!;
    expect(info.reason).toBe('NOT_THREAD_OWNER');
    expect(info.metadata.owner_app_id).toBe('263902037430900');
    expect(err.details).toBe('app 263902037430900 owns this conversation (it came in standby or was passed); take it (TakeThreadControl) or ask for it (RequestThreadControl). Refused before Graph (conversation policy enforce); nothing was sent');
    expect(graph.requests.length).toBe(before);
    const c = await conv.conversation({ pageId: '1001', recipientId: psid });
    expect(c.owner).toBe(ThreadOwner.THREAD_OWNER_OTHER_APP);
    expect(c.ownerAppId).toBe('263902037430900');

    await conv.take({ pageId: '1001', recipientId: psid });
    expect((await gw.send(textTo(psid, 'back', '1001'))).messageId).toMatch(/^m_/);
    expect((await conv.conversation({ pageId: '1001', recipientId: psid })).owner).toBe(ThreadOwner.THREAD_OWNER_THIS_APP);
  });

  it('a handover event from another app changes the owner; a pass to this app gives it back', async () => {
    const psid = nextPsid();
    await customerWrote('1001', psid, 60_000);
    const take = { sender: { id: psid }, recipient: { id: '1001' }, timestamp: Date.now(), take_thread_control: { previous_owner_app_id: '1000000000000001', new_owner_app_id: '777000777', metadata: 'agent' } };
    expect(await post(body('1001', [take]))).toBe(200);
    let c = await conv.conversation({ pageId: '1001', recipientId: psid });
    expect(c.owner).toBe(ThreadOwner.THREAD_OWNER_OTHER_APP);
    expect(c.ownerAppId).toBe('777000777');
    expect(decodeStatusDetails((await grpcError(gw.send(textTo(psid, 'x', '1001')))).metadata).errorInfo!.metadata.owner_app_id).toBe('777000777');
    // A standby message: the window opens, the other app still owns it (its id is kept).
    expect(await post(body('1001', [messageItem('1001', psid, Date.now())], 'standby'))).toBe(200);
    c = await conv.conversation({ pageId: '1001', recipientId: psid });
    expect(c.ownerAppId).toBe('777000777');
    const pass = { sender: { id: psid }, recipient: { id: '1001' }, timestamp: Date.now() + 1, pass_thread_control: { previous_owner_app_id: '777000777', new_owner_app_id: '1000000000000009', metadata: '' } };
    expect(await post(body('1001', [pass]))).toBe(200);
    c = await conv.conversation({ pageId: '1001', recipientId: psid });
    expect(c.owner).toBe(ThreadOwner.THREAD_OWNER_THIS_APP);
    expect((await gw.send(textTo(psid, 'mine again', '1001'))).messageId).toMatch(/^m_/);
  });
});

describe("Meta's timestamps and attacks on the record", () => {
  it('a timestamp from the future counts as the arrival; one from the far past teaches nothing', async () => {
    const psid = nextPsid();
    const before = Date.now();
    expect(await post(body('1001', [messageItem('1001', psid, Date.now() + 10 * 24 * HOUR)]))).toBe(200);
    const c = await conv.conversation({ pageId: '1001', recipientId: psid });
    expect(c.lastInboundTime!.getTime()).toBeGreaterThanOrEqual(before);
    expect(c.lastInboundTime!.getTime()).toBeLessThanOrEqual(Date.now());
    expect(c.standardWindowEnd!.getTime()).toBeLessThanOrEqual(Date.now() + 24 * HOUR);

    const old = nextPsid();
    expect(await post(body('1001', [messageItem('1001', old, 1_000_000_000_000)]))).toBe(200);
    expect((await conv.conversation({ pageId: '1001', recipientId: old })).known).toBe(false);
    // Past what a Timestamp holds: the parser leaves it unset, the arrival counts.
    const huge = nextPsid();
    expect(await post(body('1001', [messageItem('1001', huge, 9e15)]))).toBe(200);
    expect((await conv.conversation({ pageId: '1001', recipientId: huge })).lastInboundTime!.getTime()).toBeLessThanOrEqual(Date.now());
  });

  it("a take wins over an owner fact dated up to the allowed skew ahead (Meta's clock a little ahead of ours)", async () => {
    const psid = nextPsid();
    // A standby item stamped 50 s ahead of the arrival: within the skew its time is kept for the window.
    expect(await post(body('1001', [messageItem('1001', psid, Date.now() + 50_000)], 'standby'))).toBe(200);
    expect((await conv.conversation({ pageId: '1001', recipientId: psid })).owner).toBe(ThreadOwner.THREAD_OWNER_OTHER_APP);
    // The gateway's own take succeeded after the item arrived: the thread is this app's.
    await conv.take({ pageId: '1001', recipientId: psid });
    expect((await conv.conversation({ pageId: '1001', recipientId: psid })).owner).toBe(ThreadOwner.THREAD_OWNER_THIS_APP);
    expect((await gw.send(textTo(psid, 'mine after the take', '1001'))).messageId).toMatch(/^m_/);
  });

  it('a forged webhook (wrong signature) cannot open a window', async () => {
    const psid = nextPsid();
    await customerWrote('1001', psid, 25 * HOUR);
    expect(await post(body('1001', [messageItem('1001', psid, Date.now())]), 'not-the-app-secret')).toBe(403);
    expect((await conv.conversation({ pageId: '1001', recipientId: psid })).allowed).toBe(AllowedSends.ALLOWED_SENDS_HUMAN_AGENT_ONLY);
    expect(decodeStatusDetails((await grpcError(gw.send(textTo(psid, 'x', '1001')))).metadata).errorInfo!.reason).toBe('OUTSIDE_MESSAGING_WINDOW');
  });

  it('a replayed webhook (a real signature, already stored) does not move the time', async () => {
    const psid = nextPsid();
    const raw = body('1001', [messageItem('1001', psid, Date.now() - 25 * HOUR)]);
    expect(await post(raw)).toBe(200);
    const first = (await conv.conversation({ pageId: '1001', recipientId: psid })).lastInboundTime!.getTime();
    expect(await post(raw)).toBe(200);
    expect(await post(raw)).toBe(200);
    const c = await conv.conversation({ pageId: '1001', recipientId: psid });
    expect(c.lastInboundTime!.getTime()).toBe(first);
    expect(c.allowed).toBe(AllowedSends.ALLOWED_SENDS_HUMAN_AGENT_ONLY);
  });

  it('an echo, a read or a delivery opens nothing', async () => {
    const psid = nextPsid();
    await customerWrote('1001', psid, 25 * HOUR);
    const echo = { sender: { id: '1001' }, recipient: { id: psid }, timestamp: Date.now(), message: { mid: `m_echo_${psid}`, text: 'page said', is_echo: true, app_id: 1 } };
    const read = { sender: { id: psid }, recipient: { id: '1001' }, timestamp: Date.now(), read: { watermark: Date.now() } };
    expect(await post(body('1001', [echo, read]))).toBe(200);
    expect((await conv.conversation({ pageId: '1001', recipientId: psid })).allowed).toBe(AllowedSends.ALLOWED_SENDS_HUMAN_AGENT_ONLY);
  });
});
