// The sandbox's Conversations API: each conversation's history (what the customer and the Page
// said, as the sandbox saw it, or seeded), served as Graph serves it:
//   GET /{page-id}/conversations?platform=&user_id=&fields=&limit=&after=
//   GET /{conversation-id}?fields=messages.limit(N).after(C){id,created_time,from,to,message,...}
//   GET /{message-id}?fields=id,created_time,from,to,message,...
// newest first, paged with opaque `after` cursors (`paging.next` only when there is more), and
// Meta's 2 calls per second per Page: the third call in a second is answered 613, as Graph does.
// An Instagram account's conversations are read as Meta's platform reference says: on its linked
// Page's node with `platform=instagram` and the Page's token, or on the Instagram host with its
// own token; Meta returns only the 20 most recent messages of each (no page beyond them, and an
// older message is not found).

import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CONVERSATIONS_API_PER_SECOND, INSTAGRAM_HISTORY_MESSAGES } from '../limits/graph-limits';
import { newMid } from './customer-webhook';
import { envelope, graphError, invalidParam, type GraphErrorFields } from './graph-errors';
import { sendJson } from './json-http';
import { checkAuth, extractToken, type PageSecrets } from './sandbox-auth';
import { decodeParams } from './read-request-body';
import type { SandboxObserver } from './sandbox-observer';

/** One message of a conversation. */
export interface HistoryEntry {
  mid: string;
  /** The Page said it (else the customer). */
  fromPage: boolean;
  text: string;
  createdMs: number;
}

interface Conversation {
  id: string;
  pageId: string;
  psid: string;
  /** Oldest first. */
  messages: HistoryEntry[];
}

/** Bounds, so a long-running sandbox stays small. */
export const MAX_CONVERSATIONS = 10_000;
export const MAX_MESSAGES_PER_CONVERSATION = 50_000;
const MAX_LIMIT = 100;

const WORDS = ['hello', 'order', 'where', 'is', 'my', 'parcel', 'thanks', 'sure', 'tomorrow', 'price', 'size', 'blue', 'refund', 'ok', 'great'];

/** Every conversation's history of one sandbox, and the Conversations API's call log per Page. */
export class ConversationHistories {
  private readonly byKey = new Map<string, Conversation>();
  private readonly byId = new Map<string, Conversation>();
  private readonly byMid = new Map<string, { conversation: Conversation; entry: HistoryEntry }>();
  /** Epoch ms of each Conversations API call answered (not refused) per Page, for tests: Meta's 2/s measured here. */
  readonly calls = new Map<string, number[]>();

  private conversation(pageId: string, psid: string): Conversation {
    const key = `${pageId}\u0000${psid}`;
    let c = this.byKey.get(key);
    if (!c) {
      if (this.byKey.size >= MAX_CONVERSATIONS) this.forget(this.byKey.values().next().value as Conversation);
      const id = `t_${BigInt(`0x${createHash('sha256').update(key).digest('hex').slice(0, 15)}`).toString()}`;
      c = { id, pageId, psid, messages: [] };
      this.byKey.set(key, c);
      this.byId.set(id, c);
    }
    return c;
  }

  private forget(c: Conversation): void {
    this.byKey.delete(`${c.pageId}\u0000${c.psid}`);
    this.byId.delete(c.id);
    for (const m of c.messages) this.byMid.delete(m.mid);
  }

  /** Records a message said in the conversation of the Page with the person. */
  add(pageId: string, psid: string, entry: HistoryEntry): void {
    if (!entry.mid || this.byMid.has(entry.mid)) return;
    const c = this.conversation(pageId, psid);
    // Kept in time order: a seeded or late message goes where its time puts it.
    let i = c.messages.length;
    while (i > 0 && c.messages[i - 1].createdMs > entry.createdMs) i--;
    c.messages.splice(i, 0, entry);
    this.byMid.set(entry.mid, { conversation: c, entry });
    if (c.messages.length > MAX_MESSAGES_PER_CONVERSATION) this.byMid.delete((c.messages.shift() as HistoryEntry).mid);
  }

  /** Generates `count` past messages (the customer and the Page in turn, a minute apart, ending before `nowMs`). */
  seed(pageId: string, psid: string, count: number, nowMs = Date.now()): HistoryEntry[] {
    const out: HistoryEntry[] = [];
    for (let i = 0; i < count; i++) {
      const fromPage = i % 2 === 1;
      const words = Array.from({ length: 3 + (i % 5) }, (_, k) => WORDS[(i * 7 + k * 3) % WORDS.length]);
      const entry = { mid: newMid(), fromPage, text: `${fromPage ? 'Page' : 'Customer'} #${i + 1}: ${words.join(' ')}`, createdMs: nowMs - (count - i) * 60_000 };
      this.add(pageId, psid, entry);
      out.push(entry);
    }
    return out;
  }

  /** The conversation's messages, oldest first (tests). */
  messagesOf(pageId: string, psid: string): readonly HistoryEntry[] {
    return this.byKey.get(`${pageId}\u0000${psid}`)?.messages ?? [];
  }

