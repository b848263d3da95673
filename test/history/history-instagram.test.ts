import { credentials, Metadata, status } from '@grpc/grpc-js';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventServiceClient, Platform, StartPosition, type Event, type StreamEventsResponse } from '../../gen/messenger/v1/events';
import { BackfillState } from '../../gen/messenger/v1/history';
import { decodeStatusDetails } from '../../src/errors/decode-status-details';
import { grpcError, startTestGateway, type TestGateway } from '../support/gateway-harness';
import { waitFor } from '../support/wait-for';
import { historyClient, midsOf, type HistoryClient } from './history-client';

// Instagram's 20-message limit, reported and not hidden: a sandbox-mode gateway with its demo
// accounts (Page 1001, the Instagram account reached through it, the Instagram Login one), whose
// fake Conversations API serves an Instagram conversation's 20 most recent messages only.
const PAGE = '1001';
const IG_VIA_PAGE = '17841400000001001';
const IG_LOGIN = '17841400000002001';

let gw: TestGateway;
let history: HistoryClient;
beforeAll(async () => {
  gw = await startTestGateway({});
  history = historyClient(gw.target);
});
afterAll(async () => {
  history.close();
  await gw.close();
});

async function seed(pageId: string, psid: string, count: number): Promise<void> {
  const res = await request(`${gw.sandbox!.url}/_sandbox/history`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pageId, psid, count }) });
  expect(res.statusCode).toBe(200);
  await res.body.dump();
}

/** Every message ListMessages serves for the person, page by page, and what the last page said. */
async function readAll(pageId: string, personId: string, pageSize: number): Promise<{ ids: string[]; limited: boolean[]; messageCount: number }> {
  const ids: string[] = [];
  const limited: boolean[] = [];
  let token = '';
  let messageCount = 0;
  do {
    const page = await history.listMessages({ pageId, personId, pageSize, pageToken: token });
    ids.push(...page.messages.map((m) => m.id));
    limited.push(page.historyLimited);
    messageCount = page.messageCount;
    token = page.nextPageToken;
  } while (token !== '');
  return { ids, limited, messageCount };
}

