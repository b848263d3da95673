import { credentials, Metadata, status, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventServiceClient, StartPosition, type ListDeadLettersResponse, type ReplayDeadLettersResponse, type StreamEventsResponse } from '../../gen/messenger/v1/events';
import { DEFAULT_CONFIG, type GatewayConfig } from '../../src/config/gateway-config';
import { decodeStatusDetails } from '../../src/errors/decode-status-details';
import { customerWebhookBody, postWebhook } from '../../src/sandbox/customer-webhook';
import { generateApiKey, hashApiKey } from '../../src/server/caller-auth';
import { startTestGateway, type TestGateway } from '../support/gateway-harness';
import { redisServerAvailable, startRedisServer, type RedisServer } from '../support/redis-server';
import { waitFor } from '../support/wait-for';

// Consumer groups belong to their caller (issue 23, defects 1-3): two callers with API keys, a
// real gateway (memory store, then Redis store) with its webhook listener, real grpc-js clients.
// "wide" is granted every Page, "narrow" only Page 2002, as in the attack; "greedy" (every Page) makes groups.

const APP_SECRET = 'ownership-app-secret-0123456789';
const WIDE_KEY = generateApiKey();
const NARROW_KEY = generateApiKey();
const GREEDY_KEY = generateApiKey();
const bearer = (key: string) => {
  const md = new Metadata();
  md.set('authorization', `Bearer ${key}`);
  return md;
};
const reasonOf = (st: StatusObject | ServiceError) => decodeStatusDetails(st.metadata).errorInfo?.reason;

interface Sub {
  got: StreamEventsResponse[];
  live: Promise<void>;
  ended: Promise<StatusObject>;
  cancel(): void;
}

function subscribe(client: EventServiceClient, key: string, group: string, opts: { pageIds?: string[]; ack?: boolean } = {}): Sub {
  const got: StreamEventsResponse[] = [];
  const call = client.streamEvents(bearer(key));
  call.on('data', (r: StreamEventsResponse) => {
    got.push(r);
    if (opts.ack !== false) call.write({ ack: { eventIds: [r.event!.eventId] } });
  });
  call.on('error', () => {}); // the status says it
  const ended = new Promise<StatusObject>((resolve) => call.on('status', resolve));
  const live = new Promise<void>((resolve, reject) => {
    call.on('metadata', () => resolve());
    void ended.then((st) => reject(new Error(`stream ended: ${st.code} ${st.details}`)));
  });
  live.catch(() => {});
  call.write({ subscribe: { consumerGroup: group, pageIds: opts.pageIds ?? [], maxOutstanding: 100, start: StartPosition.START_POSITION_LATEST } });
  return { got, live, ended, cancel: () => call.cancel() };
}

function unary<Res>(fn: (cb: (err: ServiceError | null, res?: Res) => void) => void): Promise<{ err: ServiceError | null; res?: Res }> {
  return new Promise((resolve) => fn((err, res) => resolve({ err, res })));
}

const stores: Array<[string, boolean]> = [
  ['memory', true],
  ['redis', redisServerAvailable()],
];

