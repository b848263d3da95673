// parseWebhook on Meta's documented sample payloads, one per kind, and on batches, standby,
// Instagram, escapes, dedup keys and bad bodies.

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  Event,
  HandoverAction,
  Platform,
  ReactionAction,
  ReceivedAttachmentType,
  type MessageEvent,
} from '../../gen/messenger/v1/events';
import type { NewEvent } from '../../src/events/event-store';
import { MAX_ITEMS, parseWebhook, type ParseContext } from '../../src/webhook/parse-webhook';

const PAGE = '1001';
const PSID = '2002';
const TS = 1458692752478;
const CTX: ParseContext = { receivedAt: 1_700_000_000_123, traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate: 'rojo=00f067aa0ba902b7' };

/** An item's JSON text as Meta sends it: sender, recipient, timestamp, then the kind. */
function item(kind: string, opts: { sender?: string; recipient?: string } = {}): string {
  return `{"sender":{"id":"${opts.sender ?? PSID}"},"recipient":{"id":"${opts.recipient ?? PAGE}"},"timestamp":${TS},${kind}}`;
}

function body(items: string[], opts: { object?: string; key?: string; page?: string } = {}): Buffer {
  return Buffer.from(`{"object":"${opts.object ?? 'page'}","entry":[{"id":"${opts.page ?? PAGE}","time":${TS},"${opts.key ?? 'messaging'}":[${items.join(',')}]}]}`);
}

function parse(raw: Buffer, ctx: ParseContext = CTX): NewEvent[] {
  const r = parseWebhook(raw, ctx);
  if (!r.ok) throw new Error(`not ok: ${r.why}`);
  // Every event survives the wire (valid Timestamps, enums, strings).
  for (const e of r.events) expect(Event.decode(Event.encode(e.event).finish())).toEqual(e.event);
  return r.events;
}

/** The one event of a one-item body, checked for the envelope every event has. */
function one(kindJson: string, opts: { sender?: string; recipient?: string } = {}): NewEvent {
  const text = item(kindJson, opts);
  const events = parse(body([text]));
  expect(events).toHaveLength(1);
  const e = events[0] as NewEvent;
  expect(e.event.pageId).toBe(PAGE);
  expect(e.event.senderId).toBe(opts.sender ?? PSID);
  expect(e.event.recipientId).toBe(opts.recipient ?? PAGE);
  expect(e.event.time).toEqual(new Date(TS));
  expect(e.event.receivedTime).toEqual(new Date(CTX.receivedAt));
  expect(e.event.platform).toBe(Platform.PLATFORM_MESSENGER);
  expect(e.event.standby).toBe(false);
  expect(e.event.traceparent).toBe(CTX.traceparent);
  expect(e.event.tracestate).toBe(CTX.tracestate);
  // As sent, but for a story mention's URL (kept once, in the typed attachment).
  expect(e.event.rawJson).toBe(text.replaceAll('{"type":"story_mention","payload":{"url":"https://x/s"}}', '{"type":"story_mention","payload":{"url":""}}'));
  expect(e.event.eventId).toBe(`ev_${createHash('sha256').update(e.dedupKey).digest('hex').slice(0, 32)}`);
  return e;
}

function messageOf(e: NewEvent): MessageEvent {
  if (e.event.kind?.$case !== 'message') throw new Error(`not a message: ${e.event.kind?.$case}`);
  return e.event.kind.value;
}

function hashKey(page: string, sender: string, kind: string, canonical: string): string {
  return `hash:${createHash('sha256').update(`${page}\u0000${sender}\u0000${kind}\u0000${canonical}`).digest('hex')}`;
}

const NO_MESSAGE: MessageEvent = { mid: '', text: '', attachments: [], quickReplyPayload: '', replyToMid: '', referral: undefined, isEcho: false, appId: '', metadata: '', storyReply: undefined };

