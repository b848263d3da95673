// parseWebhook on Meta's Instagram sample payloads (test/fixtures/instagram-webhook-samples.ts):
// every Instagram kind typed, the platform on every event, and the platform in the conversation.

import { describe, expect, it } from 'vitest';
import { Event, HandoverAction, Platform, ReactionAction, ReceivedAttachmentType } from '../../gen/messenger/v1/events';
import type { NewEvent } from '../../src/events/event-store';
import { parseWebhook } from '../../src/webhook/parse-webhook';
import { STORY_MENTION_URL_MAX_CHARS } from '../../src/webhook/story-mention-url';
import { IG_ACCOUNT, IGSID, INSTAGRAM_SAMPLES, STORY_MENTION_URL, STORY_REPLY_URL, instagramBody } from '../fixtures/instagram-webhook-samples';

const CTX = { receivedAt: 1_700_000_000_000, traceparent: '', tracestate: '' };

function sample(name: string): NewEvent {
  const s = INSTAGRAM_SAMPLES.find((x) => x.name === name);
  if (!s) throw new Error(`no sample ${name}`);
  const r = parseWebhook(instagramBody(s), CTX);
  if (!r.ok) throw new Error(r.why);
  expect(r.events).toHaveLength(1);
  const e = r.events[0] as NewEvent;
  expect(Event.decode(Event.encode(e.event).finish())).toEqual(e.event);
  expect(e.event.platform).toBe(Platform.PLATFORM_INSTAGRAM);
  expect(e.event.pageId).toBe(IG_ACCOUNT);
  expect(e.conversation).toBe(`${Platform.PLATFORM_INSTAGRAM}\u0000${IG_ACCOUNT}\u0000${IGSID}`);
  return e;
}

const message = (e: NewEvent) => {
  if (e.event.kind?.$case !== 'message') throw new Error(`not a message: ${e.event.kind?.$case}`);
  return e.event.kind.value;
};

