import type { ObservedCustomerMessage, ObservedSend, SandboxObserver, SendOutcome } from '../sandbox/sandbox-observer';
import { callerStatusOf } from './grpc-status-of';
import type { InboxConversation, InboxFailure, InboxItem, InboxSummary } from './inbox-types';

/** A past message a backfill stored, as the inbox shows it. */
export interface HistoricalMessage {
  pageId: string;
  psid: string;
  mid: string;
  fromPage: boolean;
  text: string;
  /** Meta's time (epoch ms). */
  at: number;
}

/** Bounds, so a long-running sandbox does not grow without end (the oldest go first). */
export const MAX_CONVERSATIONS = 500;
export const MAX_ITEMS = 500;
/** Messenger drops a typing indicator that nothing turned off after about 20 s; so does the inbox. */
export const TYPING_EXPIRES_MS = 20_000;

export interface ConversationStoreOptions {
  /** How long a `typing_on` shows without a message or `typing_off` (default {@link TYPING_EXPIRES_MS}). */
  typingExpiresMs?: number;
}

type Listener = (conversation: InboxConversation | undefined) => void;

const RECIPIENT_KEYS = ['id', 'user_ref', 'phone_number', 'comment_id', 'post_id', 'notification_messages_token'];

/**
 * The inbox's conversations, one per Page and recipient, fed by the sandbox as its observer:
 * messages become items, accepted sender actions change the conversation (typing, seen,
 * reactions), refused sends stay in place with what the caller got. In memory only.
 */
export class ConversationStore implements SandboxObserver {
  private readonly conversations = new Map<string, InboxConversation>();
  private readonly listeners = new Set<Listener>();
  /** The timer that ends each conversation's typing indicator, by conversation key. */
  private readonly typingTimers = new Map<string, NodeJS.Timeout>();
  private readonly typingExpiresMs: number;
  private nextId = 1;

  constructor(options: ConversationStoreOptions = {}) {
    this.typingExpiresMs = options.typingExpiresMs ?? TYPING_EXPIRES_MS;
  }

  /** Called with each changed conversation, or with undefined when everything was cleared. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  onSend(send: ObservedSend, refusal?: InboxFailure): void {
    const recipient = recipientOf(send.body.recipient);
    if (recipient === undefined) return;
    const psid = recipient.key === 'id' ? recipient.value : (send.outcome.kind === 'ok' && send.outcome.recipientId) || recipient.value;
    const c = (recipient.key === 'id' ? this.instagramConversationOf(send.pageId, recipient.value) : undefined)
      ?? this.conversation(send.pageId, recipient.key === 'id' ? recipient.value : `${recipient.key}:${recipient.value}`, psid);
    const failure = refusal ?? failureOf(send.outcome);
    const action = typeof send.body.sender_action === 'string' ? send.body.sender_action.toLowerCase() : undefined;
    if (action !== undefined && failure === undefined) {
      applyAction(c, action, send.body.payload, send.at);
      if (action === 'typing_on') this.expireTyping(c);
      else if (action === 'typing_off') this.stopTypingTimer(c.key);
    } else {
      const item: InboxItem = { id: this.nextId++, at: send.at, from: 'page' };
      if (send.outcome.kind === 'ok' && send.outcome.messageId) item.mid = send.outcome.messageId;
      if (isObject(send.body.message)) item.message = send.body.message;
      if (action !== undefined) item.senderAction = action;
      const str = (k: string) => (typeof send.body[k] === 'string' ? (send.body[k] as string) : typeof send.body[k] === 'number' ? String(send.body[k]) : undefined);
      const set = <K extends keyof InboxItem>(k: K, v: InboxItem[K] | undefined) => v !== undefined && (item[k] = v);
      set('messagingType', str('messaging_type'));
      set('tag', str('tag'));
      set('personaId', str('persona_id'));
      set('notificationType', str('notification_type'));
      const replyTo = send.body.reply_to;
      if (isObject(replyTo) && typeof replyTo.mid === 'string') item.replyTo = replyTo.mid;
      set('failure', failure);
      if (send.delayedMs) item.delayedMs = send.delayedMs;
      // Messenger stops the typing indicator when the message arrives.
      if (failure === undefined) {
        c.typing = false;
        this.stopTypingTimer(c.key);
      }
      push(c, item);
    }
    c.updatedAt = send.at;
    this.changed(c);
  }

  /**
   * A send the gateway's conversation policy refused before Graph (the sandbox never saw it):
   * shown in place, as a refused Graph send is. `body` is the Send API body it would have sent.
   */
  onPolicyRefusal(r: { at: number; pageId: string; body: Record<string, unknown>; grpcCode: string; reason: string; message: string }): void {
    const failure: InboxFailure = { grpcCode: r.grpcCode, reason: r.reason, answer: 'refused before Graph (conversation policy)', retried: false, policy: { message: r.message } };
    this.onSend({ at: r.at, pageId: r.pageId, body: r.body, outcome: { kind: 'no-answer' } }, failure);
  }