describe('messages', () => {
  it('a text message', () => {
    const e = one('"message":{"mid":"m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM","text":"hello, world!"}');
    expect(messageOf(e)).toEqual({ ...NO_MESSAGE, mid: 'm_AG5Hz2Uq7tuwNEhXfYYKj8mJEM', text: 'hello, world!' });
    expect(e.dedupKey).toBe('message:m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM');
    expect(e.conversation).toBe(`1\u0000${PAGE}\u0000${PSID}`);
  });

  it('a quick reply', () => {
    const e = one('"message":{"mid":"m_qr","text":"Red","quick_reply":{"payload":"<DEVELOPER_DEFINED_PAYLOAD_FOR_PICKING_RED>"}}');
    expect(messageOf(e)).toEqual({ ...NO_MESSAGE, mid: 'm_qr', text: 'Red', quickReplyPayload: '<DEVELOPER_DEFINED_PAYLOAD_FOR_PICKING_RED>' });
  });

  it('a reply to an earlier message', () => {
    const e = one('"message":{"mid":"m_reply","text":"that one","reply_to":{"mid":"m_earlier"}}');
    expect(messageOf(e).replyToMid).toBe('m_earlier');
  });

  it('a message from an ad, with its referral', () => {
    const e = one('"message":{"mid":"m_ad","text":"hi","referral":{"ref":"r1","ad_id":"6045246247433","source":"ADS","type":"OPEN_THREAD"}}');
    expect(messageOf(e).referral).toEqual({ ref: 'r1', source: 'ADS', type: 'OPEN_THREAD', adId: '6045246247433', refererUri: '' });
  });

  it.each([
    ['image', ReceivedAttachmentType.RECEIVED_ATTACHMENT_TYPE_IMAGE],
    ['video', ReceivedAttachmentType.RECEIVED_ATTACHMENT_TYPE_VIDEO],
    ['audio', ReceivedAttachmentType.RECEIVED_ATTACHMENT_TYPE_AUDIO],
    ['file', ReceivedAttachmentType.RECEIVED_ATTACHMENT_TYPE_FILE],
  ])('an %s attachment', (type, expected) => {
    const payload = `{"url":"https://scontent.xx.fbcdn.net/v/${type}.bin?oh=1&oe=2"}`;
    const e = one(`"message":{"mid":"m_${type}","attachments":[{"type":"${type}","payload":${payload}}]}`);
    expect(messageOf(e).attachments).toEqual([
      { type: expected, typeName: type, url: `https://scontent.xx.fbcdn.net/v/${type}.bin?oh=1&oe=2`, stickerId: '', coordinates: undefined, title: '', payloadJson: payload, doNotStore: false, mediaId: '' },
    ]);
  });

  it('a sticker, as sticker and as the older image with sticker_id (a number)', () => {
    const e = one('"message":{"mid":"m_st","attachments":[{"type":"sticker","payload":{"url":"https://scontent.xx.fbcdn.net/s.png","sticker_id":369239263222822}},{"type":"image","payload":{"url":"https://scontent.xx.fbcdn.net/s.png","sticker_id":369239263222822}}]}');
    const [a, b] = messageOf(e).attachments;
    expect(a).toMatchObject({ type: ReceivedAttachmentType.RECEIVED_ATTACHMENT_TYPE_STICKER, typeName: 'sticker', stickerId: '369239263222822', url: 'https://scontent.xx.fbcdn.net/s.png' });
    expect(b).toMatchObject({ type: ReceivedAttachmentType.RECEIVED_ATTACHMENT_TYPE_IMAGE, typeName: 'image', stickerId: '369239263222822' });
  });

  it('a location', () => {
    const e = one('"message":{"mid":"m_loc","attachments":[{"title":"Pin\'s Location","url":"https://l.facebook.com/l.php?u=x","type":"location","payload":{"coordinates":{"lat":52.3765346,"long":4.9134427}}}]}');
    expect(messageOf(e).attachments).toEqual([
      {
        type: ReceivedAttachmentType.RECEIVED_ATTACHMENT_TYPE_LOCATION,
        typeName: 'location',
        url: 'https://l.facebook.com/l.php?u=x',
        stickerId: '',
        coordinates: { lat: 52.3765346, long: 4.9134427 },
        title: "Pin's Location",
        payloadJson: '{"coordinates":{"lat":52.3765346,"long":4.9134427}}',
        doNotStore: false,
        mediaId: '',
      },
    ]);
  });

  it('a fallback (a shared link), in both of its documented shapes', () => {
    const e = one('"message":{"mid":"m_fb","attachments":[{"type":"fallback","payload":{"url":"https://example.com/a","title":"An article"}},{"title":"Old style","url":"https://example.com/b","type":"fallback","payload":null}]}');
    const [a, b] = messageOf(e).attachments;
    expect(a).toEqual({ type: ReceivedAttachmentType.RECEIVED_ATTACHMENT_TYPE_FALLBACK, typeName: 'fallback', url: 'https://example.com/a', stickerId: '', coordinates: undefined, title: 'An article', payloadJson: '{"url":"https://example.com/a","title":"An article"}', doNotStore: false, mediaId: '' });
    expect(b).toEqual({ type: ReceivedAttachmentType.RECEIVED_ATTACHMENT_TYPE_FALLBACK, typeName: 'fallback', url: 'https://example.com/b', stickerId: '', coordinates: undefined, title: 'Old style', payloadJson: 'null', doNotStore: false, mediaId: '' });
  });

  it('an Instagram reel keeps its type name (unspecified type); a story mention is typed, not to be stored', () => {
    const e = one('"message":{"mid":"m_ig","attachments":[{"type":"ig_reel","payload":{"reel_video_id":"1","title":"t","url":"https://x/r"}},{"type":"story_mention","payload":{"url":"https://x/s"}}]}');
    const [a, b] = messageOf(e).attachments;
    expect(a).toMatchObject({ type: ReceivedAttachmentType.RECEIVED_ATTACHMENT_TYPE_UNSPECIFIED, typeName: 'ig_reel', url: 'https://x/r', title: 't' });
    expect(b).toMatchObject({ type: ReceivedAttachmentType.RECEIVED_ATTACHMENT_TYPE_STORY_MENTION, typeName: 'story_mention', url: 'https://x/s', doNotStore: true, payloadJson: '{"url":""}' });
    // The mention's URL is kept once: in raw_json its value is blanked; the reel's stays as sent.
    expect(e.event.rawJson).toContain('"url":"https://x/r"');
    expect(e.event.rawJson).toContain('{"type":"story_mention","payload":{"url":""}}');
  });

  it('an echo with app_id (a number) and metadata: echo key, the person is the recipient', () => {
    const payload = '{"template_type":"button","text":"Pick","buttons":[{"type":"postback","title":"A","payload":"A"}]}';
    const e = one(
      `"message":{"is_echo":true,"app_id":1517776481860111,"metadata":"<DEVELOPER_DEFINED_METADATA_STRING>","mid":"m_echo","attachments":[{"type":"template","payload":${payload}}]}`,
      { sender: PAGE, recipient: PSID },
    );
    expect(messageOf(e)).toEqual({
      ...NO_MESSAGE,
      mid: 'm_echo',
      isEcho: true,
      appId: '1517776481860111',
      metadata: '<DEVELOPER_DEFINED_METADATA_STRING>',
      attachments: [{ type: ReceivedAttachmentType.RECEIVED_ATTACHMENT_TYPE_TEMPLATE, typeName: 'template', url: '', stickerId: '', coordinates: undefined, title: '', payloadJson: payload, doNotStore: false, mediaId: '' }],
    });
    expect(e.dedupKey).toBe('echo:m_echo');
    expect(e.conversation).toBe(`1\u0000${PAGE}\u0000${PSID}`);
  });
});

