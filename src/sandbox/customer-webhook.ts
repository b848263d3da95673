import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import { signBody } from '../webhook/verify-signature';

/**
 * The sandbox's customer: what a person does in Messenger or Instagram, turned into the webhook
 * POST Meta would send for it (same shape, non-ASCII escaped as Meta escapes it, signed with the
 * app secret), sent to a gateway's webhook listener. Used by `npm run customer`, the sandbox's
 * HTTP API and the inbox.
 */
export interface CustomerAction {
  pageId: string;
  /** The person's page-scoped id. */
  psid: string;
  text?: string;
  /** The payload of a tapped quick reply (with `text`: the chip's title). */
  quickReplyPayload?: string;
  /** A tapped postback button. */
  postback?: { title: string; payload: string };
  /** Meta's `instagram` object instead of `page`: `pageId` is then the Instagram account id, `psid` an IGSID. */
  instagram?: boolean;
  /** The action happened this long ago: the webhook carries that old time, as Meta would have sent it then. */
  agoMs?: number;
  /** Instagram: the text replies to the account's story (`reply_to.story`). */
  storyReply?: { id: string; url: string };
  /** Instagram: the person mentioned the account in their story (a `story_mention` attachment: its media's CDN URL). */
  storyMention?: { url: string };
  /** Instagram: the person shared a post (an `ig_post` attachment). */
  sharedPost?: { mediaId: string; url: string; title: string };
  /** Instagram: the person unsent their message with this mid (`is_deleted`). */
  unsendMid?: string;
}

/** A fresh message id shaped like Meta's (Instagram's start `aWdf`, base64 of `ig_`). */
export function newMid(instagram = false): string {
  return instagram ? `aWdf${randomBytes(48).toString('base64url')}` : `m_${randomBytes(24).toString('base64url')}`;
}

/**
 * The webhook body Meta would send for the action, as bytes exactly as they go on the wire.
 * `standby`: another app owns the conversation, so the item comes under `standby`, and a
 * postback there carries no payload (as Meta sends it). With `agoMs` the whole webhook is dated
 * that long before `sentAt`.
 */
export function customerWebhookBody(action: CustomerAction, sentAt = Date.now(), standby = false): Buffer {
  const now = sentAt - (action.agoMs ?? 0);
  const item: Record<string, unknown> = { sender: { id: action.psid }, recipient: { id: action.pageId }, timestamp: now };
  if (action.postback) {
    item.postback = standby ? { title: action.postback.title, mid: newMid(action.instagram) } : { title: action.postback.title, payload: action.postback.payload, mid: newMid(action.instagram) };
  } else if (action.unsendMid !== undefined) {
    item.message = { mid: action.unsendMid, is_deleted: true };
  } else if (action.storyMention) {
    item.message = { mid: newMid(action.instagram), attachments: [{ type: 'story_mention', payload: { url: action.storyMention.url } }] };
  } else if (action.sharedPost) {
    const { mediaId, url, title } = action.sharedPost;
    item.message = { mid: newMid(action.instagram), attachments: [{ type: 'ig_post', payload: { ig_post_media_id: mediaId, title, url } }] };
  } else {
    const message: Record<string, unknown> = { mid: newMid(action.instagram), text: action.text ?? '' };
    if (action.quickReplyPayload !== undefined) message.quick_reply = { payload: action.quickReplyPayload };
    if (action.storyReply) message.reply_to = { story: { url: action.storyReply.url, id: action.storyReply.id } };
    item.message = message;
  }
  const body = { object: action.instagram ? 'instagram' : 'page', entry: [{ id: action.pageId, time: now, [standby ? 'standby' : 'messaging']: [item] }] };
  return Buffer.from(escapeNonAscii(JSON.stringify(body)), 'utf8');
}

/**
 * A story's media URL shaped as Meta's CDN gives it (lookaside, signed), for a story the sandbox
 * customer replies to or mentions the account in. It loads nothing: as on Instagram once a story
 * expires, the inbox then shows that the story is no longer available.
 */
export function sandboxStoryUrl(storyId: string): string {
  return `https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=${encodeURIComponent(storyId)}&signature=sandbox`;
}

/** Meta sends non-ASCII as `\u00e4` (lower-case hex): the bytes that are signed. */
export function escapeNonAscii(json: string): string {
  return json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** POSTs a signed webhook body as Meta does; resolves with the listener's answer. */
export async function postWebhook(url: string, appSecret: string, body: Buffer): Promise<{ status: number; text: string }> {
  const res = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(body, appSecret) },
    body,
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
  });
  return { status: res.statusCode, text: (await res.body.text()).slice(0, 1_000) };
}