describe.each(stores)('consumer groups with two callers (%s store)', (kind, available) => {
  let redis: RedisServer | undefined;
  let gw: TestGateway;
  let client: EventServiceClient;
  let n = 0;
  const name = (s: string) => `${s}-${kind}-${++n}`;

  beforeAll(async () => {
    if (!available) return;
    let store: GatewayConfig['store'] = {};
    if (kind === 'redis') {
      redis = await startRedisServer();
      store = { redis: { url: redis.url, keyPrefix: 'own:' } } as GatewayConfig['store'];
    }
    gw = await startTestGateway({
      store,
      extra: {
        webhook: { listen: '127.0.0.1:0', path: '/webhook', verifyToken: 'ownership-verify-token', appSecret: APP_SECRET, maxBodyBytes: 1024 * 1024 },
        callers: [
          { name: 'wide', apiKeyHash: hashApiKey(WIDE_KEY), pages: ['*'], ratePerSecond: 0 },
          { name: 'narrow', apiKeyHash: hashApiKey(NARROW_KEY), pages: ['2002'], ratePerSecond: 0 },
          { name: 'greedy', apiKeyHash: hashApiKey(GREEDY_KEY), pages: ['*'], ratePerSecond: 0 },
        ],
        events: { ...DEFAULT_CONFIG.events, ackDeadlineMs: 400, maxDeliveryAttempts: 2, maxGroups: 8, maxGroupsPerCaller: 3, neverAckedGroupMs: 1_000 },
      },
    });
    client = new EventServiceClient(gw.target, credentials.createInsecure());
  }, 30_000);
  afterAll(async () => {
    client?.close();
    await gw?.close();
    await redis?.stop();
  });

  const post = async (pageId: string, count: number, tag: string) => {
    for (let i = 0; i < count; i++) {
      const r = await postWebhook(gw.gateway.webhookUrl!, APP_SECRET, customerWebhookBody({ pageId, psid: String(9_000_000 + i), text: `${tag} ${i}` }));
      expect(r.status).toBe(200);
    }
  };

  it.skipIf(!available)("a caller cannot take, hold into dead letters, list or replay another caller's group by its name", async () => {
    const group = name('shared');
    const owner = subscribe(client, WIDE_KEY, group);
    await owner.live;
    // The other caller, granted only 2002, joins "the same" group with empty page_ids: it gets its own.
    const thief = subscribe(client, NARROW_KEY, group, { ack: false });
    await thief.live;
    await post('2002', 40, group);
    await waitFor(() => new Set(owner.got.map((r) => r.event!.eventId)).size === 40, { what: `the owner had all 40 events (had ${owner.got.length})`, timeoutMs: 15_000 });
    // Held without acks by the other caller, its deliveries ran out: parked in its own group only.
    await waitFor(async () => {
      const own = await unary<ListDeadLettersResponse>((cb) => client.listDeadLetters({ consumerGroup: group, pageSize: 1000, pageToken: '' }, bearer(NARROW_KEY), cb));
      return (own.res?.deadLetters.length ?? 0) > 0;
    }, { what: "dead letters in the other caller's own group", timeoutMs: 15_000 });
    const ownersDead = await unary<ListDeadLettersResponse>((cb) => client.listDeadLetters({ consumerGroup: group, pageSize: 1000, pageToken: '' }, bearer(WIDE_KEY), cb));
    expect(ownersDead.res?.deadLetters).toEqual([]);
    thief.cancel();
    const replayed = await unary<ReplayDeadLettersResponse>((cb) => client.replayDeadLetters({ consumerGroup: group, eventIds: [] }, bearer(NARROW_KEY), cb));
    expect(replayed.err).toBeNull();
    // Replayed into the other caller's own group: nothing reaches the owner again.
    await post('2002', 1, `${group}-mark`);
    await waitFor(() => owner.got.length >= 41, { what: 'the mark at the owner' });
    expect(owner.got.length).toBe(41);
    expect(owner.got.every((r) => r.deliveryAttempt === 1)).toBe(true);
    owner.cancel();
  }, 60_000);

  it.skipIf(!available)("errors name only the caller's own things: no foreign group's Pages, no global count", async () => {
    const group = name('scoped');
    const wide = subscribe(client, WIDE_KEY, group, { pageIds: ['1001'] });
    await wide.live;
    // Another caller never learns that wide's group exists: same name, Pages outside its scope, no error.
    const narrow = subscribe(client, NARROW_KEY, group, { pageIds: ['2002'] });
    await narrow.live;
    // The owner's own mismatch names what it asked for, not the group's scope.
    const mismatch = await subscribe(client, WIDE_KEY, group, { pageIds: ['2002'] }).ended;
    expect(mismatch.code).toBe(status.FAILED_PRECONDITION);
    expect(reasonOf(mismatch)).toBe('CONSUMER_GROUP_PAGES_MISMATCH');
    expect(mismatch.details).toContain('2002');
    expect(mismatch.details).not.toContain('1001');
    wide.cancel();
    narrow.cancel();
  }, 30_000);

  it.skipIf(!available)('one caller cannot use up events.maxGroups: it holds its share (3 of 8), the other still creates groups; a never-acked group goes after neverAckedGroupMs', async () => {
    const mine: Sub[] = [];
    for (let i = 0; i < 3; i++) {
      const s = subscribe(client, GREEDY_KEY, name('many'));
      await s.live;
      mine.push(s);
    }
    const refused = await subscribe(client, GREEDY_KEY, name('many')).ended;
    expect(refused.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(reasonOf(refused)).toBe('TOO_MANY_CONSUMER_GROUPS');
    expect(refused.details).toMatch(/caller greedy holds 3 consumer groups, its share \(events\.maxGroupsPerCaller 3\)/);
    // The other caller is not shut out.
    const other = subscribe(client, NARROW_KEY, name('other'));
    await other.live;
    // Abandoned without an ack, greedy's groups go after neverAckedGroupMs (1 s), not after the retention.
    for (const s of mine) s.cancel();
    await waitFor(async () => {
      const s = subscribe(client, GREEDY_KEY, name('again'));
      const outcome = await Promise.race([s.live.then(() => true), s.ended.then(() => false)]);
      if (outcome) s.cancel();
      return outcome;
    }, { what: "a new group of greedy's once its never-acked ones were deleted", timeoutMs: 15_000, intervalMs: 250 });
    other.cancel();
  }, 60_000);
});
