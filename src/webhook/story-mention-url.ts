/**
 * A story mention's CDN URL, kept once: in the typed `attachments[].url`. Meta sends it once
 * (`payload.url`), but an event also carries the attachment's payload (`payload_json`) and the
 * whole item (`raw_json`) as sent, which made three copies of it (a 3 MB URL, a 9 MB event). Its
 * value there is blanked (`""`); everything else stays as sent. A URL longer than any CDN URL
 * (Meta's are a few hundred characters) is not kept at all: the mention arrives without it.
 */
import type { Json, JsonObject, Span, SpanIndex } from './json-spans';

/** The longest story mention URL kept (characters); a longer one is dropped. */
export const STORY_MENTION_URL_MAX_CHARS = 4096;

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The attachment's `payload` when it is a story mention's with a `url`, else undefined. */
export function storyMentionPayload(attachment: Json): JsonObject | undefined {
  if (!isObject(attachment) || !Object.hasOwn(attachment, 'type') || attachment.type !== 'story_mention') return undefined;
  const payload = Object.hasOwn(attachment, 'payload') ? attachment.payload : undefined;
  return isObject(payload) && Object.hasOwn(payload, 'url') ? payload : undefined;
}

/**
 * Where the story mention URLs of an item are in the body (the value `JSON.parse` keeps of each),
 * or undefined when it has none: the common case allocates nothing.
 */
export function storyMentionUrlSpans(spans: SpanIndex, item: JsonObject): Span[] | undefined {
  const message = Object.hasOwn(item, 'message') ? item.message : undefined;
  if (!isObject(message) || !Object.hasOwn(message, 'attachments')) return undefined;
  const attachments = message.attachments;
  if (!Array.isArray(attachments)) return undefined;
  let found: Span[] | undefined;
  for (const a of attachments) {
    const payload = storyMentionPayload(a);
    const span = payload && spans.of(payload, 'url');
    if (span) (found ??= []).push(span);
  }
  return found;
}

/** `text` (which starts at `offset` in the body) with the values at `cut` (body spans, in text order) as `""`. */
export function blankSpans(text: string, offset: number, cut: readonly Span[]): string {
  let out = '';
  let at = 0;
  for (const s of cut) {
    out += `${text.slice(at, s.start - offset)}""`;
    at = s.end - offset;
  }
  return out + text.slice(at);
}
