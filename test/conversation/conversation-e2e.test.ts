import { credentials, Metadata, status } from '@grpc/grpc-js';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventServiceClient, HandoverAction, StartPosition, type StreamEventsResponse } from '../../gen/messenger/v1/events';
import { decodeStatusDetails } from '../../src/errors/decode-status-details';
import { classicProof } from '../../src/graph/appsecret-proof';
import { SANDBOX_APP_ID } from '../../src/sandbox/thread-owners';
import { conversationClient, type ConversationClient } from '../support/conversation-client';
import { grpcError, startTestGateway, type TestGateway } from '../support/gateway-harness';
import { waitFor } from '../support/wait-for';
import { runCli } from '../cli/run-cli';

// ConversationService end to end: a real gateway on its sandbox, a real grpc-js client, the
// sandbox's record of what reached "Graph", and the webhook loop back through StreamEvents.
const TOKEN = 'page-token-conversations-1001';
const APP_SECRET = 'page-app-secret-1001';
const WEBHOOK_SECRET = 'webhook-secret-conversations';
const INBOX = '263902037430900';

let gw: TestGateway;
let conv: ConversationClient;
let events: EventServiceClient;
beforeAll(async () => {
  gw = await startTestGateway({
    pages: [{ id: '1001', accessToken: TOKEN, appSecret: APP_SECRET, appsecretProof: 'classic' }],
    extra: { webhook: { listen: '127.0.0.1:0', path: '/webhook', verifyToken: 'v', appSecret: WEBHOOK_SECRET, maxBodyBytes: 1024 * 1024 } },
  });
  conv = conversationClient(gw.target);
  events = new EventServiceClient(gw.target, credentials.createInsecure());
});
afterAll(async () => {
  conv.close();
  events.close();
  await gw.close();
});

const last = () => gw.sandbox!.received.at(-1)!;

