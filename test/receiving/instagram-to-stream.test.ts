import { credentials, Metadata } from '@grpc/grpc-js';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventServiceClient, Platform, ReceivedAttachmentType, StartPosition, type StreamEventsResponse } from '../../gen/messenger/v1/events';
import { SANDBOX_WEBHOOK } from '../../src/config/gateway-config';
import { signBody } from '../../src/webhook/verify-signature';
import { INSTAGRAM_SAMPLES, IG_ACCOUNT, STORY_MENTION_URL, STORY_REPLY_URL, instagramBody } from '../fixtures/instagram-webhook-samples';
import { freePort, killGateway, spawnGateway, type GatewayProcess } from '../support/gateway-process';
import { otlpHttpReceiver } from '../support/otlp-receiver';
import { waitFor } from '../support/wait-for';

// Every Instagram kind from Meta's samples, through the real thing: a gateway process (sandbox,
// debug logs, spans exported over OTLP), each sample signed with the app secret and POSTed to
// its webhook listener, a real StreamEvents consumer. Then every byte the gateway wrote (stdout,
// stderr, exported telemetry) is searched for the story media URLs.
let proc: GatewayProcess | undefined;
let rx: Awaited<ReturnType<typeof otlpHttpReceiver>>;
let webhook: string;

beforeAll(async () => {
  rx = await otlpHttpReceiver();
  const config = join(tmpdir(), `instagram-to-stream-${process.pid}.json`);
  writeFileSync(config, JSON.stringify({ log: { level: 'trace' } }));
  proc = await spawnGateway(
    ['--config', config, '--sandbox', '--webhook-listen', `127.0.0.1:${await freePort()}`, '--inbox-listen', `127.0.0.1:${await freePort()}`],
    { OTEL_EXPORTER_OTLP_ENDPOINT: rx.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_METRIC_EXPORT_INTERVAL: '200' },
  );
  webhook = proc.stdout.map((l) => JSON.parse(l) as { msg: string; webhook?: string }).find((l) => l.msg === 'gateway ready')!.webhook!;
});
afterAll(async () => {
  await killGateway(proc);
  rx.server.close();
});

async function post(body: Buffer, secret = SANDBOX_WEBHOOK.appSecret): Promise<number> {
  const res = await request(webhook, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(body, secret) } });
  await res.body.text();
  return res.statusCode;
}

describe("Instagram: Meta's samples through the webhook listener to a consumer", () => {
  const got: StreamEventsResponse[] = [];

  it('every sample is stored and delivered, typed, with the Instagram platform; the unsend reaches the consumer', async () => {
    const events = new EventServiceClient(proc!.target, credentials.createInsecure());
    const call = events.streamEvents(new Metadata());
    call.on('data', (r: StreamEventsResponse) => {
      got.push(r);
      call.write({ subscribe: undefined, ack: { eventIds: [r.event!.eventId] }, nack: undefined });
    });
    call.on('error', () => undefined);
    call.write({ subscribe: { consumerGroup: 'instagram', pageIds: [IG_ACCOUNT], maxOutstanding: 0, start: StartPosition.START_POSITION_EARLIEST, startTime: undefined }, ack: undefined, nack: undefined });

    // A forged story mention is refused (and must not be logged either).
    expect(await post(instagramBody(INSTAGRAM_SAMPLES.find((s) => s.name === 'story mention')!), 'not-the-app-secret')).toBe(403);
    for (const sample of INSTAGRAM_SAMPLES) expect(await post(instagramBody(sample)), sample.name).toBe(200);
    // Meta's retry of the unsend is the same event.
    expect(await post(instagramBody(INSTAGRAM_SAMPLES.find((s) => s.name === 'unsend (is_deleted)')!))).toBe(200);

    // One conversation (the account and one person): delivered in the order stored.
    await waitFor(() => got.length >= INSTAGRAM_SAMPLES.length, { what: `${INSTAGRAM_SAMPLES.length} Instagram events`, timeoutMs: 10_000 });
    call.cancel();
    events.close();
    expect(got).toHaveLength(INSTAGRAM_SAMPLES.length);
    expect(got.map((r) => r.event!.kind!.$case)).toEqual([
      'message', 'message', 'message', 'message', 'message', 'message', 'message', 'message',
      'messageDeleted', 'message', 'read', 'reaction', 'reaction', 'postback', 'referral', 'message', 'handover', 'message',
    ]);
    for (const r of got) expect(r.event).toMatchObject({ platform: Platform.PLATFORM_INSTAGRAM, pageId: IG_ACCOUNT });

    const kind = (name: string) => got[INSTAGRAM_SAMPLES.findIndex((s) => s.name === name)]!.event!.kind!;
    const text = kind('text message');
    const unsend = kind('unsend (is_deleted)');
    expect(text.$case === 'message' && unsend.$case === 'messageDeleted' && unsend.value.mid === text.value.mid).toBe(true);
    const reply = kind('story reply');
    expect(reply.$case === 'message' && reply.value.storyReply).toEqual({ id: '17989024561234567', url: STORY_REPLY_URL });
    const mention = kind('story mention');
    // The event store holds the CDN URL (Meta allows keeping it), flagged: the media is not to be stored.
    expect(mention.$case === 'message' && mention.value.attachments[0]).toMatchObject({ type: ReceivedAttachmentType.RECEIVED_ATTACHMENT_TYPE_STORY_MENTION, url: STORY_MENTION_URL, doNotStore: true });
    const post_ = kind('shared post (ig_post)');
    expect(post_.$case === 'message' && post_.value.attachments[0]).toMatchObject({ type: ReceivedAttachmentType.RECEIVED_ATTACHMENT_TYPE_SHARED_POST, mediaId: '18139494541428835' });
    const seen = kind('messaging_seen');
    expect(seen.$case === 'read' && seen.value.mid).toMatch(/^aWdf/);
    const echo = kind('echo');
    expect(echo.$case === 'message' && echo.value.isEcho).toBe(true);
  });

  it('no byte the gateway wrote (stdout, stderr, spans, metrics) holds a story URL or a piece of one', async () => {
    expect(got.length).toBeGreaterThan(0);
    const gw = proc!;
    gw.child.kill('SIGTERM');
    expect(await gw.exited).toBe(0);
    // The exporter flushed at shutdown: the webhook's spans are there.
    await waitFor(() => (rx.bodies.get('/v1/traces') ?? []).some((b) => b.includes('POST /webhook')), { what: 'the webhook spans' });
    const written = [gw.stdout.join('\n'), gw.stderr.join(''), ...[...rx.raw.values()].flat().map((b) => b.toString('latin1'))].join('\n');
    // The gateway did log the webhook requests (the search below looks at something).
    expect(gw.stdout.filter((l) => l.includes('"webhook"')).length).toBeGreaterThan(0);
    for (const url of [STORY_MENTION_URL, STORY_REPLY_URL]) {
      const u = new URL(url);
      for (const piece of [url, encodeURIComponent(url), JSON.stringify(url).slice(1, -1).replaceAll('/', '\\/'), u.searchParams.get('asset_id')!, u.searchParams.get('signature')!]) {
        expect(written.includes(piece), `the gateway wrote ${piece}`).toBe(false);
      }
    }
  });
});