  /** A Conversations API route, or undefined when the request is not one. */
  route(method: string, url: URL): HistoryRoute | undefined {
    if (method !== 'GET') return undefined;
    const m = /^\/(?:v\d+\.\d+\/)?([^/]{1,600})(?:\/(conversations))?\/?$/.exec(url.pathname);
    if (!m) return undefined;
    if (m[2] === 'conversations') return /^(?:\d{1,20}|me)$/.test(m[1]) ? { kind: 'conversations', node: m[1] } : undefined;
    if (/^t_/.test(m[1])) return { kind: 'conversation', node: m[1] };
    if (/^m_/.test(m[1]) && this.byMid.has(m[1])) return { kind: 'message', node: m[1] };
    return undefined;
  }

  /** Answers a Conversations API call. */
  answer(req: IncomingMessage, res: ServerResponse, url: URL, route: HistoryRoute, ctx: HistoryContext): void {
    req.resume();
    const params = decodeParams(url.searchParams);
    const token = extractToken(req.headers, params);
    const { account, reader } = this.accountOf(route, url, token, ctx);
    const pageId = account;
    const headers = ctx.usage(account);
    const refuse = (status: number, error: GraphErrorFields): void => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(envelope(error)));
    };
    const authError = reader.tokenError ?? checkAuth(token, params, reader.secrets, Math.floor(Date.now() / 1000));
    if (authError) return refuse(400, authError);
    if (!this.allowCall(pageId, Date.now())) {
      const limited = graphError(613);
      res.writeHead(limited.status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(limited.body));
      return;
    }
    const missing = (): void => refuse(400, invalidParam(`Unsupported get request. Object with ID '${route.node.slice(0, 100)}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`, 33));
    const onInstagram = ctx.instagram.isAccount(pageId);
    if (route.kind === 'conversations') {
      const psid = url.searchParams.get('user_id');
      const list = [...this.byKey.values()].filter((c) => c.pageId === pageId && c.messages.length > 0 && (psid === null || c.psid === psid));
      list.sort((a, b) => (b.messages.at(-1)?.createdMs ?? 0) - (a.messages.at(-1)?.createdMs ?? 0));
      const paged = page(list, url.searchParams.get('limit'), url.searchParams.get('after'));
      if ('error' in paged) return refuse(400, paged.error);
      return sendJson(res, 200, {
        data: paged.items.map((c) => ({
          id: c.id,
          participants: { data: onInstagram ? [{ id: c.psid, username: `customer_${c.psid.slice(-4)}` }, { id: c.pageId, username: `account_${c.pageId.slice(-4)}` }] : [{ id: c.psid, name: `Customer ${c.psid.slice(-4)}` }, { id: c.pageId, name: `Page ${c.pageId}` }] },
          updated_time: graphTime(c.messages.at(-1)?.createdMs ?? 0),
          message_count: c.messages.length,
          unread_count: 0,
        })),
        paging: paged.paging,
      });
    }
    if (route.kind === 'message') {
      const found = this.byMid.get(route.node);
      if (!found || found.conversation.pageId !== pageId) return missing();
      if (!readable(found.conversation, onInstagram).includes(found.entry)) return missing();
      return sendJson(res, 200, messageJson(found.conversation, found.entry));
    }
    const c = this.byId.get(route.node);
    if (!c || c.pageId !== pageId) return missing();
    const fields = url.searchParams.get('fields') ?? '';
    const expansion = /^messages(?:\.limit\((\d{1,4})\))?(?:\.after\(([^)]{0,600})\))?(?:\{[a-z_,]*\})?$/.exec(fields);
    if (!expansion) return sendJson(res, 200, { id: c.id });
    const newestFirst = [...readable(c, onInstagram)].reverse();
    const paged = page(newestFirst, expansion[1] ?? null, expansion[2] ?? null);
    if ('error' in paged) return refuse(400, paged.error);
    return sendJson(res, 200, { id: c.id, messages: { data: paged.items.map((e) => messageJson(c, e)), paging: paged.paging } });
  }

  /**
   * The account a call reads (a Page or an Instagram account: whose conversations, whose 2/s) and
   * the credentials it must carry. A conversation or message is read with its account's token: a
   * Page's, the linked Page's for an Instagram account reached through it, the account's own on
   * the Instagram host. A node not served on the host the call came to reads nothing.
   */
  private accountOf(route: HistoryRoute, url: URL, token: string | undefined, ctx: HistoryContext): { account: string; reader: HistoryReader } {
    if (route.kind === 'conversations') {
      if (ctx.igHost) {
        const reader = ctx.resolveInstagram(route.node, token);
        return { account: reader.pageId, reader };
      }
      const reader = ctx.resolvePage(route.node, token);
      // `platform=instagram` on a Page's node: the conversations of the Instagram account linked to it.
      const account = url.searchParams.get('platform') === 'instagram' ? ctx.instagram.linkedTo(reader.pageId) ?? `${reader.pageId}:no-instagram` : reader.pageId;
      return { account, reader };
    }
    const owner = (route.kind === 'conversation' ? this.byId.get(route.node)?.pageId : this.byMid.get(route.node)?.conversation.pageId) ?? 'me';
    const linkedPage = ctx.instagram.linkedPageOf(owner);
    const login = ctx.instagram.isLoginAccount(owner);
    // Not served on this host: "does not exist", as Graph answers a node it cannot load.
    if (ctx.igHost !== login) return { account: `${owner}:not-on-this-host`, reader: { pageId: owner } };
    const reader = login ? ctx.resolveInstagram(owner, token) : ctx.resolvePage(linkedPage ?? owner, token);
    return { account: owner, reader };
  }

  private allowCall(pageId: string, now: number): boolean {
    const times = (this.calls.get(pageId) ?? []).filter((t) => t > now - 1000);
    const recent = times.length;
    const log = this.calls.get(pageId) ?? [];
    if (recent >= CONVERSATIONS_API_PER_SECOND) return false;
    log.push(now);
    // The log is for tests; a long-running sandbox keeps the last 10,000 calls per Page.
    if (log.length > 10_000) log.splice(0, log.length - 10_000);
    this.calls.set(pageId, log);
    return true;
  }
}

