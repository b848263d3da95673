import { credentials, Metadata } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventServiceClient, Platform, ReceivedAttachmentType, StartPosition, type StreamEventsResponse } from '../../gen/messenger/v1/events';
import { DEMO_INSTAGRAM_PAGE_ACCOUNT } from '../../src/sandbox/demo-pages';
import { freePort, killGateway, spawnGateway, type GatewayProcess } from '../support/gateway-process';
import { waitFor } from '../support/wait-for';
import { runCli } from './run-cli';

// `npm run customer -- --instagram` against a gateway process: each of Instagram's own actions
// reaches a StreamEvents consumer typed; --help documents them; misuse is a usage error (exit 2).
const IGSID = '6152382598199999';
let proc: GatewayProcess | undefined;
let webhook: string;

beforeAll(async () => {
  proc = await spawnGateway(['--sandbox', '--webhook-listen', `127.0.0.1:${await freePort()}`, '--inbox-listen', `127.0.0.1:${await freePort()}`]);
  webhook = proc.stdout.map((l) => JSON.parse(l) as { msg: string; webhook?: string }).find((l) => l.msg === 'gateway ready')!.webhook!;
});
afterAll(() => killGateway(proc));

const customer = (...args: string[]) => runCli(['customer', '--instagram', '--from', IGSID, '--webhook', webhook, ...args]);
const midOf = (out: string) => (JSON.parse(out) as { mid: string }).mid;

describe('npm run customer -- --instagram', () => {
  it('a message, a story reply, a story mention, a shared post and an unsend reach a consumer, typed, on the demo account', async () => {
    const events = new EventServiceClient(proc!.target, credentials.createInsecure());
    const got: StreamEventsResponse[] = [];
    const call = events.streamEvents(new Metadata());
    call.on('data', (r: StreamEventsResponse) => {
      got.push(r);
      call.write({ subscribe: undefined, ack: { eventIds: [r.event!.eventId] }, nack: undefined });
    });
    call.on('error', () => undefined);
    call.write({ subscribe: { consumerGroup: 'ig-cli', pageIds: [DEMO_INSTAGRAM_PAGE_ACCOUNT], maxOutstanding: 0, start: StartPosition.START_POSITION_EARLIEST, startTime: undefined }, ack: undefined, nack: undefined });

    const said = await customer('--text', 'hi from Instagram');
    expect(said.code, said.stderr).toBe(0);
    const mid = midOf(said.stdout);
    expect(mid).toMatch(/^aWdf/);
    for (const args of [['--text', 'nice!', '--story-reply', '1799'], ['--story-mention'], ['--share-post', '18139494541428835', '--title', 'Spring'], ['--unsend', mid]]) {
      const r = await customer(...args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
    await waitFor(() => got.length >= 5, { what: 'the five Instagram events', timeoutMs: 10_000 });
    call.cancel();
    events.close();
    for (const r of got) expect(r.event).toMatchObject({ platform: Platform.PLATFORM_INSTAGRAM, pageId: DEMO_INSTAGRAM_PAGE_ACCOUNT, senderId: IGSID });
    const kinds = got.map((r) => r.event!.kind!);
    expect(kinds[0]).toMatchObject({ $case: 'message', value: { text: 'hi from Instagram', mid } });
    expect(kinds[1]).toMatchObject({ $case: 'message', value: { text: 'nice!', storyReply: { id: '1799', url: expect.stringMatching(/^https:\/\/lookaside\.fbsbx\.com\//) } } });
    expect(kinds[2]).toMatchObject({ $case: 'message', value: { attachments: [{ type: ReceivedAttachmentType.RECEIVED_ATTACHMENT_TYPE_STORY_MENTION, doNotStore: true }] } });
    expect(kinds[3]).toMatchObject({ $case: 'message', value: { attachments: [{ type: ReceivedAttachmentType.RECEIVED_ATTACHMENT_TYPE_SHARED_POST, mediaId: '18139494541428835', title: 'Spring' }] } });
    expect(kinds[4]).toEqual({ $case: 'messageDeleted', value: { mid, isEcho: false } });
  }, 60_000);

  it('--help documents the Instagram actions; Instagram-only flags without --instagram, and two actions at once, are usage errors', async () => {
    const help = await runCli(['customer', '--help']);
    expect(help.code).toBe(0);
    for (const flag of ['--instagram', '--story-reply', '--story-mention', '--share-post', '--unsend', DEMO_INSTAGRAM_PAGE_ACCOUNT]) expect(help.stdout).toContain(flag);
    const cases: Array<[string[], RegExp]> = [
      [['customer', '--page', '1001', '--from', '1', '--story-mention'], /--story-mention: only Instagram sends this/],
      [['customer', '--page', '1001', '--from', '1', '--unsend', 'm_1'], /--unsend: only Instagram sends this/],
      [['customer', '--instagram', '--from', '1', '--text', 'a', '--story-mention'], /give one of --text, --postback, --story-mention, --share-post or --unsend/],
      [['customer', '--instagram', '--from', '1', '--story-reply', '1'], /give one of/],
      [['customer', '--instagram', '--from', '1', '--unsend', ''], /--unsend: an id is required/],
      [['customer', '--instagram', '--from', '1', '--story-mention', '--story-url', 'javascript:alert(1)'], /--story-url: an http\(s\) URL/],
      [['customer', '--instagram', '--text', 'a'], /--from: the customer's Instagram-scoped id/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli([...args, '--webhook', webhook]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  }, 90_000);
});