  /**
   * A customer's message, from whatever played the customer (the gateway feeds what its webhook
   * listener stored). A `mid` the conversation already holds is not added again: Meta retries a
   * webhook, and the same message may be told twice.
   */
  onCustomerMessage(m: ObservedCustomerMessage): void {
    const c = this.conversation(m.pageId, this.recipientForPsid(m.pageId, m.psid), m.psid);
    if (m.instagram) c.instagram = true;
    // An unsend names the message by its mid: without one there is nothing to remove.
    if (m.unsent && !m.mid) return;
    if (m.unsent) {
      // Honouring an unsend (Meta's app review requires it): the message's content goes, a trace that it was unsent stays.
      const target = c.items.find((i) => i.mid === m.mid && i.from === 'customer');
      if (!target || target.removed) return;
      for (const k of ['text', 'quickReplyPayload', 'postback', 'storyReply', 'storyMention', 'sharedPost', 'reactions'] as const) delete target[k];
      target.removed = true;
      this.changed(c);
      return;
    }
    if (m.mid && c.items.some((i) => i.mid === m.mid)) return;
    const item: InboxItem = { id: this.nextId++, at: m.at, from: 'customer', mid: m.mid };
    if (m.text !== undefined) item.text = m.text;
    if (m.quickReplyPayload !== undefined) item.quickReplyPayload = m.quickReplyPayload;
    if (m.postback) item.postback = m.postback;
    if (m.storyReply) item.storyReply = m.storyReply;
    if (m.storyMention) item.storyMention = m.storyMention;
    if (m.sharedPost) item.sharedPost = m.sharedPost;
    push(c, item);
    c.updatedAt = m.at;
    this.changed(c);
  }

  /**
   * Past messages a backfill stored (events marked `historical`): each shown where its time puts
   * it, marked as history; a message the conversation already holds (seen live) is not added again.
   */
  onHistorical(messages: readonly HistoricalMessage[]): void {
    for (const m of messages) {
      const c = this.conversation(m.pageId, this.recipientForPsid(m.pageId, m.psid), m.psid);
      if (c.items.some((i) => i.mid === m.mid)) continue;
      const at = m.at;
      const item: InboxItem = { id: this.nextId++, at, from: m.fromPage ? 'page' : 'customer', mid: m.mid, historical: true };
      if (m.fromPage) item.message = { text: m.text };
      else item.text = m.text;
      let i = c.items.length;
      while (i > 0 && c.items[i - 1].at > at) i--;
      c.items.splice(i, 0, item);
      if (c.items.length > MAX_ITEMS) c.items.splice(0, c.items.length - MAX_ITEMS);
      this.changed(c);
    }
  }

  /** Every conversation, the most recently active first. */
  list(): InboxSummary[] {
    return [...this.conversations.values()].sort((a, b) => b.updatedAt - a.updatedAt || b.key.localeCompare(a.key)).map(summary);
  }

  get(pageId: string, recipient: string): InboxConversation | undefined {
    return this.conversations.get(keyOf(pageId, recipient));
  }

  /** Forgets every conversation (or one Page's). */
  clear(pageId?: string): void {
    for (const [k, c] of this.conversations) {
      if (pageId !== undefined && c.pageId !== pageId) continue;
      this.conversations.delete(k);
      this.stopTypingTimer(k);
    }
    this.emit(undefined);
  }

  /** Ends the conversation's typing indicator after the expiry, unless something ends it first. */
  private expireTyping(c: InboxConversation): void {
    this.stopTypingTimer(c.key);
    const timer = setTimeout(() => {
      this.typingTimers.delete(c.key);
      if (!c.typing || this.conversations.get(c.key) !== c) return;
      c.typing = false;
      this.changed(c);
    }, this.typingExpiresMs);
    // A pending expiry must not keep the process alive.
    timer.unref();
    this.typingTimers.set(c.key, timer);
  }

  private stopTypingTimer(key: string): void {
    const timer = this.typingTimers.get(key);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.typingTimers.delete(key);
  }

  /**
   * The Instagram conversation a send to `igsid` belongs to. A send through the Messenger API for
   * Instagram goes to the linked Page's `/messages`, not the Instagram account's: an IGSID is
   * only ever an Instagram person, so the conversation is found by it.
   */
  private instagramConversationOf(pageId: string, igsid: string): InboxConversation | undefined {
    const own = this.conversations.get(keyOf(pageId, igsid));
    if (own) return own.instagram ? own : undefined;
    for (const c of this.conversations.values()) if (c.instagram && c.psid === igsid) return c;
    return undefined;
  }