export type HistoryRoute = { kind: 'conversations' | 'conversation' | 'message'; node: string };

/** Who a call acts as, with its secrets, or Graph's error for a token of the other host. */
export interface HistoryReader {
  pageId: string;
  secrets?: PageSecrets;
  tokenError?: GraphErrorFields;
}

export interface HistoryContext {
  /** The call came to the Instagram host stand-in (its prefix already taken off the URL). */
  igHost: boolean;
  resolvePage(pageId: string, token: string | undefined): HistoryReader;
  resolveInstagram(accountId: string, token: string | undefined): HistoryReader;
  instagram: {
    linkedTo(pageId: string): string | undefined;
    linkedPageOf(accountId: string): string | undefined;
    isLoginAccount(accountId: string): boolean;
    isAccount(accountId: string): boolean;
  };
  usage(pageId: string): Record<string, string>;
}

/** What Meta serves of a conversation: all of it, or an Instagram account's 20 most recent messages. */
function readable(c: Conversation, onInstagram: boolean): readonly HistoryEntry[] {
  return onInstagram ? c.messages.slice(-INSTAGRAM_HISTORY_MESSAGES) : c.messages;
}

function graphTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+0000');
}

function messageJson(c: Conversation, e: HistoryEntry): Record<string, unknown> {
  const page = { id: c.pageId, name: `Page ${c.pageId}` };
  const person = { id: c.psid, name: `Customer ${c.psid.slice(-4)}` };
  return { id: e.mid, created_time: graphTime(e.createdMs), from: e.fromPage ? page : person, to: { data: [e.fromPage ? person : page] }, message: e.text };
}

/** A cursor is the offset of the next item, base64 as Meta's look; anything else is refused as Graph refuses a bad cursor. */
function page<T>(items: T[], limitParam: string | null, after: string | null): { items: T[]; paging: Record<string, unknown> } | { error: GraphErrorFields } {
  const limit = Math.min(MAX_LIMIT, Math.max(1, Number(limitParam ?? 25) || 25));
  let start = 0;
  if (after !== null) {
    const decoded = /^[A-Za-z0-9_-]{1,64}$/.test(after) ? /^o:(\d{1,9})$/.exec(Buffer.from(after, 'base64url').toString('utf8')) : null;
    if (!decoded) return { error: invalidParam('The parameter after is not a valid cursor') };
    start = Number(decoded[1]);
  }
  const slice = items.slice(start, start + limit);
  const cursor = (n: number): string => Buffer.from(`o:${n}`).toString('base64url');
  const paging: Record<string, unknown> = { cursors: { before: cursor(start), after: cursor(start + slice.length) } };
  if (start + slice.length < items.length) paging.next = `https://graph.facebook.com/next?after=${cursor(start + slice.length)}`;
  return { items: slice, paging };
}

/** An observer that records what was said into the history, then tells `next` (the inbox). */
export function historyObserver(history: ConversationHistories, next: SandboxObserver | undefined): SandboxObserver {
  return {
    onSend: (send) => {
      const recipient = send.body.recipient;
      const message = send.body.message;
      if (send.outcome.kind === 'ok' && send.outcome.messageId && isRecordLike(recipient) && typeof recipient.id === 'string') {
        const text = isRecordLike(message) && typeof message.text === 'string' ? message.text : '';
        history.add(send.pageId, recipient.id, { mid: send.outcome.messageId, fromPage: true, text, createdMs: send.at });
      }
      next?.onSend?.(send);
    },
    onCustomerMessage: (m) => {
      // Postbacks are not messages of the conversation (and their events' ids are no mid's).
      if (m.mid && !m.postback) history.add(m.pageId, m.psid, { mid: m.mid, fromPage: false, text: m.text ?? '', createdMs: m.at });
      next?.onCustomerMessage?.(m);
    },
    onThreadOwner: (change) => next?.onThreadOwner?.(change),
  };
}

function isRecordLike(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