describe('other kinds', () => {
  it('a postback with a referral', () => {
    const e = one('"postback":{"mid":"m_pb","title":"Get Started","payload":"GET_STARTED","referral":{"ref":"spring","source":"SHORTLINK","type":"OPEN_THREAD"}}');
    expect(e.event.kind).toEqual({
      $case: 'postback',
      value: { title: 'Get Started', payload: 'GET_STARTED', mid: 'm_pb', referral: { ref: 'spring', source: 'SHORTLINK', type: 'OPEN_THREAD', adId: '', refererUri: '' } },
    });
    expect(e.dedupKey).toMatch(/^hash:[0-9a-f]{64}$/);
  });

  it('a read', () => {
    const e = one('"read":{"watermark":1458668856253}');
    expect(e.event.kind).toEqual({ $case: 'read', value: { watermark: new Date(1458668856253), mid: '' } });
    expect(e.dedupKey).toBe(hashKey(PAGE, PSID, 'read', `{"read":{"watermark":1458668856253},"recipient":{"id":"${PAGE}"},"sender":{"id":"${PSID}"},"timestamp":${TS}}`));
  });

  it('a delivery', () => {
    const e = one('"delivery":{"mids":["mid.1458668856218:ed81099e15d3f4f233","m_2"],"watermark":1458668856253}');
    expect(e.event.kind).toEqual({ $case: 'delivery', value: { mids: ['mid.1458668856218:ed81099e15d3f4f233', 'm_2'], watermark: new Date(1458668856253) } });
  });

  it('a reaction and its removal', () => {
    const react = one('"reaction":{"mid":"m_r","action":"react","reaction":"love","emoji":"\\u2764\\ufe0f"}');
    expect(react.event.kind).toEqual({ $case: 'reaction', value: { mid: 'm_r', action: ReactionAction.REACTION_ACTION_REACT, reaction: 'love', emoji: '\u2764\ufe0f' } });
    const unreact = one('"reaction":{"mid":"m_r","action":"unreact","reaction":"love","emoji":"\\u2764\\ufe0f"}');
    expect(unreact.event.kind).toEqual({ $case: 'reaction', value: { mid: 'm_r', action: ReactionAction.REACTION_ACTION_UNREACT, reaction: 'love', emoji: '\u2764\ufe0f' } });
    expect(unreact.event.eventId).not.toBe(react.event.eventId);
  });

  it('an optin from the checkbox plugin (user_ref, no sender)', () => {
    const text = `{"recipient":{"id":"${PAGE}"},"timestamp":${TS},"optin":{"ref":"<PASS_THROUGH_PARAM>","user_ref":"<REF_FROM_CHECKBOX_PLUGIN>"}}`;
    const [e] = parse(body([text]));
    expect(e?.event.senderId).toBe('');
    expect(e?.event.rawJson).toBe(text);
    expect(e?.event.kind).toEqual({
      $case: 'optin',
      value: { ref: '<PASS_THROUGH_PARAM>', userRef: '<REF_FROM_CHECKBOX_PLUGIN>', type: '', payload: '', notificationMessagesToken: '', notificationMessagesFrequency: '', tokenExpiryTime: undefined, userTokenStatus: '', notificationMessagesTimezone: '' },
    });
    expect(e?.conversation).toBe(`1\u0000${PAGE}\u0000`);
  });

  it('an optin to notification messages', () => {
    const e = one('"optin":{"type":"notification_messages","payload":"ADDITIONAL-INFORMATION","notification_messages_token":"1234567890123456789","notification_messages_frequency":"DAILY","notification_messages_timezone":"America/Los_Angeles","token_expiry_timestamp":2114352000000,"user_token_status":"NOT_REFRESHED","title":"Daily deals"}');
    expect(e.event.kind).toEqual({
      $case: 'optin',
      value: {
        ref: '',
        userRef: '',
        type: 'notification_messages',
        payload: 'ADDITIONAL-INFORMATION',
        notificationMessagesToken: '1234567890123456789',
        notificationMessagesFrequency: 'DAILY',
        tokenExpiryTime: new Date(2114352000000),
        userTokenStatus: 'NOT_REFRESHED',
        notificationMessagesTimezone: 'America/Los_Angeles',
      },
    });
  });

  it('a referral (m.me link, ad, chat plugin)', () => {
    const link = one('"referral":{"ref":"spring","source":"SHORTLINK","type":"OPEN_THREAD"}');
    expect(link.event.kind).toEqual({ $case: 'referral', value: { referral: { ref: 'spring', source: 'SHORTLINK', type: 'OPEN_THREAD', adId: '', refererUri: '' } } });
    const ad = one('"referral":{"ref":"r","ad_id":"6045246247433","source":"ADS","type":"OPEN_THREAD","ads_context_data":{"ad_title":"Sale"}}');
    expect(ad.event.kind).toEqual({ $case: 'referral', value: { referral: { ref: 'r', source: 'ADS', type: 'OPEN_THREAD', adId: '6045246247433', refererUri: '' } } });
    const plugin = one('"referral":{"ref":"p","source":"CUSTOMER_CHAT_PLUGIN","type":"OPEN_THREAD","referer_uri":"https://example.com/shop"}');
    expect(plugin.event.kind).toEqual({ $case: 'referral', value: { referral: { ref: 'p', source: 'CUSTOMER_CHAT_PLUGIN', type: 'OPEN_THREAD', adId: '', refererUri: 'https://example.com/shop' } } });
  });

  it('a message edit', () => {
    const e = one('"message_edit":{"mid":"m_edited","text":"fixed typo","num_edit":2}');
    expect(e.event.kind).toEqual({ $case: 'messageEdit', value: { mid: 'm_edited', text: 'fixed typo', numEdit: 2 } });
    expect(e.dedupKey).toBe('edit:m_edited:2');
  });

  it('pass, take and request thread control', () => {
    const pass = one('"pass_thread_control":{"new_owner_app_id":"123456789","previous_owner_app_id":"987654321","metadata":"Additional content that the caller wants to set"}');
    expect(pass.event.kind).toEqual({
      $case: 'handover',
      value: { action: HandoverAction.HANDOVER_ACTION_PASS, newOwnerAppId: '123456789', previousOwnerAppId: '987654321', requestedOwnerAppId: '', metadata: 'Additional content that the caller wants to set' },
    });
    const take = one('"take_thread_control":{"previous_owner_app_id":"123456789","new_owner_app_id":"987654321","metadata":"taken"}');
    expect(take.event.kind).toEqual({
      $case: 'handover',
      value: { action: HandoverAction.HANDOVER_ACTION_TAKE, newOwnerAppId: '987654321', previousOwnerAppId: '123456789', requestedOwnerAppId: '', metadata: 'taken' },
    });
    const request = one('"request_thread_control":{"requested_owner_app_id":123456789,"metadata":"please"}');
    expect(request.event.kind).toEqual({
      $case: 'handover',
      value: { action: HandoverAction.HANDOVER_ACTION_REQUEST, newOwnerAppId: '', previousOwnerAppId: '', requestedOwnerAppId: '123456789', metadata: 'please' },
    });
  });

  it('a policy enforcement, in Meta\'s spelling (policy-enforcement, no sender) and with an underscore', () => {
    const text = `{"recipient":{"id":"${PAGE}"},"timestamp":${TS},"policy-enforcement":{"action":"block","reason":"The bot violated our Platform Policies."}}`;
    const [e] = parse(body([text]));
    expect(e?.event.kind).toEqual({ $case: 'policyEnforcement', value: { action: 'block', reason: 'The bot violated our Platform Policies.' } });
    const u = one('"policy_enforcement":{"action":"warning","reason":"spam"}');
    expect(u.event.kind).toEqual({ $case: 'policyEnforcement', value: { action: 'warning', reason: 'spam' } });
  });

  it('an unknown kind: its keys besides sender, recipient and timestamp, and its raw JSON', () => {
    const e = one('"account_linking":{"status":"linked","authorization_code":"PASS_THROUGH_AUTHORIZATION_CODE"},"extra":1');
    expect(e.event.kind).toEqual({ $case: 'unknown', value: { keys: ['account_linking', 'extra'] } });
    expect(e.dedupKey).toMatch(/^hash:/);
  });

  it('an item that is not an object at all is an unknown event with its raw JSON', () => {
    const events = parse(body(['42', '"text"', 'null', '[1, 2]']));
    expect(events.map((e) => e.event.rawJson)).toEqual(['42', '"text"', 'null', '[1, 2]']);
    for (const e of events) {
      expect(e.event.kind).toEqual({ $case: 'unknown', value: { keys: [] } });
      expect(e.event.time).toEqual(new Date(TS)); // the entry's time
    }
    expect(new Set(events.map((e) => e.event.eventId)).size).toBe(4);
  });
});

