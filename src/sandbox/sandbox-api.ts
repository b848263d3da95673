import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ConversationHistories } from './conversation-history';
import { customerWebhookBody, postWebhook, type CustomerAction } from './customer-webhook';
import { readJsonBody, sendJson } from './json-http';
import { tell, type ObservedCustomerMessage, type SandboxObserver } from './sandbox-observer';
import type { KnownMessages } from './known-messages';
import { serveDemoImage } from './demo-images';
import { handleThreadsApi } from './threads-api';
import type { RoutingKit } from './routing-routes';
import type { MessagingWindows } from './messaging-windows';
import { parseAgo } from './clock-offset';
import { handleWindowsApi } from './windows-api';

/**
 * The sandbox's own HTTP API, under `/_sandbox/` (never a Graph path): what tests and the inbox
 * drive. `POST /_sandbox/customer/messages` plays the customer: it sends the signed webhook Meta
 * would send for a person's message, quick reply or postback to the gateway's webhook listener.
 */
export interface SandboxApiContext {
  /** Where the gateway's webhook listener is, and its app secret; undefined when none runs. */
  customer?: { webhookUrl: string; appSecret: string };
  /** Told of each customer message the webhook listener took (200). */
  observer?: SandboxObserver;
  /** The message ids the Page may react to: a customer's message the listener took is one. */
  known?: KnownMessages;
  /** Conversation routing: a conversation another app owns reaches the gateway as `standby`. */
  routing?: RoutingKit;
  /** The messaging windows: a customer action the listener took opens one, at its (perhaps aged) time. */
  windows?: MessagingWindows;
  /** Each conversation's history: `POST /_sandbox/history` seeds one. */
  history?: ConversationHistories;
}


/** Where the sandbox serves its demo images: `GET /_sandbox/demo/cat.png`. */
export const DEMO_PREFIX = '/_sandbox/demo/';

/** The parts of {@link customerWebhookBody}'s JSON read back here. */
interface SentWebhook {
  entry: { messaging?: SentItem[]; standby?: SentItem[] }[];
}

interface SentItem { timestamp: number; message?: { mid: string }; postback?: { mid: string } }