describe("Instagram's 20 most recent messages", () => {
  it('an Instagram conversation of 50 messages: 20 returned, the newest, history_limited and the count on every page; a Messenger one of 50 is whole', async () => {
    for (const [account, psid] of [[IG_VIA_PAGE, '6152382598100001'], [IG_LOGIN, '6152382598100002']] as const) {
      await seed(account, psid, 50);
      const newest20 = gw.sandbox!.history.messagesOf(account, psid).map((m) => m.mid).reverse().slice(0, 20);
      const read = await readAll(account, psid, 8);
      expect(read.ids).toEqual(newest20);
      expect(read.limited).toEqual([true, true, true]);
      expect(read.messageCount).toBe(50);
    }
    // The same on Messenger: every message, never limited.
    await seed(PAGE, '7100001', 50);
    const messenger = await readAll(PAGE, '7100001', 20);
    expect(messenger.ids).toHaveLength(50);
    expect(messenger.limited).toEqual([false, false, false]);
    expect(messenger.messageCount).toBe(50);
    // Graph was asked as Meta says: on the linked Page's node, or the Instagram host, with platform=instagram.
    const lists = gw.sandbox!.received.filter((r) => r.path.endsWith('/conversations'));
    expect(lists.some((r) => r.path === `/v25.0/${PAGE}/conversations` && r.query.platform === 'instagram')).toBe(true);
    expect(lists.some((r) => r.path === `/instagram/v25.0/${IG_LOGIN}/conversations` && r.query.platform === 'instagram')).toBe(true);
    expect(lists.some((r) => r.path === `/v25.0/${PAGE}/conversations` && r.query.platform === 'messenger')).toBe(true);
  }, 60_000);

  it('read by conversation id (no count from Meta): the last page says limited once Meta returned its 20', async () => {
    const psid = '6152382598100006';
    await seed(IG_VIA_PAGE, psid, 50);
    const { conversationId } = await history.listMessages({ pageId: IG_VIA_PAGE, personId: psid, pageSize: 1 });
    const pages: Array<{ n: number; limited: boolean; count: number }> = [];
    let pageToken = '';
    do {
      const page = await history.listMessages({ pageId: IG_VIA_PAGE, conversationId, pageSize: 8, pageToken });
      pages.push({ n: page.messages.length, limited: page.historyLimited, count: page.messageCount });
      pageToken = page.nextPageToken;
    } while (pageToken !== '');
    expect(pages).toEqual([{ n: 8, limited: false, count: 0 }, { n: 8, limited: false, count: 0 }, { n: 4, limited: true, count: 0 }]);
  }, 60_000);

  it("the linked Page's id does not read the Instagram account's conversation (where its limit would go unsaid), nor the reverse", async () => {
    const psid = '6152382598100007';
    await seed(IG_VIA_PAGE, psid, 30);
    await seed(PAGE, '7100002', 5);
    const ig = await history.listMessages({ pageId: IG_VIA_PAGE, personId: psid, pageSize: 1 });
    const fb = await history.listMessages({ pageId: PAGE, personId: '7100002', pageSize: 1 });
    for (const [pageId, conversationId, messageId] of [[PAGE, ig.conversationId, ig.messages[0]!.id], [IG_VIA_PAGE, fb.conversationId, fb.messages[0]!.id]] as const) {
      const list = await grpcError(history.listMessages({ pageId, conversationId }));
      expect(list.code).toBe(status.NOT_FOUND);
      expect(decodeStatusDetails(list.metadata).errorInfo?.reason).toBe('CONVERSATION_NOT_FOUND');
      const one = await grpcError(history.getMessage({ pageId, messageId }));
      expect(one.code).toBe(status.NOT_FOUND);
    }
  }, 60_000);

  it('an Instagram conversation of 20 or fewer is not limited; an older message than the 20 is not found', async () => {
    await seed(IG_VIA_PAGE, '6152382598100003', 20);
    const whole = await readAll(IG_VIA_PAGE, '6152382598100003', 100);
    expect(whole.ids).toHaveLength(20);
    expect(whole.limited).toEqual([false]);
    await seed(IG_VIA_PAGE, '6152382598100004', 21);
    const oldest = gw.sandbox!.history.messagesOf(IG_VIA_PAGE, '6152382598100004')[0]!.mid;
    await expect(history.getMessage({ pageId: IG_VIA_PAGE, messageId: oldest })).rejects.toMatchObject({ details: expect.stringContaining('does not exist') });
  }, 60_000);

  it('a backfill of an Instagram conversation stores its 20 and says so: BackfillStatus, the log, Instagram events', async () => {
    const psid = '6152382598100005';
    await seed(IG_VIA_PAGE, psid, 50);
    const newest20 = gw.sandbox!.history.messagesOf(IG_VIA_PAGE, psid).slice(-20).map((m) => m.mid);
    const events = new EventServiceClient(gw.target, credentials.createInsecure());
    const got: Event[] = [];
    const stream = events.streamEvents(new Metadata());
    stream.on('data', (r: StreamEventsResponse) => {
      if (!r.event) return;
      got.push(r.event);
      stream.write({ ack: { eventIds: [r.event.eventId] } });
    });
    stream.on('error', () => undefined);
    stream.write({ subscribe: { consumerGroup: 'history-instagram', pageIds: [IG_VIA_PAGE], maxOutstanding: 0, start: StartPosition.START_POSITION_EARLIEST } });
    try {
      const { backfillId } = await history.backfillConversation({ pageId: IG_VIA_PAGE, personId: psid });
      const status = await waitFor(async () => {
        const s = await history.backfillStatus({ pageId: IG_VIA_PAGE, backfillId });
        return s.state === BackfillState.BACKFILL_STATE_DONE ? s : undefined;
      }, { what: 'the backfill to finish', timeoutMs: 30_000 });
      expect(status).toMatchObject({ messagesStored: 20, historyLimited: true, conversationsLimited: 1 });
      await waitFor(() => (got.length >= 22 ? true : undefined), { what: 'the 20 historical events and the markers' });
      expect(midsOf(got, psid)).toEqual(['<started>', ...newest20, '<ended>']);
      // The markers too are the Instagram conversation's (its key, which the hold used).
      expect(got.every((e) => e.platform === Platform.PLATFORM_INSTAGRAM && e.pageId === IG_VIA_PAGE)).toBe(true);
      expect(got.filter((e) => e.kind?.$case === 'message').every((e) => e.historical)).toBe(true);
      await waitFor(() => gw.logs.find((l) => l.includes(backfillId) && l.includes('20 most recent messages')), { what: 'the limit in the log' });
      const done = await waitFor(() => gw.logs.find((l) => l.includes(backfillId) && l.includes('backfill done')), { what: 'the done line' });
      expect(JSON.parse(done)).toMatchObject({ historyLimited: true });
    } finally {
      stream.end();
      events.close();
    }
  }, 60_000);
});
