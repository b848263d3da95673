// What the sandbox tells an observer (the inbox) about each send it answered and each message a
// customer sent through its customer API. The sandbox holds no observer state of its own: whoever
// starts it passes one in.

import type { GraphErrorBody } from './graph-errors';
import type { OwnerChange } from './thread-owners';

/** What the sandbox answered one `POST /{page}/messages`. */
export type SendOutcome =
  | { kind: 'ok'; messageId?: string; recipientId?: string }
  /** A Graph error; `chaos` when the page's chaos switchboard asked for it. */
  | { kind: 'graph-error'; httpStatus: number; error: GraphErrorBody['error']; chaos?: boolean }
  | { kind: 'http-status'; status: number }
  | { kind: 'malformed' }
  /** `error-hang`: the sandbox never answers. */
  | { kind: 'no-answer' };

/** One send (message or sender action) and its answer. Credentials are never part of it. */
export interface ObservedSend {
  /** Epoch ms of the answer. */
  at: number;
  pageId: string;
  /** The Send API parameters as sent, without `access_token` and `appsecret_proof`. */
  body: Record<string, unknown>;
  outcome: SendOutcome;
  /** Milliseconds the sandbox held the answer back (a `delay-` recipient or chaos latency). */
  delayedMs?: number;
}

/** A message a customer sent through `POST /_sandbox/customer/messages`, once the gateway's webhook listener took it. */
export interface ObservedCustomerMessage {
  at: number;
  pageId: string;
  psid: string;
  /** The `mid` in the webhook. */
  mid: string;
  text?: string;
  quickReplyPayload?: string;
  postback?: { title: string; payload: string };
  /** On Instagram (`pageId` is then the Instagram account, `psid` an IGSID). */
  instagram?: boolean;
  /** Instagram: the message replies to the account's story. */
  storyReply?: { id: string; url: string };
  /** Instagram: a mention of the account in the person's story (only its CDN URL: the media is never kept). */
  storyMention?: { url: string };
  /** Instagram: a shared post. */
  sharedPost?: { mediaId: string; url: string; title: string };
  /** Instagram: the person unsent the message `mid`; nothing else is told. */
  unsent?: boolean;
}

/** Told of every send and customer message; must not throw (a throw is caught and written to stderr). */
export interface SandboxObserver {
  onSend?(send: ObservedSend): void;
  onCustomerMessage?(message: ObservedCustomerMessage): void;
  /** A conversation changed hands (conversation routing). */
  onThreadOwner?(change: OwnerChange): void;
}

const CREDENTIALS = new Set(['access_token', 'appsecret_proof', 'appsecret_time']);

/** The parameters of a send without its credentials. */
export function withoutCredentials(params: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(params).filter(([k]) => !CREDENTIALS.has(k)));
}

/** Calls `fn` on the observer, so that a fault in an observer never breaks an answer. */
export function tell(observer: SandboxObserver | undefined, fn: (o: SandboxObserver) => void): void {
  if (!observer) return;
  try {
    fn(observer);
  } catch (err) {
    process.stderr.write(`sandbox: observer failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  }
}