/** Answers a `/_sandbox/...` request; `crossOrigin`: its Origin is another site's (refused). */
export async function handleSandboxApi(req: IncomingMessage, res: ServerResponse, path: string, ctx: SandboxApiContext, crossOrigin = false): Promise<void> {
  if (path === '/_sandbox/customer/messages' && req.method === 'POST') {
    // JSON only: a page on another origin can send text/plain or form bodies without asking
    // (a "simple" request), but not application/json, so this stops it injecting events.
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
      req.resume();
      return sendJson(res, 415, { error: 'the body must be application/json' });
    }
    // A JSON POST from another site still needs a preflight the sandbox never grants, but a
    // refused Origin is not even read.
    if (crossOrigin) {
      req.resume();
      return sendJson(res, 403, { error: 'the sandbox takes no requests from other origins' });
    }
    const body = await readJsonBody(req);
    if (!body.ok) return sendJson(res, 400, { error: body.why });
    const action = customerAction(body.value);
    if (typeof action === 'string') return sendJson(res, 400, { error: action });
    if (!ctx.customer) return sendJson(res, 409, { error: 'no webhook listener is running: start the gateway in sandbox mode (its webhook listener runs by default)' });
    const standby = ctx.routing?.threads.isStandby(action.pageId, action.psid) ?? false;
    const payload = customerWebhookBody(action, Date.now(), standby);
    try {
      const answer = await postWebhook(ctx.customer.webhookUrl, ctx.customer.appSecret, payload);
      const sent = JSON.parse(payload.toString('utf8')) as SentWebhook;
      if (answer.status === 200) {
        const item = (sent.entry[0].messaging ?? sent.entry[0].standby)![0];
        const mid = item.message?.mid ?? item.postback?.mid ?? '';
        if (mid) ctx.known?.add(action.pageId, mid);
        // An unsend is no action that opens Meta's window.
        if (action.unsendMid === undefined) ctx.windows?.opened(action.pageId, action.psid, item.timestamp);
        tell(ctx.observer, (o) => o.onCustomerMessage?.(observedOf(action, item.timestamp, mid)));
      }
      return sendJson(res, answer.status === 200 ? 200 : 502, { webhookStatus: answer.status, webhookAnswer: answer.text, sent });
    } catch (err) {
      return sendJson(res, 502, { error: `the webhook listener did not answer: ${(err as Error).message}` });
    }
  }
  if (path === '/_sandbox/history' && req.method === 'POST' && ctx.history) {
    if (crossOrigin || !/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
      req.resume();
      return sendJson(res, crossOrigin ? 403 : 415, { error: crossOrigin ? 'the sandbox takes no requests from other origins' : 'the body must be application/json' });
    }
    const body = await readJsonBody(req);
    if (!body.ok) return sendJson(res, 400, { error: body.why });
    const seed = historySeed(body.value);
    if (typeof seed === 'string') return sendJson(res, 400, { error: seed });
    const entries = ctx.history.seed(seed.pageId, seed.psid, seed.count);
    for (const e of entries) ctx.known?.add(seed.pageId, e.mid);
    return sendJson(res, 200, { seeded: entries.length, first: entries[0]?.mid ?? '', last: entries.at(-1)?.mid ?? '' });
  }
  if (path.startsWith(DEMO_PREFIX) && (req.method === 'GET' || req.method === 'HEAD')) {
    req.resume();
    return serveDemoImage(req, res, path.slice(DEMO_PREFIX.length));
  }
  if (path === '/_sandbox/windows' && ctx.routing && ctx.windows) {
    // It changes what Graph answers: for this machine only, as the other APIs.
    if (crossOrigin) {
      req.resume();
      return sendJson(res, 403, { error: 'the sandbox takes no requests from other origins' });
    }
    return handleWindowsApi(req, res, ctx.windows, ctx.routing.threads);
  }
  if (path === '/_sandbox/threads' && ctx.routing) {
    // It sends signed webhooks too (thread control): for this machine only.
    if (crossOrigin) {
      req.resume();
      return sendJson(res, 403, { error: 'the sandbox takes no requests from other origins' });
    }
    return handleThreadsApi(req, res, ctx.routing);
  }
  req.resume();
  return sendJson(res, 404, { error: `no such sandbox API: ${req.method ?? ''} ${path.slice(0, 100)}` });
}

/** What the inbox is told of a customer's action the webhook listener took. */
function observedOf(action: CustomerAction, at: number, mid: string): ObservedCustomerMessage {
  const base = { at, pageId: action.pageId, psid: action.psid, mid, ...(action.instagram ? { instagram: true } : {}) };
  if (action.unsendMid !== undefined) return { ...base, unsent: true };
  if (action.postback) return { ...base, postback: action.postback };
  if (action.storyMention) return { ...base, storyMention: action.storyMention };
  if (action.sharedPost) return { ...base, sharedPost: action.sharedPost };
  return {
    ...base, text: action.text,
    ...(action.quickReplyPayload !== undefined ? { quickReplyPayload: action.quickReplyPayload } : {}),
    ...(action.storyReply ? { storyReply: action.storyReply } : {}),
  };
}