describe('envelopes and batches', () => {
  it('every item of every entry, in order, messaging then standby within an entry', () => {
    const raw = Buffer.from(
      JSON.stringify({
        object: 'page',
        entry: [
          { id: 'P1', time: TS, messaging: [{ sender: { id: 'a' }, recipient: { id: 'P1' }, timestamp: 1, message: { mid: 'm1' } }, { sender: { id: 'b' }, recipient: { id: 'P1' }, timestamp: 2, message: { mid: 'm2' } }] },
          { id: 'P2', time: TS, changes: [{ field: 'feed', value: {} }] },
          { id: 'P3', time: TS, messaging: [{ sender: { id: 'c' }, recipient: { id: 'P3' }, timestamp: 3, read: { watermark: 3 } }], standby: [{ sender: { id: 'd' }, recipient: { id: 'P3' }, timestamp: 4, message: { mid: 'm4' } }] },
          { id: 'P4', time: TS, standby: [{ sender: { id: 'e' }, recipient: { id: 'P4' }, timestamp: 5, message: { mid: 'm5' } }, { sender: { id: 'f' }, recipient: { id: 'P4' }, timestamp: 6, postback: { payload: 'x' } }] },
        ],
      }),
    );
    const events = parse(raw);
    expect(events.map((e) => [e.event.pageId, e.event.senderId, e.event.standby, e.event.time?.getTime()])).toEqual([
      ['P1', 'a', false, 1],
      ['P1', 'b', false, 2],
      ['P3', 'c', false, 3],
      ['P3', 'd', true, 4],
      ['P4', 'e', true, 5],
      ['P4', 'f', true, 6],
    ]);
    expect(events.map((e) => e.conversation)).toEqual(['P1\u0000a', 'P1\u0000b', 'P3\u0000c', 'P3\u0000d', 'P4\u0000e', 'P4\u0000f'].map((k) => `1\u0000${k}`));
  });

  it('standby items are marked standby and keep their dedup key', () => {
    const text = item('"message":{"mid":"m_sb","text":"to the other app"}');
    const [s] = parse(body([text], { key: 'standby' }));
    const [m] = parse(body([text]));
    expect(s?.event.standby).toBe(true);
    expect(s?.dedupKey).toBe('message:m_sb');
    expect(s?.event.eventId).toBe(m?.event.eventId);
  });

  it('instagram is the Instagram platform, same item shape', () => {
    const [e] = parse(body([item('"message":{"mid":"aWdfZAG1faXRlbToxOklH","text":"hi from IG"}', { recipient: '17841400000000000' })], { object: 'instagram', page: '17841400000000000' }));
    expect(e?.event.platform).toBe(Platform.PLATFORM_INSTAGRAM);
    expect(e?.event.pageId).toBe('17841400000000000');
    expect(messageOf(e as NewEvent).text).toBe('hi from IG');
  });

  it('an entry with only changes, or no entry items, or entries that are not objects: no events, ok', () => {
    expect(parseWebhook(Buffer.from('{"object":"page","entry":[{"id":"1","time":1,"changes":[{"field":"feed"}]}]}'), CTX)).toEqual({ ok: true, events: [] });
    expect(parseWebhook(Buffer.from('{"object":"page","entry":[]}'), CTX)).toEqual({ ok: true, events: [] });
    expect(parseWebhook(Buffer.from('{"object":"page","entry":[null,1,"x",{"id":"1","messaging":{"not":"an array"}}]}'), CTX)).toEqual({ ok: true, events: [] });
  });

  it('ids given as numbers become their digits, exactly (even past 2^53)', () => {
    const raw = Buffer.from(`{"object":"page","entry":[{"id":123456789012345678901,"time":${TS},"messaging":[{"sender":{"id":98765432109876543210},"recipient":{"id":123456789012345678901},"timestamp":${TS},"message":{"mid":"m_n"}}]}]}`);
    const [e] = parse(raw);
    expect(e?.event.pageId).toBe('123456789012345678901');
    expect(e?.event.senderId).toBe('98765432109876543210');
    expect(e?.event.recipientId).toBe('123456789012345678901');
    expect(e?.conversation).toBe('1\u0000123456789012345678901\u000098765432109876543210');
  });

  it('time: the item timestamp, else the entry time, else the time received', () => {
    const raw = Buffer.from(`{"object":"page","entry":[{"id":"1","time":5000,"messaging":[{"timestamp":7000,"read":{}},{"read":{}}]},{"id":"2","messaging":[{"read":{}},{"timestamp":"not a time","read":{}},{"timestamp":1e300,"read":{}}]}]}`);
    expect(parse(raw).map((e) => e.event.time?.getTime())).toEqual([7000, 5000, CTX.receivedAt, CTX.receivedAt, CTX.receivedAt]);
  });

  it('wrong types inside known kinds are coerced, never thrown', () => {
    const items = [
      '{"sender":"2002","recipient":[],"timestamp":"x","message":"just a string"}',
      '{"sender":{"id":null},"message":{"mid":7,"text":{"a":1},"attachments":{"type":"image"},"quick_reply":"x","reply_to":[],"referral":"r","is_echo":"true","app_id":{}}}',
      '{"message":{"attachments":[null,5,{"type":7,"payload":"p"},{"type":"location","payload":{"coordinates":{"lat":"1.5","long":null}}}]}}',
      '{"message_edit":{"mid":"m","num_edit":"3"}}',
      '{"message_edit":{"mid":"m","num_edit":1e20}}',
      '{"read":null}',
      '{"delivery":{"mids":["a",1,null,{}],"watermark":-5}}',
      '{"reaction":{"action":"wave"}}',
      '{"optin":[]}',
      '{"referral":7}',
      '{"take_thread_control":"x"}',
      '{"postback":{"referral":{"ref":1}}}',
    ];
    const events = parse(body(items));
    expect(events.map((e) => e.event.kind?.$case)).toEqual(['message', 'message', 'message', 'messageEdit', 'messageEdit', 'read', 'delivery', 'reaction', 'optin', 'referral', 'handover', 'postback']);
    expect(events.map((e) => e.event.rawJson)).toEqual(items);
    const [m0, m1, m2, e3, e4, , d6, r7] = events as NewEvent[] & { length: 12 };
    expect(m0?.event.senderId).toBe('');
    expect(messageOf(m0 as NewEvent)).toEqual(NO_MESSAGE);
    expect(messageOf(m1 as NewEvent)).toEqual({ ...NO_MESSAGE, mid: '7' });
    expect(m1?.dedupKey).toBe('message:7');
    expect(messageOf(m2 as NewEvent).attachments).toEqual([
      { type: ReceivedAttachmentType.RECEIVED_ATTACHMENT_TYPE_UNSPECIFIED, typeName: '', url: '', stickerId: '', coordinates: undefined, title: '', payloadJson: '', doNotStore: false, mediaId: '' },
      { type: ReceivedAttachmentType.RECEIVED_ATTACHMENT_TYPE_UNSPECIFIED, typeName: '', url: '', stickerId: '', coordinates: undefined, title: '', payloadJson: '', doNotStore: false, mediaId: '' },
      { type: ReceivedAttachmentType.RECEIVED_ATTACHMENT_TYPE_UNSPECIFIED, typeName: '7', url: '', stickerId: '', coordinates: undefined, title: '', payloadJson: '"p"', doNotStore: false, mediaId: '' },
      { type: ReceivedAttachmentType.RECEIVED_ATTACHMENT_TYPE_LOCATION, typeName: 'location', url: '', stickerId: '', coordinates: { lat: 1.5, long: 0 }, title: '', payloadJson: '{"coordinates":{"lat":"1.5","long":null}}', doNotStore: false, mediaId: '' },
    ]);
    expect(e3?.dedupKey).toBe('edit:m:3');
    expect(e4?.dedupKey).toBe('edit:m:0');
    expect(d6?.event.kind).toEqual({ $case: 'delivery', value: { mids: ['a', '1'], watermark: undefined } });
    expect(r7?.event.kind).toEqual({ $case: 'reaction', value: { mid: '', action: ReactionAction.REACTION_ACTION_UNSPECIFIED, reaction: '', emoji: '' } });
  });

  it('keys from the prototype are not fields (constructor, __proto__)', () => {
    const [e] = parse(body(['{"constructor":{"mid":"x"},"__proto__":{"message":{"mid":"p"}}}']));
    expect(e?.event.kind).toEqual({ $case: 'unknown', value: { keys: ['constructor', '__proto__'] } });
  });
});