async function customerSays(psid: string, body: Record<string, unknown>) {
  const res = await request(`${gw.sandbox!.url}/_sandbox/customer/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pageId: '1001', psid, ...body }) });
  return { status: res.statusCode, body: (await res.body.json()) as { sent: { entry: Array<Record<string, unknown[]>> } } };
}

async function otherApp(body: Record<string, unknown>) {
  const res = await request(`${gw.sandbox!.url}/_sandbox/threads`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pageId: '1001', ...body }) });
  return { status: res.statusCode, body: await res.body.json() };
}

describe('thread control on the wire', () => {
  it('passes with the token in the Authorization header, appsecret_proof in the body, target_app_id a number', async () => {
    const res = await conv.pass({ pageId: '1001', recipientId: '5550001', targetAppId: INBOX, metadata: 'wants a person' });
    expect(res).toEqual({ success: true });
    const req = last();
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/v25.0/1001/pass_thread_control');
    expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(req.body).toEqual({ recipient: { id: '5550001' }, target_app_id: 263902037430900, metadata: 'wants a person', appsecret_proof: classicProof(TOKEN, APP_SECRET).appsecret_proof });
    expect(JSON.stringify(req.query)).not.toContain(TOKEN);
  });

  it('answers the owner; take brings the conversation back', async () => {
    expect(await conv.owner({ pageId: '1001', recipientId: '5550001' })).toEqual({ appId: INBOX });
    const q = last();
    expect(q.method).toBe('GET');
    expect(q.path).toBe('/v25.0/1001/thread_owner');
    expect(q.query).toMatchObject({ recipient: '5550001', appsecret_proof: classicProof(TOKEN, APP_SECRET).appsecret_proof });
    expect(await conv.take({ pageId: '1001', recipientId: '5550001', metadata: 'bot again' })).toEqual({ success: true });
    expect(last().body).toMatchObject({ recipient: { id: '5550001' }, metadata: 'bot again' });
    expect(await conv.owner({ pageId: '1001', recipientId: '5550001' })).toEqual({ appId: SANDBOX_APP_ID });
  });

  it('requests control without changing the owner; metadata is left out when empty', async () => {
    expect(await conv.request({ pageId: '1001', recipientId: '5550002' })).toEqual({ success: true });
    expect(last().path).toBe('/v25.0/1001/request_thread_control');
    expect(last().body).toEqual({ recipient: { id: '5550002' }, appsecret_proof: classicProof(TOKEN, APP_SECRET).appsecret_proof });
  });
});

describe('routing as Meta does it', () => {
  it("after a pass the customer's messages arrive as standby (postbacks without payload); the other app's moves arrive as handover events", async () => {
    const psid = '5550003';
    const got: StreamEventsResponse[] = [];
    const stream = events.streamEvents(new Metadata());
    stream.on('data', (r: StreamEventsResponse) => {
      got.push(r);
      stream.write({ ack: { eventIds: [r.event!.eventId] } });
    });
    stream.on('error', () => undefined);
    stream.write({ subscribe: { consumerGroup: 'routing-e2e', pageIds: ['1001'], maxOutstanding: 0, start: StartPosition.START_POSITION_LATEST } });
    // The subscription is live once a first event reaches it.
    await waitFor(async () => {
      await customerSays(psid, { text: 'hello bot' });
      return got.find((r) => r.event?.senderId === psid) ? true : undefined;
    }, { what: 'the consumer to be subscribed' });
    expect(got.find((r) => r.event?.senderId === psid)!.event!.standby).toBe(false);

    await conv.pass({ pageId: '1001', recipientId: psid, targetAppId: INBOX });
    const text = await customerSays(psid, { text: 'a human please' });
    expect(text.body.sent.entry[0].standby).toHaveLength(1);
    expect(text.body.sent.entry[0].messaging).toBeUndefined();
    const postback = await customerSays(psid, { postback: { title: 'Back to the bot', payload: 'BOT' } });
    expect(postback.body.sent.entry[0].standby![0]).toMatchObject({ postback: { title: 'Back to the bot' } });
    expect(JSON.stringify(postback.body.sent)).not.toContain('"payload"');
    await waitFor(() => (got.filter((r) => r.event?.senderId === psid && r.event.standby).length >= 2 ? true : undefined), { what: 'two standby events' });

    // The Page Inbox hands it back: the gateway gets pass_thread_control.
    const back = await otherApp({ psid, action: 'pass', metadata: 'done' });
    expect(back).toEqual({ status: 200, body: { ownerAppId: SANDBOX_APP_ID, webhookStatus: 200 } });
    const handover = await waitFor(() => got.find((r) => r.event?.kind?.$case === 'handover')?.event, { what: 'the handover event' });
    expect(handover.kind).toEqual({ $case: 'handover', value: expect.objectContaining({ action: HandoverAction.HANDOVER_ACTION_PASS, newOwnerAppId: SANDBOX_APP_ID, previousOwnerAppId: INBOX, metadata: 'done' }) });
    expect((await customerSays(psid, { text: 'thanks' })).body.sent.entry[0].messaging).toHaveLength(1);

    // The Page Inbox asks for it: request_thread_control, the owner unchanged.
    expect((await otherApp({ psid, action: 'request', metadata: 'may I?' })).body).toMatchObject({ ownerAppId: SANDBOX_APP_ID, webhookStatus: 200 });
    const asked = await waitFor(() => got.find((r) => r.event?.kind?.$case === 'handover' && r.event.kind.value.action === HandoverAction.HANDOVER_ACTION_REQUEST)?.event, { what: 'the request event' });
    expect(asked.kind).toEqual({ $case: 'handover', value: expect.objectContaining({ requestedOwnerAppId: INBOX, metadata: 'may I?' }) });

    // The Page Inbox takes it: take_thread_control, and standby again.
    expect((await otherApp({ psid, action: 'take' })).body).toMatchObject({ ownerAppId: INBOX });
    await waitFor(() => got.find((r) => r.event?.kind?.$case === 'handover' && r.event.kind.value.action === HandoverAction.HANDOVER_ACTION_TAKE), { what: 'the take event' });
    expect(await conv.owner({ pageId: '1001', recipientId: psid })).toEqual({ appId: INBOX });

    // `npm run customer` posts straight to the listener: --standby says what the sandbox knows.
    const cli = await runCli(['customer', '--page', '1001', '--from', psid, '--postback', 'BOT', '--title', 'Bot', '--standby', '--webhook', gw.gateway.webhookUrl!, '--app-secret', WEBHOOK_SECRET]);
    expect(cli.code, cli.stderr).toBe(0);
    const mid = (JSON.parse(cli.stdout) as { mid: string }).mid;
    const viaCli = await waitFor(() => got.find((r) => r.event?.kind?.$case === 'postback' && r.event.kind.value.mid === mid)?.event, { what: 'the CLI\'s standby postback', timeoutMs: 20_000 });
    expect(viaCli.standby).toBe(true);
    expect(viaCli.kind).toMatchObject({ value: { payload: '' } });
    stream.cancel();
  }, 60_000);

  it('refuses a pass by an app that does not own the conversation (Graph 10: PERMISSION_DENIED)', async () => {
    await conv.pass({ pageId: '1001', recipientId: '5550004', targetAppId: INBOX });
    const err = await grpcError(conv.pass({ pageId: '1001', recipientId: '5550004', targetAppId: '123456' }));
    expect(err.code).toBe(status.PERMISSION_DENIED);
    expect(decodeStatusDetails(err.metadata).errorInfo?.reason).toBe('PERMISSION_ERROR');
  });
});

describe('user profiles', () => {
  it('reads first name, last name and picture by default, typed, and caches them per Page and person', async () => {
    const first = await conv.profile({ pageId: '1001', recipientId: '5550010' });
    expect(first.fromCache).toBe(false);
    expect(first.profile).toMatchObject({ id: '5550010', firstName: expect.any(String), lastName: expect.any(String), profilePic: expect.stringMatching(/^https:/) });
    const q = last();
    expect(q.method).toBe('GET');
    expect(q.path).toBe('/v25.0/5550010');
    expect(q.query).toMatchObject({ fields: 'first_name,last_name,profile_pic' });
    expect(q.headers.authorization).toBe(`Bearer ${TOKEN}`);
    const count = gw.sandbox!.received.length;
    const second = await conv.profile({ pageId: '1001', recipientId: '5550010' });
    expect(second).toEqual({ ...first, fromCache: true });
    expect(gw.sandbox!.received.length).toBe(count);
  });

  it('types every field Meta returns', async () => {
    const all = ['id', 'name', 'first_name', 'last_name', 'profile_pic', 'locale', 'timezone', 'gender', 'username', 'follower_count', 'is_user_follow_business', 'is_business_follow_user'];
    const { profile } = await conv.profile({ pageId: '1001', recipientId: '5550011', fields: all });
    expect(Object.keys(profile!).sort()).toEqual(['firstName', 'followerCount', 'gender', 'id', 'isBusinessFollowUser', 'isUserFollowBusiness', 'lastName', 'locale', 'name', 'profilePic', 'timezone', 'username'].sort());
    expect(typeof profile!.timezone).toBe('number');
    expect(typeof profile!.isUserFollowBusiness).toBe('boolean');
  });

  it('maps 100/2018218 to NOT_FOUND USER_PROFILE_NOT_FOUND and caches nothing', async () => {
    for (let i = 0; i < 2; i++) {
      const err = await grpcError(conv.profile({ pageId: '1001', recipientId: 'error-100-2018218' }));
      expect(err.code).toBe(status.NOT_FOUND);
      const details = decodeStatusDetails(err.metadata);
      expect(details.errorInfo).toMatchObject({ reason: 'USER_PROFILE_NOT_FOUND', domain: 'graph.facebook.com' });
      expect(details.graphError).toMatchObject({ code: 100, errorSubcode: 2018218 });
    }
  });
});