/** The action a request body describes, or why it does not describe one. */
export function customerAction(v: unknown): CustomerAction | string {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'the body must be a JSON object';
  const o = v as Record<string, unknown>;
  const str = (k: string) => (typeof o[k] === 'string' ? (o[k] as string) : undefined);
  const pageId = str('pageId');
  const psid = str('psid');
  if (!pageId || !/^\d{1,20}$/.test(pageId)) return 'pageId: a numeric Page id is required';
  if (!psid || psid.length > 64) return 'psid: the customer\'s id is required (at most 64 characters)';
  let agoMs: number | undefined;
  if (o.ago !== undefined) {
    const ago = typeof o.ago === 'string' ? parseAgo(o.ago) : 'ago: a duration such as "25h", "90m" or "8d"';
    if (typeof ago === 'string') return `ago: ${ago}`;
    agoMs = ago;
  }
  const dated = agoMs !== undefined ? { agoMs } : {};
  const instagram = o.instagram === true;
  const postback = o.postback as { title?: unknown; payload?: unknown } | undefined;
  if (postback !== undefined) {
    if (typeof postback !== 'object' || postback === null || typeof postback.payload !== 'string') return 'postback: {title, payload} with a string payload';
    return { pageId, psid, instagram, postback: { title: typeof postback.title === 'string' ? postback.title : '', payload: postback.payload }, ...dated };
  }
  if (instagram) {
    const only = instagramOnly(o);
    if (typeof only === 'string') return only;
    if (only !== undefined) return { pageId, psid, instagram, ...only, ...dated };
  } else if (INSTAGRAM_KEYS.some((k) => o[k] !== undefined)) {
    return `${INSTAGRAM_KEYS.find((k) => o[k] !== undefined)}: only Instagram sends this (set instagram: true)`;
  }
  const text = str('text');
  if (text === undefined || text.length === 0 || text.length > 2000) return 'text: 1 to 2000 characters (or a postback)';
  const storyReply = instagram && o.storyReply !== undefined ? storyOf(o.storyReply, 'storyReply') : undefined;
  if (typeof storyReply === 'string') return storyReply;
  return { pageId, psid, instagram, text, quickReplyPayload: str('quickReplyPayload'), ...(storyReply ? { storyReply: { id: storyReply.id ?? '', url: storyReply.url } } : {}), ...dated };
}

const INSTAGRAM_KEYS = ['storyReply', 'storyMention', 'sharedPost', 'unsendMid'] as const;
const MAX_URL = 2048;
const ID = /^[A-Za-z0-9_.:=-]{1,256}$/;

/** `{url, id?}` of a story: an http(s) URL of at most 2048 characters, an id of at most 256. */
function storyOf(v: unknown, key: string): { url: string; id?: string } | string {
  const o = typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  const url = o?.url;
  const id = o?.id;
  if (typeof url !== 'string' || url.length > MAX_URL || !/^https?:\/\//.test(url)) return `${key}.url: an http(s) URL of at most ${MAX_URL} characters`;
  if (id !== undefined && (typeof id !== 'string' || !ID.test(id))) return `${key}.id: letters, digits and _.:=- (at most 256)`;
  return typeof id === 'string' ? { url, id } : { url };
}

/** Instagram's own actions (a story mention, a shared post, an unsend), undefined for a text, or why the body is wrong. */
function instagramOnly(o: Record<string, unknown>): Pick<CustomerAction, 'storyMention' | 'sharedPost' | 'unsendMid'> | string | undefined {
  if (o.unsendMid !== undefined) return typeof o.unsendMid === 'string' && ID.test(o.unsendMid) ? { unsendMid: o.unsendMid } : 'unsendMid: the mid of a message (letters, digits and _.:=-)';
  if (o.storyMention !== undefined) {
    const story = storyOf(o.storyMention, 'storyMention');
    return typeof story === 'string' ? story : { storyMention: { url: story.url } };
  }
  if (o.sharedPost !== undefined) {
    const post = storyOf(o.sharedPost, 'sharedPost');
    if (typeof post === 'string') return post;
    const title = (o.sharedPost as Record<string, unknown>).title;
    if (post.id === undefined) return 'sharedPost.id: the media id is required';
    if (title !== undefined && (typeof title !== 'string' || title.length > 2200)) return 'sharedPost.title: a caption of at most 2200 characters';
    return { sharedPost: { mediaId: post.id, url: post.url, title: typeof title === 'string' ? title : '' } };
  }
  return undefined;
}



/** `{pageId, psid, count}` of a history seed (count 1 to 10,000), or why the body is not one. */
function historySeed(v: unknown): { pageId: string; psid: string; count: number } | string {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'the body must be a JSON object';
  const o = v as Record<string, unknown>;
  if (typeof o.pageId !== 'string' || !/^\d{1,20}$/.test(o.pageId)) return 'pageId must be a Page id (digits)';
  if (typeof o.psid !== 'string' || !/^\d{1,20}$/.test(o.psid)) return 'psid must be a PSID (digits)';
  if (typeof o.count !== 'number' || !Number.isInteger(o.count) || o.count < 1 || o.count > 10_000) return 'count must be an integer from 1 to 10000';
  return { pageId: o.pageId, psid: o.psid, count: o.count };
}