describe('raw_json keeps the bytes Meta sent', () => {
  it('escaped non-ASCII (\\u00e4) and emoji surrogate pairs are preserved byte-exact', () => {
    const text = item('"message":{"mid":"m_u","text":"K\\u00e4se \\ud83d\\ude00 \\"quoted\\" \\/ \\n"}');
    const raw = body([text]);
    const [e] = parse(raw);
    expect(e?.event.rawJson).toBe(text);
    expect(raw.includes(Buffer.from(e?.event.rawJson ?? ''))).toBe(true);
    expect(e?.event.rawJson).toContain('K\\u00e4se \\ud83d\\ude00');
    expect(messageOf(e as NewEvent).text).toBe('Käse 😀 "quoted" / \n');
  });

  it('raw (unescaped) UTF-8 is preserved too; whitespace around items is not part of raw_json', () => {
    const text = item('"message":{"mid":"m_raw","text":"Käse 😀"}');
    const raw = Buffer.from(`{"object":"page","entry":[{"id":"${PAGE}","messaging":[ \n\t${text}\r\n ]}]}`);
    const [e] = parse(raw);
    expect(e?.event.rawJson).toBe(text);
    expect(messageOf(e as NewEvent).text).toBe('Käse 😀');
  });

  it('duplicate keys: the last wins, as JSON.parse', () => {
    const raw = Buffer.from(`{"object":"instagram","object":"page","entry":[],"entry":[{"id":"1","messaging":[1,2],"messaging":[${item('"read":{"watermark":1}')}]}]}`);
    const events = parse(raw);
    expect(events).toHaveLength(1);
    expect(events[0]?.event.platform).toBe(Platform.PLATFORM_MESSENGER);
    expect(events[0]?.event.kind?.$case).toBe('read');
  });
});

