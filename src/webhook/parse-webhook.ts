/**
 * Turns one webhook POST body into events: every item of every entry's `messaging` and
 * `standby`, in order (entries in order; within an entry its `messaging` items, then its
 * `standby` items). Pure: no clock, no I/O; the caller checked the signature first.
 *
 * Each event keeps its item exactly as Meta sent it (`rawJson`, cut out of the body), an
 * id derived from what Meta's retries share (`dedupKey`), and its conversation (platform,
 * account and person), the unit of ordering. Wrong types inside an item never fail the request: ids
 * given as numbers become strings, anything missing or of the wrong type becomes '' (or
 * 0, false, unset), an item that is not an object arrives as `unknown`.
 */
import { hash } from 'node:crypto';
import {
  HandoverAction,
  Platform,
  ReactionAction,
  ReceivedAttachmentType,
  type Event,
  type ReceivedAttachment,
  type Referral,
} from '../../gen/messenger/v1/events';
import { conversationOf } from '../events/conversation-key';
import type { NewEvent } from '../events/event-store';
import { eventIdOf, messageDedupKey } from '../events/event-identity';
import { MAX_TIMESTAMP_MS } from '../limits/timestamp-range';
import { canonicalJson, parseJsonWithSpans, type Json, type JsonObject, type SpanIndex } from './json-spans';
import { blankSpans, STORY_MENTION_URL_MAX_CHARS, storyMentionPayload, storyMentionUrlSpans } from './story-mention-url';

export interface ParseContext {
  /** When the request arrived (epoch ms): `receivedTime`, and `time` when the item has none. */
  receivedAt: number;
  /** W3C trace context of the webhook request, copied onto every event. */
  traceparent: string;
  tracestate: string;
}

export type ParseResult = { ok: true; events: NewEvent[] } | { ok: false; why: string };

/** Most items (`messaging` and `standby`, all entries together) one request may carry. */
export const MAX_ITEMS = 10_000;

type Kind = NonNullable<Event['kind']>;

/** The kind names that go into hashed dedup keys: the proto's oneof field names. */
const KIND_NAMES: Record<Kind['$case'], string> = {
  message: 'message',
  postback: 'postback',
  read: 'read',
  delivery: 'delivery',
  reaction: 'reaction',
  optin: 'optin',
  referral: 'referral',
  messageEdit: 'message_edit',
  handover: 'handover',
  policyEnforcement: 'policy_enforcement',
  unknown: 'unknown',
  messageDeleted: 'message_deleted',
  // The gateway's own (a backfill's markers), never parsed from a webhook.
  backfillStarted: 'backfill_started',
  backfillEnded: 'backfill_ended',
};

const PLATFORMS: Record<string, Platform> = { page: Platform.PLATFORM_MESSENGER, instagram: Platform.PLATFORM_INSTAGRAM };

const ATTACHMENT_TYPES: Record<string, ReceivedAttachmentType> = {
  image: ReceivedAttachmentType.RECEIVED_ATTACHMENT_TYPE_IMAGE,
  video: ReceivedAttachmentType.RECEIVED_ATTACHMENT_TYPE_VIDEO,
  audio: ReceivedAttachmentType.RECEIVED_ATTACHMENT_TYPE_AUDIO,
  file: ReceivedAttachmentType.RECEIVED_ATTACHMENT_TYPE_FILE,
  sticker: ReceivedAttachmentType.RECEIVED_ATTACHMENT_TYPE_STICKER,
  location: ReceivedAttachmentType.RECEIVED_ATTACHMENT_TYPE_LOCATION,
  fallback: ReceivedAttachmentType.RECEIVED_ATTACHMENT_TYPE_FALLBACK,
  template: ReceivedAttachmentType.RECEIVED_ATTACHMENT_TYPE_TEMPLATE,
  story_mention: ReceivedAttachmentType.RECEIVED_ATTACHMENT_TYPE_STORY_MENTION,
  // `share` is what Instagram sent for a shared post before `ig_post` replaced it.
  ig_post: ReceivedAttachmentType.RECEIVED_ATTACHMENT_TYPE_SHARED_POST,
  share: ReceivedAttachmentType.RECEIVED_ATTACHMENT_TYPE_SHARED_POST,
};

