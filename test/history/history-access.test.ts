import { Metadata, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeStatusDetails } from '../../src/errors/decode-status-details';
import { generateApiKey, hashApiKey } from '../../src/server/caller-auth';
import { grpcError, startTestGateway, type TestGateway } from '../support/gateway-harness';
import { historyClient, type HistoryClient } from './history-client';

// Who may read a Page's history or backfill it: the callers granted that Page, and nobody else;
// a refused call costs no Graph call (no call of the Page's 2/s budget either).
describe('history access', () => {
  const ORDERS = generateApiKey();
  const SUPPORT = generateApiKey();
  let gw: TestGateway;
  let history: HistoryClient;
  beforeAll(async () => {
    gw = await startTestGateway({
      pages: [
        { id: '1001', accessToken: 'history-access-1001', appSecret: 'secret-1001', appsecretProof: 'classic' },
        { id: '1002', accessToken: 'history-access-1002', appSecret: 'secret-1002', appsecretProof: 'classic' },
      ],
      extra: {
        callers: [
          { name: 'orders', apiKeyHash: hashApiKey(ORDERS), pages: ['1001'], ratePerSecond: 0 },
          { name: 'support', apiKeyHash: hashApiKey(SUPPORT), pages: ['1002'], ratePerSecond: 0 },
        ],
      },
    });
    history = historyClient(gw.target);
    gw.sandbox!.history.seed('1002', '7100001', 5);
  });
  afterAll(async () => {
    history.close();
    await gw.close();
  });
  const as = (key: string) => {
    const md = new Metadata();
    md.set('authorization', `Bearer ${key}`);
    return md;
  };

  it("the Page's caller reads it; another Page's caller, or none, is refused for every RPC before Graph", async () => {
    const page = await history.listMessages({ pageId: '1002', personId: '7100001' }, as(SUPPORT));
    expect(page.messages).toHaveLength(5);
    const { backfillId } = await history.backfillConversation({ pageId: '1002', personId: '7100001' }, as(SUPPORT));
    const before = gw.sandbox!.received.length;
    const calls = [
      (md: Metadata) => history.listConversations({ pageId: '1002' }, md),
      (md: Metadata) => history.listMessages({ pageId: '1002', personId: '7100001' }, md),
      (md: Metadata) => history.getMessage({ pageId: '1002', messageId: page.messages[0]!.id }, md),
      (md: Metadata) => history.backfillConversation({ pageId: '1002', personId: '7100001' }, md),
      (md: Metadata) => history.backfillPage({ pageId: '1002' }, md),
      (md: Metadata) => history.backfillStatus({ pageId: '1002', backfillId }, md),
    ];
    for (const call of calls) {
      const denied = await grpcError(call(as(ORDERS)));
      expect(denied.code).toBe(status.PERMISSION_DENIED);
      expect(decodeStatusDetails(denied.metadata).errorInfo?.reason).toBe('PAGE_NOT_GRANTED');
      expect((await grpcError(call(new Metadata()))).code).toBe(status.UNAUTHENTICATED);
    }
    // Its own Page's name on another Page's backfill id: unknown, nothing said about the other Page.
    const foreign = await grpcError(history.backfillStatus({ pageId: '1001', backfillId }, as(ORDERS)));
    expect(decodeStatusDetails(foreign.metadata).errorInfo?.reason).toBe('BACKFILL_NOT_FOUND');
    // A message id of Page 1002 read as Page 1001: Graph (the sandbox) answers for the token's Page only.
    const crossMessage = await grpcError(history.getMessage({ pageId: '1001', messageId: page.messages[0]!.id }, as(ORDERS)));
    expect([status.INVALID_ARGUMENT, status.FAILED_PRECONDITION, status.PERMISSION_DENIED, status.UNAUTHENTICATED]).toContain(crossMessage.code);
    expect(crossMessage.details).toMatch(/Graph error/);
    expect(gw.sandbox!.received.length - before).toBe(1);
  }, 30_000);
});