describe('dedup keys and event ids', () => {
  const message = item('"message":{"mid":"m_same","text":"hi"}');
  const edit = item('"message_edit":{"mid":"m_same","text":"hi!","num_edit":1}');
  const echo = item('"message":{"mid":"m_same","is_echo":true,"app_id":1,"text":"hi"}', { sender: PAGE, recipient: PSID });

  it('a message, its edit and its echo are distinct', () => {
    const events = parse(body([message, edit, echo]));
    expect(events.map((e) => e.dedupKey)).toEqual(['message:m_same', 'edit:m_same:1', 'echo:m_same']);
    expect(new Set(events.map((e) => e.event.eventId)).size).toBe(3);
    const edit2 = parse(body([item('"message_edit":{"mid":"m_same","text":"hi!!","num_edit":2}')]))[0];
    expect(edit2?.dedupKey).toBe('edit:m_same:2');
  });

  it('the same item twice (a Meta retry, another replica) gets the same id; other times and contexts do not matter', () => {
    const read = item('"read":{"watermark":1458668856253}');
    const a = parse(body([message, read]));
    const b = parse(body([message, read]), { receivedAt: CTX.receivedAt + 60_000, traceparent: '', tracestate: '' });
    expect(b.map((e) => e.event.eventId)).toEqual(a.map((e) => e.event.eventId));
    expect(b.map((e) => e.dedupKey)).toEqual(a.map((e) => e.dedupKey));
    const twice = parse(body([read, read]));
    expect(twice[0]?.event.eventId).toBe(twice[1]?.event.eventId);
  });

  it('a hashed key ignores key order and escaping, but not content, page or sender', () => {
    const a = parse(body([`{"sender":{"id":"${PSID}"},"recipient":{"id":"${PAGE}"},"timestamp":${TS},"postback":{"title":"Go","payload":"\\u00e4"}}`]))[0];
    const b = parse(body([`{"postback":{"payload":"ä","title":"Go"},"timestamp":${TS},"recipient":{"id":"${PAGE}"},"sender":{"id":"${PSID}"}}`]))[0];
    expect(a?.dedupKey).toMatch(/^hash:/);
    expect(b?.dedupKey).toBe(a?.dedupKey);
    expect(b?.event.eventId).toBe(a?.event.eventId);
    expect(b?.event.rawJson).not.toBe(a?.event.rawJson);
    const otherPayload = parse(body([`{"sender":{"id":"${PSID}"},"recipient":{"id":"${PAGE}"},"timestamp":${TS},"postback":{"title":"Go","payload":"a"}}`]))[0];
    expect(otherPayload?.event.eventId).not.toBe(a?.event.eventId);
    const otherPage = parse(body([`{"sender":{"id":"${PSID}"},"recipient":{"id":"${PAGE}"},"timestamp":${TS},"postback":{"title":"Go","payload":"a"}}`], { page: '9999' }))[0];
    expect(otherPage?.event.eventId).not.toBe(otherPayload?.event.eventId);
  });

  it('a message or edit without a mid falls back to the hash', () => {
    const [m, e] = parse(body([item('"message":{"text":"no mid"}'), item('"message_edit":{"mid":"","num_edit":1}')]));
    expect(m?.dedupKey).toMatch(/^hash:[0-9a-f]{64}$/);
    expect(e?.dedupKey).toMatch(/^hash:[0-9a-f]{64}$/);
    expect(m?.dedupKey).not.toBe(e?.dedupKey);
  });
});