describe("Meta's Instagram samples, typed", () => {
  it('a text message, an image, a quick reply, a reply to a message', () => {
    expect(message(sample('text message')).text).toBe('Hi, is this in stock?');
    expect(message(sample('image attachment')).attachments[0]).toMatchObject({ type: ReceivedAttachmentType.RECEIVED_ATTACHMENT_TYPE_IMAGE, doNotStore: false });
    expect(message(sample('quick reply')).quickReplyPayload).toBe('COLOR_RED');
    expect(message(sample('reply to a message')).replyToMid).toMatch(/^aWdf/);
  });

  it("a story reply carries the story's id and URL, above the text", () => {
    const m = message(sample('story reply'));
    expect(m.text).toBe('Love this look!');
    expect(m.storyReply).toEqual({ id: '17989024561234567', url: STORY_REPLY_URL });
    expect(m.replyToMid).toBe('');
  });

  it('a story mention carries only the CDN URL, flagged not to be stored, and the URL once (blanked in payload_json and raw_json)', () => {
    const e = sample('story mention');
    const m = message(e);
    expect(m.attachments).toEqual([
      { type: ReceivedAttachmentType.RECEIVED_ATTACHMENT_TYPE_STORY_MENTION, typeName: 'story_mention', url: STORY_MENTION_URL, stickerId: '', coordinates: undefined, title: '', payloadJson: '{"url":""}', doNotStore: true, mediaId: '' },
    ]);
    expect(e.event.rawJson).not.toContain(STORY_MENTION_URL);
    expect(JSON.parse(e.event.rawJson).message.attachments[0]).toEqual({ type: 'story_mention', payload: { url: '' } });
    expect(Buffer.from(Event.encode(e.event).finish()).toString('latin1').split(STORY_MENTION_URL)).toHaveLength(2);
  });

  it('a story mention with a 3 MB URL: the event holds no copy of it (the URL is past the bound), not 3', () => {
    const huge = `https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1&signature=${'A'.repeat(3 * 1024 * 1024)}`;
    const s = INSTAGRAM_SAMPLES.find((x) => x.name === 'story mention')!;
    const r = parseWebhook(instagramBody({ ...s, item: s.item.replace(STORY_MENTION_URL, huge) }), CTX);
    if (!r.ok) throw new Error(r.why);
    const e = r.events[0]!;
    expect(Event.encode(e.event).finish().length).toBeLessThan(4096);
    expect(message(e).attachments[0]).toMatchObject({ url: '', doNotStore: true, payloadJson: '{"url":""}' });
    // Within the bound, kept once.
    const long = `https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1&signature=${'B'.repeat(STORY_MENTION_URL_MAX_CHARS - 80)}`;
    const ok = parseWebhook(instagramBody({ ...s, item: s.item.replace(STORY_MENTION_URL, long) }), CTX);
    if (!ok.ok) throw new Error(ok.why);
    expect(message(ok.events[0]!).attachments[0]!.url).toBe(long);
    expect(Event.encode(ok.events[0]!.event).finish().length).toBeLessThan(long.length + 2048);
  });

  it('ig_post and the legacy share are shared posts', () => {
    expect(message(sample('shared post (ig_post)')).attachments[0]).toMatchObject({
      type: ReceivedAttachmentType.RECEIVED_ATTACHMENT_TYPE_SHARED_POST, typeName: 'ig_post', mediaId: '18139494541428835',
      title: expect.stringMatching(/^Build a workspace/), url: expect.stringContaining('asset_id=18139494541428835'), doNotStore: false,
    });
    expect(message(sample('shared post (legacy share)')).attachments[0]).toMatchObject({ type: ReceivedAttachmentType.RECEIVED_ATTACHMENT_TYPE_SHARED_POST, typeName: 'share', url: expect.stringContaining('asset_id=') });
  });

  it('an unsend is message_deleted, with an id of its own (not a retry of the message it removes)', () => {
    const original = sample('text message');
    const deleted = sample('unsend (is_deleted)');
    expect(deleted.event.kind).toEqual({ $case: 'messageDeleted', value: { mid: message(original).mid, isEcho: false } });
    expect(deleted.dedupKey).toBe(`deleted:${message(original).mid}`);
    expect(deleted.event.eventId).not.toBe(original.event.eventId);
    expect(deleted.conversation).toBe(original.conversation);
  });

  it('an echo inside messages is an echo, in the conversation of the person', () => {
    const s = INSTAGRAM_SAMPLES.find((x) => x.name === 'echo')!;
    const r = parseWebhook(instagramBody(s), CTX);
    if (!r.ok) throw new Error(r.why);
    const e = r.events[0]!;
    expect(message(e)).toMatchObject({ isEcho: true, text: 'Yes, all sizes.' });
    expect(e.dedupKey).toMatch(/^echo:/);
    expect(e.conversation).toBe(`${Platform.PLATFORM_INSTAGRAM}\u0000${IG_ACCOUNT}\u0000${IGSID}`);
  });

  it("the unsend of the account's own message (is_echo) belongs to the person's conversation", () => {
    const body = Buffer.from(`{"object":"instagram","entry":[{"id":"${IG_ACCOUNT}","time":1,"messaging":[{"sender":{"id":"${IG_ACCOUNT}"},"recipient":{"id":"${IGSID}"},"timestamp":1,"message":{"mid":"aWdfE","is_echo":true,"is_deleted":true}}]}]}`);
    const r = parseWebhook(body, CTX);
    if (!r.ok) throw new Error(r.why);
    expect(r.events[0]!.event.kind).toEqual({ $case: 'messageDeleted', value: { mid: 'aWdfE', isEcho: true } });
    expect(r.events[0]!.conversation).toBe(`${Platform.PLATFORM_INSTAGRAM}\u0000${IG_ACCOUNT}\u0000${IGSID}`);
  });

  it('messaging_seen is a read of a mid (no watermark)', () => {
    expect(sample('messaging_seen').event.kind).toEqual({ $case: 'read', value: { watermark: undefined, mid: expect.stringMatching(/^aWdf/) } });
  });

  it('reactions, postbacks, referrals (ig.me, ads) and handover work as on Messenger', () => {
    expect(sample('reaction').event.kind).toMatchObject({ $case: 'reaction', value: { action: ReactionAction.REACTION_ACTION_REACT, reaction: 'love', emoji: '\u2764\ufe0f' } });
    expect(sample('unreaction').event.kind).toMatchObject({ $case: 'reaction', value: { action: ReactionAction.REACTION_ACTION_UNREACT } });
    expect(sample('postback').event.kind).toMatchObject({ $case: 'postback', value: { title: 'Talk to a human', payload: 'HUMAN' } });
    expect(sample('referral (ig.me link)').event.kind).toMatchObject({ $case: 'referral', value: { referral: { ref: 'spring-sale', type: 'OPEN_THREAD' } } });
    expect(message(sample('referral (ad, in a message)')).referral).toMatchObject({ source: 'ADS', adId: '23851234567890123', ref: 'ad-ref' });
    expect(sample('handover (pass_thread_control)').event.kind).toMatchObject({ $case: 'handover', value: { action: HandoverAction.HANDOVER_ACTION_PASS, metadata: 'over to the bot' } });
    expect(sample('standby message').event.standby).toBe(true);
  });

  it('the same ids on Messenger are another conversation', () => {
    const s = INSTAGRAM_SAMPLES.find((x) => x.name === 'text message')!;
    const ig = parseWebhook(instagramBody(s), CTX);
    const page = parseWebhook(Buffer.from(instagramBody(s).toString('utf8').replace('"object":"instagram"', '"object":"page"')), CTX);
    if (!ig.ok || !page.ok) throw new Error('not ok');
    expect(page.events[0]!.event.platform).toBe(Platform.PLATFORM_MESSENGER);
    expect(page.events[0]!.conversation).not.toBe(ig.events[0]!.conversation);
  });
});