const HANDOVER_KEYS: ReadonlyArray<readonly [string, HandoverAction]> = [
  ['pass_thread_control', HandoverAction.HANDOVER_ACTION_PASS],
  ['take_thread_control', HandoverAction.HANDOVER_ACTION_TAKE],
  ['request_thread_control', HandoverAction.HANDOVER_ACTION_REQUEST],
];

/** Keys every item has besides its kind. */
const ENVELOPE_KEYS = new Set(['sender', 'recipient', 'timestamp']);

const INTEGER_LITERAL = /^-?[0-9]+$/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const DIGITS = /^[0-9]+$/;

// ---------------------------------------------------------------- defensive readers

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An own property only (never `constructor` and the like from the prototype). */
function get(o: JsonObject | undefined, key: string): Json | undefined {
  return o !== undefined && Object.hasOwn(o, key) ? o[key] : undefined;
}

function obj(o: JsonObject | undefined, key: string): JsonObject | undefined {
  const v = get(o, key);
  return isObject(v) ? v : undefined;
}

/**
 * A string field: strings as they are; numbers (Meta sends some ids, app ids and sticker
 * ids as numbers) as their literal text when it is an integer (exact past 2^53), else
 * String(n); anything else ''.
 */
function str(spans: SpanIndex, o: JsonObject | undefined, key: string): string {
  return o === undefined ? '' : stringOf(get(o, key), () => spans.textOf(o, key));
}

/** `str` for an array element. */
function strAt(spans: SpanIndex, a: Json[], index: number): string {
  return stringOf(a[index], () => spans.textOf(a, index));
}

function stringOf(v: Json | undefined, literal: () => string | undefined): string {
  if (typeof v === 'string') return wellFormed(v);
  if (typeof v === 'number') {
    const text = literal();
    return text !== undefined && INTEGER_LITERAL.test(text) ? text : String(v);
  }
  return '';
}

/**
 * Lone surrogates (JSON may carry `\ud83d` alone) become U+FFFD: proto strings are UTF-8,
 * the wire would replace them anyway. `rawJson` keeps the escape as sent.
 */
function wellFormed(s: string): string {
  return s.replace(LONE_SURROGATE, '\ufffd');
}

/** A time in epoch ms (a number, or a string of digits) as a Date; unset when absent or out of range. */
function msDate(o: JsonObject | undefined, key: string): Date | undefined {
  const v = get(o, key);
  const ms = typeof v === 'number' ? v : typeof v === 'string' && DIGITS.test(v) ? Number(v) : NaN;
  if (!Number.isFinite(ms) || ms < 0 || ms > MAX_TIMESTAMP_MS) return undefined;
  return new Date(Math.trunc(ms));
}

/** An int32 field: an integer number (or string of digits) in range, else 0. */
function int32(o: JsonObject | undefined, key: string): number {
  const v = get(o, key);
  const n = typeof v === 'number' ? Math.trunc(v) : typeof v === 'string' && INTEGER_LITERAL.test(v) ? Number(v) : NaN;
  // `+ 0` turns -0 into 0 (as the wire would).
  return Number.isSafeInteger(n) && n >= -2_147_483_648 && n <= 2_147_483_647 ? n + 0 : 0;
}

/** A double field: a finite number (or numeric string), else 0. */
function double(o: JsonObject | undefined, key: string): number {
  const v = get(o, key);
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n + 0 : 0;
}

function sha256Hex(s: string): string {
  // One-shot: no Hash object per event (UTF-8, as createHash().update(s, 'utf8') hashes it).
  return hash('sha256', s, 'hex');
}

// ---------------------------------------------------------------- kinds

function referralOf(spans: SpanIndex, r: JsonObject | undefined): Referral | undefined {
  if (r === undefined) return undefined;
  return {
    ref: str(spans, r, 'ref'),
    source: str(spans, r, 'source'),
    type: str(spans, r, 'type'),
    adId: str(spans, r, 'ad_id'),
    refererUri: str(spans, r, 'referer_uri'),
  };
}

