import { ReceivedAttachmentType, type ReceivedAttachment } from '../../gen/messenger/v1/events';
import type { ConversationSummary, HistoryMessage, HistoryReaction, Participant } from '../../gen/messenger/v1/history';
import type { Malformed } from './from-graph';

// Graph's ids, names and cursors have tens to hundreds of characters; far longer values are not
// passed on (a cursor past this is no cursor the gateway hands on).
const MAX_STRING = 2048;
/** Meta's cursors are opaque base64 of a few hundred characters at most. */
export const MAX_GRAPH_CURSOR = 512;
// A page of Graph's answer holds at most the `limit` asked (<= 100); more is not Graph.
const MAX_ITEMS = 1000;

/** One page of a Conversations API edge: its items, and Meta's `after` cursor when there is a next page. */
export interface GraphPage<T> {
  items: T[];
  after: string | undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function text(v: unknown): string | undefined {
  if (typeof v === 'string' && v.length <= MAX_STRING) return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  return undefined;
}

function count(v: unknown): number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= 0x7fffffff ? v : 0;
}

/** Graph's `2026-12-07T21:41:07+0000` (or ISO with a colon) as a Date; undefined when it is not a time. */
export function graphTime(v: unknown): Date | undefined {
  if (typeof v !== 'string' || v.length > 40) return undefined;
  const d = new Date(v.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  return Number.isFinite(d.getTime()) ? d : undefined;
}

/** `paging`: the `after` cursor, only when Graph says there is a next page (`paging.next`). */
function afterOf(paging: unknown): string | undefined {
  if (!isRecord(paging) || typeof paging.next !== 'string') return undefined;
  const after = isRecord(paging.cursors) ? paging.cursors.after : undefined;
  return typeof after === 'string' && after !== '' && after.length <= MAX_GRAPH_CURSOR ? after : undefined;
}

function dataOf(edge: unknown): unknown[] | undefined {
  if (!isRecord(edge) || !Array.isArray(edge.data)) return undefined;
  return edge.data.slice(0, MAX_ITEMS);
}

function participantOf(p: unknown): Participant | undefined {
  if (!isRecord(p)) return undefined;
  const id = text(p.id);
  return id === undefined ? undefined : { id, name: text(p.name) ?? text(p.username) ?? '' };
}

/** `GET /{page-id}/conversations`: `{data: [{id, participants, updated_time, message_count, unread_count}], paging}`. */
export function fromGraphConversations(body: Record<string, unknown>): GraphPage<ConversationSummary> | Malformed {
  const data = dataOf(body);
  if (!data) return { malformed: 'no data array in the answer' };
  const items: ConversationSummary[] = [];
  for (const c of data) {
    const id = isRecord(c) ? text(c.id) : undefined;
    if (!isRecord(c) || id === undefined) return { malformed: 'a conversation without an id' };
    items.push({
      id,
      participants: (dataOf(c.participants) ?? []).map(participantOf).filter((p): p is Participant => p !== undefined),
      updatedTime: graphTime(c.updated_time),
      messageCount: count(c.message_count),
      unreadCount: count(c.unread_count),
    });
  }
  return { items, after: afterOf(body.paging) };
}

const ATTACHMENT_TYPES: ReadonlyArray<readonly [string, ReceivedAttachmentType, string]> = [
  ['image_data', ReceivedAttachmentType.RECEIVED_ATTACHMENT_TYPE_IMAGE, 'image'],
  ['video_data', ReceivedAttachmentType.RECEIVED_ATTACHMENT_TYPE_VIDEO, 'video'],
];

/** One of `attachments.data[]`: Graph's `image_data`/`video_data`/`file_url` with a `mime_type`. */
function attachmentOf(a: unknown): ReceivedAttachment | undefined {
  if (!isRecord(a)) return undefined;
  const base = { typeName: '', url: '', stickerId: '', title: text(a.name) ?? '', payloadJson: '', doNotStore: false, mediaId: '' };
  for (const [key, type, name] of ATTACHMENT_TYPES) {
    const data = a[key];
    if (isRecord(data)) return { ...base, type, typeName: name, url: text(data.url) ?? '' };
  }
  const mime = text(a.mime_type) ?? '';
  const url = text(a.file_url) ?? '';
  if (mime.startsWith('audio/')) return { ...base, type: ReceivedAttachmentType.RECEIVED_ATTACHMENT_TYPE_AUDIO, typeName: 'audio', url };
  return { ...base, type: ReceivedAttachmentType.RECEIVED_ATTACHMENT_TYPE_FILE, typeName: 'file', url };
}

function reactionsOf(v: unknown): HistoryReaction[] {
  const out: HistoryReaction[] = [];
  for (const r of dataOf(v) ?? []) {
    if (!isRecord(r)) continue;
    const reaction = text(r.reaction) ?? text(r.emoji) ?? '';
    const users = Array.isArray(r.users) ? r.users.slice(0, MAX_ITEMS) : [];
    if (users.length === 0) out.push({ reaction, userId: '' });
    for (const u of users) out.push({ reaction, userId: (isRecord(u) ? text(u.id) : undefined) ?? '' });
  }
  return out;
}

/**
 * A message node (`id, created_time, from, to, message, attachments, sticker, reply_to,
 * reactions`), typed like a received event's message. `is_echo` is set by whoever knows the
 * Page (the sender is the Page).
 */
export function fromGraphHistoryMessage(m: unknown): HistoryMessage | undefined {
  if (!isRecord(m)) return undefined;
  const id = text(m.id);
  if (id === undefined) return undefined;
  const from = isRecord(m.from) ? text(m.from.id) : undefined;
  const to = dataOf(m.to)?.[0];
  const attachments = (dataOf(m.attachments) ?? []).map(attachmentOf).filter((a): a is ReceivedAttachment => a !== undefined);
  const sticker = text(m.sticker);
  if (sticker) attachments.push({ type: ReceivedAttachmentType.RECEIVED_ATTACHMENT_TYPE_STICKER, typeName: 'sticker', url: sticker, stickerId: '', title: '', payloadJson: '', doNotStore: false, mediaId: '' });
  const replyTo = isRecord(m.reply_to) ? (text(m.reply_to.mid) ?? text(m.reply_to.id) ?? '') : '';
  return {
    id,
    senderId: from ?? '',
    recipientId: (isRecord(to) ? text(to.id) : undefined) ?? '',
    createdTime: graphTime(m.created_time),
    message: { mid: id, text: text(m.message) ?? '', attachments, quickReplyPayload: '', replyToMid: replyTo, referral: undefined, isEcho: false, appId: '', metadata: '' },
    reactions: reactionsOf(m.reactions),
  };
}

/** `GET /{conversation-id}?fields=messages{...}`: `{id, messages: {data: [...], paging}}`. */
export function fromGraphConversationMessages(body: Record<string, unknown>): (GraphPage<HistoryMessage> & { conversationId: string }) | Malformed {
  const conversationId = text(body.id) ?? '';
  // A conversation with no messages has no `messages` edge at all.
  if (body.messages === undefined) return { conversationId, items: [], after: undefined };
  const data = dataOf(body.messages);
  if (!data) return { malformed: 'no messages.data array in the answer' };
  const items: HistoryMessage[] = [];
  for (const m of data) {
    const message = fromGraphHistoryMessage(m);
    if (!message) return { malformed: 'a message without an id' };
    items.push(message);
  }
  return { conversationId, items, after: afterOf(isRecord(body.messages) ? body.messages.paging : undefined) };
}
