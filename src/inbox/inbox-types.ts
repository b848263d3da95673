// The inbox's data as its JSON API and its server-sent events carry it. Types only: the page's
// script (web/) imports them too.

/** What the caller of the gateway got for a refused send. */
export interface InboxFailure {
  /** Graph's error (absent when the sandbox answered without one: a bare HTTP status, a malformed body, no answer). */
  graph?: { code: number; subcode?: number; type: string; message: string; fbtraceId: string };
  /** What the sandbox did instead of a Graph error, e.g. `HTTP 502`, `malformed JSON`, `no answer`. */
  answer: string;
  /** The gRPC status the caller got, by the gateway's mapping. */
  grpcCode: string;
  reason: string;
  /** The gateway retries it: the caller may still have succeeded with a later attempt. */
  retried: boolean;
  /** Failed by the page's chaos switchboard. */
  chaos?: boolean;
  /**
   * Refused by the gateway's conversation policy before Graph (outside the messaging window,
   * or another app owns the thread): `message` says when the window closed and what is still allowed.
   */
  policy?: { message: string };
}

/** One entry of a conversation. */
export interface InboxItem {
  /** Unique in the inbox, increasing. */
  id: number;
  /** Epoch ms. */
  at: number;
  from: 'page' | 'customer';
  /** The message id: Graph's answer for a Page send, the webhook's `mid` for a customer message. */
  mid?: string;
  /** A Page send: the Graph `message` object as sent. */
  message?: Record<string, unknown>;
  /** A refused sender action (accepted ones change the conversation instead). */
  senderAction?: string;
  messagingType?: string;
  tag?: string;
  personaId?: string;
  /** The `mid` this message replies to. */
  replyTo?: string;
  notificationType?: string;
  /** The sandbox refused the send. */
  failure?: InboxFailure;
  /** Held back this long by a `delay-` recipient or chaos latency. */
  delayedMs?: number;
  /** A customer message. */
  text?: string;
  quickReplyPayload?: string;
  postback?: { title: string; payload: string };
  /** Reactions on this message (by the Page). */
  reactions?: string[];
  /** A past message a backfill read from the Conversations API (not a webhook or a send seen live). */
  historical?: boolean;
  /** Instagram: the customer's message replies to the account's story (drawn above it). */
  storyReply?: { id: string; url: string };
  /** Instagram: the customer mentioned the account in their story (its CDN URL only: the media is never kept). */
  storyMention?: { url: string };
  /** Instagram: a post the customer shared. */
  sharedPost?: { mediaId: string; url: string; title: string };
  /** Instagram: the customer unsent this message; its content is gone from the inbox too. */
  removed?: boolean;
}

/** One Page and one customer. */
export interface InboxConversation {
  /** `pageId/recipient` (URL-safe for the API as two segments). */
  key: string;
  pageId: string;
  /** The recipient value: a PSID, or `user_ref:…`, `phone_number:…` for the other identifiers. */
  recipient: string;
  /** The PSID replies come from (the recipient id Graph answered, else the recipient value). */
  psid: string;
  /** An Instagram conversation (`pageId` is the Instagram account, `psid` an IGSID); absent: Messenger. */
  instagram?: boolean;
  /** Epoch ms of the newest item. */
  updatedAt: number;
  typing: boolean;
  /** Epoch ms of the Page's last `mark_seen`. */
  seenAt?: number;
  items: InboxItem[];
}

/** A conversation in the list, without its items. */
export interface InboxSummary {
  key: string;
  pageId: string;
  recipient: string;
  psid: string;
  instagram?: boolean;
  updatedAt: number;
  count: number;
  /** A short text of the newest item. */
  preview: string;
  failed: number;
}

/** The chaos switches of one Page. */
export interface InboxChaos {
  failNext?: { count: number; code: number; subcode?: number };
  latencyMs?: number;
}

/** A Page's setup as the customer meets it: its Messenger Profile (Graph's JSON) and personas. */
export interface InboxPage {
  pageId: string;
  /** The properties set: `get_started`, `greeting`, `ice_breakers`, `persistent_menu`, ... */
  profile: Record<string, unknown>;
  personas: { id: string; name: string; pictureUrl: string }[];
}

/** What the event stream (`GET /api/events`) sends, one JSON object per event. */
export type InboxEvent =
  | { type: 'conversation'; conversation: InboxConversation }
  | { type: 'page'; page: InboxPage }
  | { type: 'cleared' }
  | { type: 'chaos'; chaos: Record<string, InboxChaos> };