function attachmentOf(spans: SpanIndex, a: Json): ReceivedAttachment {
  const att = isObject(a) ? a : undefined;
  const typeName = str(spans, att, 'type');
  const payload = obj(att, 'payload');
  const coordinates = obj(payload, 'coordinates');
  const type = Object.hasOwn(ATTACHMENT_TYPES, typeName) ? (ATTACHMENT_TYPES[typeName] as ReceivedAttachmentType) : ReceivedAttachmentType.RECEIVED_ATTACHMENT_TYPE_UNSPECIFIED;
  // A story mention's URL is kept once, here: blanked in payload_json (and raw_json), bounded.
  const mention = type === ReceivedAttachmentType.RECEIVED_ATTACHMENT_TYPE_STORY_MENTION ? storyMentionPayload(a) : undefined;
  const payloadJson = att === undefined || !Object.hasOwn(att, 'payload') ? '' : mention ? blankedPayload(spans, att, mention) : (spans.textOf(att, 'payload') ?? '');
  // Older fallback and location attachments carry `url` and `title` beside the payload.
  const url = str(spans, payload, 'url') || (mention ? '' : str(spans, att, 'url'));
  return {
    type,
    typeName,
    url: mention && url.length > STORY_MENTION_URL_MAX_CHARS ? '' : url,
    stickerId: str(spans, payload, 'sticker_id'),
    coordinates: coordinates === undefined ? undefined : { lat: double(coordinates, 'lat'), long: double(coordinates, 'long') },
    title: str(spans, att, 'title') || str(spans, payload, 'title'),
    payloadJson,
    // Meta forbids storing a story mention's media: consumers are told, the gateway never fetches it.
    doNotStore: type === ReceivedAttachmentType.RECEIVED_ATTACHMENT_TYPE_STORY_MENTION,
    mediaId: str(spans, payload, 'ig_post_media_id'),
  };
}

/** A story mention's payload as sent, its URL's value blanked. */
function blankedPayload(spans: SpanIndex, att: JsonObject, mention: JsonObject): string {
  const at = spans.of(att, 'payload');
  const url = spans.of(mention, 'url');
  const text = spans.textOf(att, 'payload') ?? '';
  return at && url ? blankSpans(text, at.start, [url]) : text;
}