describe('bad bodies', () => {
  const bad = (raw: string | Buffer): string => {
    const r = parseWebhook(typeof raw === 'string' ? Buffer.from(raw) : raw, CTX);
    expect(r.ok).toBe(false);
    return r.ok ? '' : r.why;
  };

  it('not JSON, not an object, not UTF-8', () => {
    expect(bad('')).toMatch(/not JSON/);
    expect(bad('{"object":"page",')).toMatch(/not JSON/);
    expect(bad('object=page')).toMatch(/not JSON/);
    expect(bad('[]')).toBe('body is not a JSON object');
    expect(bad('"page"')).toBe('body is not a JSON object');
    expect(bad(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]))).toBe('body is not valid UTF-8');
  });

  it('an unknown or missing object', () => {
    expect(bad('{"object":"user","entry":[]}')).toBe('unknown object "user"');
    expect(bad('{"entry":[]}')).toBe('unknown object (missing)');
    expect(bad('{"object":1,"entry":[]}')).toBe('unknown object (number)');
    expect(bad(`{"object":"${'x'.repeat(10_000)}","entry":[]}`).length).toBeLessThan(100);
  });

  it('entry missing or not an array', () => {
    expect(bad('{"object":"page"}')).toBe('entry is missing or not an array');
    expect(bad('{"object":"page","entry":{"id":"1"}}')).toBe('entry is missing or not an array');
  });

  it(`more than ${MAX_ITEMS} items (all entries together)`, () => {
    const read = item('"read":{"watermark":1}');
    const half = Array.from({ length: MAX_ITEMS / 2 }, () => read).join(',');
    const exactly = Buffer.from(`{"object":"page","entry":[{"id":"1","messaging":[${half}]},{"id":"2","standby":[${half}]}]}`);
    const r = parseWebhook(exactly, CTX);
    expect(r.ok && r.events.length).toBe(MAX_ITEMS);
    expect(bad(`{"object":"page","entry":[{"id":"1","messaging":[${half}]},{"id":"2","standby":[${half},${read}]}]}`)).toMatch(/^too many items/);
  });

  it('a reason echoes at most 40 characters of the body (a cut `object` value)', () => {
    const secret = 'SECRET-CONTENT-'.repeat(20);
    for (const raw of [`{"object":"page","entry":[${secret}]}`, `{"object":"${secret}"}`, `${secret}`]) {
      const why = bad(raw);
      expect(why.length).toBeLessThanOrEqual(100);
      expect(why).not.toContain(secret.slice(0, 41));
    }
  });
});
