// The inbox's JSON API, as the page calls it.
import type { InboxChaos, InboxConversation, InboxEvent, InboxPage, InboxSummary } from '../inbox-types';

export interface ChaosPreset {
  code: number;
  subcode?: number;
  label: string;
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const value = (text ? JSON.parse(text) : {}) as T & { error?: string };
  if (!res.ok) throw new Error(value.error ?? `HTTP ${res.status}`);
  return value;
}

export const listConversations = () => call<{ conversations: InboxSummary[] }>('GET', '/api/conversations').then((r) => r.conversations);

export const getConversation = (pageId: string, recipient: string) =>
  call<InboxConversation>('GET', `/api/conversations/${encodeURIComponent(pageId)}/${encodeURIComponent(recipient)}`);

export const getPage = (pageId: string) => call<InboxPage>('GET', `/api/pages/${encodeURIComponent(pageId)}`);

export const clearConversations = () => call<unknown>('DELETE', '/api/conversations');

export const getChaos = () => call<{ pages: Record<string, InboxChaos>; presets: ChaosPreset[] }>('GET', '/api/chaos');

export const setChaos = (pageId: string, chaos: InboxChaos) => call<unknown>('PUT', `/api/chaos/${encodeURIComponent(pageId)}`, chaos);

export const clearChaos = (pageId: string) => call<unknown>('DELETE', `/api/chaos/${encodeURIComponent(pageId)}`);

/** What the customer does: a text (perhaps a tapped quick reply) or a tapped postback button. */
export interface CustomerReply {
  text?: string;
  quickReplyPayload?: string;
  postback?: { title: string; payload: string };
}

export const replyAsCustomer = (pageId: string, psid: string, reply: CustomerReply) =>
  call<unknown>('POST', '/api/customer/messages', { pageId, psid, ...reply });

/** Follows the event stream; `onState` says whether it is connected. */
export function followEvents(onEvent: (e: InboxEvent) => void, onState: (live: boolean) => void): () => void {
  const source = new EventSource('/api/events');
  source.onopen = () => onState(true);
  source.onerror = () => onState(false);
  source.onmessage = (m: MessageEvent) => onEvent(JSON.parse(String(m.data)) as InboxEvent);
  return () => source.close();
}

/** Who owns a conversation (conversation routing): an app id; `standby` when it is not the gateway's app. */
export interface ThreadOwner {
  ownerAppId: string;
  standby: boolean;
}

export const getThreadOwner = (pageId: string, psid: string) =>
  call<ThreadOwner>('GET', `/api/threads/${encodeURIComponent(pageId)}/${encodeURIComponent(psid)}`);

/** Plays the other app (the Page Inbox): it hands the conversation back to the gateway (`pass`) or takes it (`take`). */
export const moveThread = (pageId: string, psid: string, action: 'pass' | 'take') =>
  call<unknown>('POST', '/api/threads', { pageId, psid, action });

/** A conversation's messaging windows and owner as the sandbox (Meta) knows them; times in epoch ms. */
export interface ConversationWindows {
  /** The sandbox's clock when it answered. */
  now: number;
  /** Whether the sandbox saw a window-opening action of this person (else every send goes out). */
  known: boolean;
  lastActionAt?: number;
  standardWindowEndsAt?: number;
  humanAgentWindowEndsAt?: number;
  ownerAppId: string;
  standby: boolean;
}

export const getWindows = (pageId: string, psid: string) =>
  call<ConversationWindows>('GET', `/api/windows/${encodeURIComponent(pageId)}/${encodeURIComponent(psid)}`);

/** Sets the conversation's clock: the customer's last action is now `ago` old (`25h`, `8d`). */
export const ageConversation = (pageId: string, psid: string, ago: string) =>
  call<ConversationWindows>('POST', '/api/windows', { pageId, psid, ago });