/** The item's kind: the first of Meta's kind keys it has (message before a top-level referral, ...). */
function kindOf(spans: SpanIndex, item: JsonObject): Kind {
  const has = (k: string): boolean => Object.hasOwn(item, k);
  const topReferral = obj(item, 'referral');

  if (has('message')) {
    const m = obj(item, 'message');
    // Instagram's unsend: the same mid as the message it removes, nothing else of it.
    if (get(m, 'is_deleted') === true) return { $case: 'messageDeleted', value: { mid: str(spans, m, 'mid'), isEcho: get(m, 'is_echo') === true } };
    const attachments = get(m, 'attachments');
    const replyTo = obj(m, 'reply_to');
    const story = obj(replyTo, 'story');
    return {
      $case: 'message',
      value: {
        mid: str(spans, m, 'mid'),
        text: str(spans, m, 'text'),
        attachments: Array.isArray(attachments) ? attachments.map((a) => attachmentOf(spans, a)) : [],
        quickReplyPayload: str(spans, obj(m, 'quick_reply'), 'payload'),
        replyToMid: str(spans, replyTo, 'mid'),
        referral: referralOf(spans, obj(m, 'referral') ?? topReferral),
        isEcho: get(m, 'is_echo') === true,
        appId: str(spans, m, 'app_id'),
        metadata: str(spans, m, 'metadata'),
        storyReply: story === undefined ? undefined : { id: str(spans, story, 'id'), url: str(spans, story, 'url') },
      },
    };
  }
  if (has('message_edit')) {
    const e = obj(item, 'message_edit');
    return { $case: 'messageEdit', value: { mid: str(spans, e, 'mid'), text: str(spans, e, 'text'), numEdit: int32(e, 'num_edit') } };
  }
  if (has('postback')) {
    const p = obj(item, 'postback');
    return {
      $case: 'postback',
      value: {
        title: str(spans, p, 'title'),
        payload: str(spans, p, 'payload'),
        mid: str(spans, p, 'mid'),
        referral: referralOf(spans, obj(p, 'referral') ?? topReferral),
      },
    };
  }
  if (has('reaction')) {
    const r = obj(item, 'reaction');
    const action = str(spans, r, 'action');
    return {
      $case: 'reaction',
      value: {
        mid: str(spans, r, 'mid'),
        action:
          action === 'react' ? ReactionAction.REACTION_ACTION_REACT : action === 'unreact' ? ReactionAction.REACTION_ACTION_UNREACT : ReactionAction.REACTION_ACTION_UNSPECIFIED,
        reaction: str(spans, r, 'reaction'),
        emoji: str(spans, r, 'emoji'),
      },
    };
  }
  if (has('read')) {
    // Messenger's `message_reads` carry a watermark, Instagram's `messaging_seen` the mid seen.
    const r = obj(item, 'read');
    return { $case: 'read', value: { watermark: msDate(r, 'watermark'), mid: str(spans, r, 'mid') } };
  }
  if (has('delivery')) {
    const d = obj(item, 'delivery');
    const mids = get(d, 'mids');
    return {
      $case: 'delivery',
      value: {
        // Each mid coerced as any string field; elements that are no string (nor number) are left out.
        mids: Array.isArray(mids) ? mids.map((_, i) => strAt(spans, mids, i)).filter((s) => s !== '') : [],
        watermark: msDate(d, 'watermark'),
      },
    };
  }
  if (has('optin')) {
    const o = obj(item, 'optin');
    return {
      $case: 'optin',
      value: {
        ref: str(spans, o, 'ref'),
        userRef: str(spans, o, 'user_ref'),
        type: str(spans, o, 'type'),
        payload: str(spans, o, 'payload'),
        notificationMessagesToken: str(spans, o, 'notification_messages_token'),
        notificationMessagesFrequency: str(spans, o, 'notification_messages_frequency'),
        tokenExpiryTime: msDate(o, 'token_expiry_timestamp'),
        userTokenStatus: str(spans, o, 'user_token_status'),
        notificationMessagesTimezone: str(spans, o, 'notification_messages_timezone'),
      },
    };
  }
  if (has('referral')) {
    return { $case: 'referral', value: { referral: referralOf(spans, topReferral ?? {}) } };
  }
  for (const [key, action] of HANDOVER_KEYS) {
    if (!has(key)) continue;
    const h = obj(item, key);
    return {
      $case: 'handover',
      value: {
        action,
        newOwnerAppId: str(spans, h, 'new_owner_app_id'),
        previousOwnerAppId: str(spans, h, 'previous_owner_app_id'),
        requestedOwnerAppId: str(spans, h, 'requested_owner_app_id'),
        metadata: str(spans, h, 'metadata'),
      },
    };
  }
  // Meta's sample payload spells the key `policy-enforcement`, the field is `messaging_policy_enforcement`: accept both spellings.
  for (const key of ['policy_enforcement', 'policy-enforcement']) {
    if (!has(key)) continue;
    const p = obj(item, key);
    return { $case: 'policyEnforcement', value: { action: str(spans, p, 'action'), reason: str(spans, p, 'reason') } };
  }
  return { $case: 'unknown', value: { keys: Object.keys(item).filter((k) => !ENVELOPE_KEYS.has(k)).map(wellFormed) } };
}

// ---------------------------------------------------------------- items

interface ItemContext {
  spans: SpanIndex;
  pageId: string;
  entryTime: Date | undefined;
  platform: Platform;
  standby: boolean;
  context: ParseContext;
}

/**
 * `message:`/`echo:`/`edit:`/`deleted:` keys from the mid; otherwise (or with no mid) a hash of
 * page, sender, kind and item. An unsend shares its message's mid, so it needs a key of its own
 * (else it would be taken for a retry of the message and dropped).
 */