  private recipientForPsid(pageId: string, psid: string): string {
    for (const c of this.conversations.values()) if (c.pageId === pageId && c.psid === psid) return c.recipient;
    return psid;
  }

  private conversation(pageId: string, recipient: string, psid: string): InboxConversation {
    const key = keyOf(pageId, recipient);
    let c = this.conversations.get(key);
    if (!c) {
      c = { key, pageId, recipient, psid, updatedAt: 0, typing: false, items: [] };
      this.conversations.set(key, c);
      if (this.conversations.size > MAX_CONVERSATIONS) {
        const oldest = [...this.conversations.values()].reduce((a, b) => (b.updatedAt < a.updatedAt ? b : a));
        this.conversations.delete(oldest.key);
        this.stopTypingTimer(oldest.key);
      }
    }
    return c;
  }

  private changed(c: InboxConversation): void {
    this.emit(c);
  }

  private emit(c: InboxConversation | undefined): void {
    for (const l of this.listeners) {
      try {
        l(c);
      } catch {
        // A listener's fault (a closed stream) is the listener's.
      }
    }
  }
}

function keyOf(pageId: string, recipient: string): string {
  return `${pageId}/${encodeURIComponent(recipient)}`;
}

function push(c: InboxConversation, item: InboxItem): void {
  c.items.push(item);
  if (c.items.length > MAX_ITEMS) c.items.splice(0, c.items.length - MAX_ITEMS);
}

function applyAction(c: InboxConversation, action: string, payload: unknown, at: number): void {
  if (action === 'typing_on') c.typing = true;
  else if (action === 'typing_off') c.typing = false;
  else if (action === 'mark_seen') c.seenAt = at;
  else if ((action === 'react' || action === 'unreact') && isObject(payload) && typeof payload.message_id === 'string') {
    const target = c.items.find((i) => i.mid === payload.message_id);
    if (!target) return;
    if (action === 'unreact') delete target.reactions;
    else if (typeof payload.reaction === 'string') target.reactions = [payload.reaction];
  }
}

function failureOf(outcome: SendOutcome): InboxFailure | undefined {
  const status = callerStatusOf(outcome);
  if (!status) return undefined;
  const base = { grpcCode: status.code, reason: status.reason, retried: status.retried };
  switch (outcome.kind) {
    case 'graph-error': {
      const e = outcome.error;
      return {
        ...base, answer: `HTTP ${outcome.httpStatus}`, ...(outcome.chaos ? { chaos: true } : {}),
        graph: { code: e.code, ...(e.error_subcode !== undefined ? { subcode: e.error_subcode } : {}), type: e.type, message: e.message, fbtraceId: e.fbtrace_id },
      };
    }
    case 'http-status':
      return { ...base, answer: `HTTP ${outcome.status} without a Graph error` };
    case 'malformed':
      return { ...base, answer: 'a malformed JSON answer' };
    default:
      return { ...base, answer: 'no answer' };
  }
}

function recipientOf(recipient: unknown): { key: string; value: string } | undefined {
  if (!isObject(recipient)) return undefined;
  for (const key of RECIPIENT_KEYS) {
    const v = recipient[key];
    if (typeof v === 'string' || typeof v === 'number') return { key, value: String(v) };
  }
  return undefined;
}

function summary(c: InboxConversation): InboxSummary {
  const last = c.items[c.items.length - 1];
  return {
    key: c.key, pageId: c.pageId, recipient: c.recipient, psid: c.psid, ...(c.instagram ? { instagram: true } : {}), updatedAt: c.updatedAt,
    count: c.items.length, preview: last ? previewOf(last) : c.typing ? 'typing…' : '', failed: c.items.filter((i) => i.failure).length,
  };
}

/** A short text for an item, as a conversation list shows it. */
export function previewOf(item: InboxItem): string {
  if (item.failure) return `refused: ${item.failure.graph ? `Graph ${item.failure.graph.code}` : item.failure.policy ? item.failure.reason : item.failure.answer}`;
  if (item.from === 'customer') {
    if (item.removed) return 'Unsent a message';
    if (item.storyMention) return 'Mentioned you in their story';
    if (item.sharedPost) return 'Shared a post';
    return item.postback ? item.postback.title : item.text ?? '';
  }
  const m = item.message ?? {};
  if (typeof m.text === 'string') return m.text.slice(0, 80);
  const a = m.attachment;
  if (isObject(a)) {
    const payload = isObject(a.payload) ? a.payload : {};
    return a.type === 'template' ? `[${String(payload.template_type ?? 'template')}]` : `[${String(a.type)}]`;
  }
  if (Array.isArray(m.attachments)) return `[${m.attachments.length} images]`;
  if (isObject(m.template)) return `[utility template ${String(m.template.name ?? '')}]`;
  return '';
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