function dedupKeyOf(kind: Kind, pageId: string, senderId: string, item: Json): string {
  if (kind.$case === 'message' && kind.value.mid !== '') return messageDedupKey(kind.value.mid, kind.value.isEcho);
  if (kind.$case === 'messageDeleted' && kind.value.mid !== '') return `deleted:${kind.value.mid}`;
  if (kind.$case === 'messageEdit' && kind.value.mid !== '') return `edit:${kind.value.mid}:${kind.value.numEdit}`;
  return `hash:${sha256Hex(`${pageId}\u0000${senderId}\u0000${KIND_NAMES[kind.$case]}\u0000${canonicalJson(item)}`)}`;
}

/** The item as sent, but for its story mentions' URLs (kept once, in the typed attachment). */
function rawJsonOf(spans: SpanIndex, items: Json[], index: number, item: JsonObject | undefined): string {
  const text = spans.textOf(items, index) ?? '';
  const cut = item && storyMentionUrlSpans(spans, item);
  const at = cut && spans.of(items, index);
  return at ? blankSpans(text, at.start, cut) : text;
}

function eventOf(c: ItemContext, items: Json[], index: number): NewEvent {
  const raw = items[index] as Json;
  const item = isObject(raw) ? raw : undefined;
  const rawJson = rawJsonOf(c.spans, items, index, item);
  const senderId = str(c.spans, obj(item, 'sender'), 'id');
  const recipientId = str(c.spans, obj(item, 'recipient'), 'id');
  const kind: Kind = item === undefined ? { $case: 'unknown', value: { keys: [] } } : kindOf(c.spans, item);
  const dedupKey = dedupKeyOf(kind, c.pageId, senderId, raw);
  const event: Event = {
    eventId: eventIdOf(dedupKey),
    pageId: c.pageId,
    senderId,
    recipientId,
    time: msDate(item, 'timestamp') ?? c.entryTime ?? new Date(c.context.receivedAt),
    standby: c.standby,
    rawJson,
    platform: c.platform,
    receivedTime: new Date(c.context.receivedAt),
    traceparent: c.context.traceparent,
    tracestate: c.context.tracestate,
    historical: false,
    kind,
  };
  return { event, dedupKey, conversation: conversationOf(event) };
}

/** A short, bounded description of a value for a reason (never more than a few dozen characters of it). */
function describe(v: Json | undefined): string {
  if (v === undefined) return '(missing)';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  return `(${v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v})`;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Parses one webhook body into events (all or nothing); never throws. */
export function parseWebhook(raw: Buffer, context: ParseContext): ParseResult {
  let text: string;
  try {
    text = UTF8.decode(raw);
  } catch {
    return { ok: false, why: 'body is not valid UTF-8' };
  }
  const parsed = parseJsonWithSpans(text);
  if (!parsed.ok) return { ok: false, why: `body is not JSON: ${parsed.why}` };
  const { value: body, spans } = parsed;
  if (!isObject(body)) return { ok: false, why: 'body is not a JSON object' };

  const object = get(body, 'object');
  const platform = typeof object === 'string' && Object.hasOwn(PLATFORMS, object) ? PLATFORMS[object] : undefined;
  if (platform === undefined) return { ok: false, why: `unknown object ${describe(object)}` };

  const entries = get(body, 'entry');
  if (!Array.isArray(entries)) return { ok: false, why: 'entry is missing or not an array' };

  let total = 0;
  for (const entry of entries) {
    if (!isObject(entry)) continue;
    for (const key of ['messaging', 'standby']) {
      const items = get(entry, key);
      if (Array.isArray(items)) total += items.length;
    }
  }
  if (total > MAX_ITEMS) return { ok: false, why: `too many items (${total}, at most ${MAX_ITEMS})` };

  const events: NewEvent[] = [];
  for (const entry of entries) {
    // An entry that is not an object has no items; an entry with only `changes` neither.
    if (!isObject(entry)) continue;
    const pageId = str(spans, entry, 'id');
    const entryTime = msDate(entry, 'time');
    for (const key of ['messaging', 'standby']) {
      const items = get(entry, key);
      if (!Array.isArray(items)) continue;
      const c: ItemContext = { spans, pageId, entryTime, platform, standby: key === 'standby', context };
      for (let i = 0; i < items.length; i++) events.push(eventOf(c, items, i));
    }
  }
  return { ok: true, events };
}
