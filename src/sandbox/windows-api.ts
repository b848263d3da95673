import type { IncomingMessage, ServerResponse } from 'node:http';
import { readJsonBody, sendJson } from './json-http';
import { parseAgo } from './clock-offset';
import type { MessagingWindows } from './messaging-windows';
import type { ThreadOwners } from './thread-owners';

/** What Meta (the sandbox) knows of one conversation: its windows and its owner; times in epoch ms. */
export interface ConversationView {
  pageId: string;
  psid: string;
  /** The sandbox's clock when it answered: the page counts time left from it, not from its own. */
  now: number;
  /** Whether a window-opening action of this person was seen (else every send goes out). */
  known: boolean;
  lastActionAt?: number;
  standardWindowEndsAt?: number;
  humanAgentWindowEndsAt?: number;
  ownerAppId: string;
  /** Another app owns the conversation: the gateway's sends are refused. */
  standby: boolean;
}

/** The view of one conversation. */
export function conversationView(pageId: string, psid: string, windows: MessagingWindows, threads: ThreadOwners, now = Date.now()): ConversationView {
  const w = windows.state(pageId, psid);
  return {
    pageId, psid, now, known: w.known,
    ...(w.known ? { lastActionAt: w.lastActionAt, standardWindowEndsAt: w.standardEndsAt, humanAgentWindowEndsAt: w.humanAgentEndsAt } : {}),
    ownerAppId: threads.ownerOf(pageId, psid),
    standby: threads.isStandby(pageId, psid),
  };
}

/**
 * `/_sandbox/windows`: each conversation's windows and owner, and its clock offset.
 *   GET  ?pageId=P&psid=U             -> ConversationView
 *   POST {pageId, psid, ago: "25h"}   the customer's last action is now that long ago -> ConversationView
 */
export async function handleWindowsApi(req: IncomingMessage, res: ServerResponse, windows: MessagingWindows, threads: ThreadOwners): Promise<void> {
  if (req.method === 'GET') {
    req.resume();
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const who = conversationOf(url.searchParams.get('pageId'), url.searchParams.get('psid'));
    if (typeof who === 'string') return sendJson(res, 400, { error: who });
    return sendJson(res, 200, conversationView(who.pageId, who.psid, windows, threads));
  }
  if (req.method !== 'POST') {
    req.resume();
    return sendJson(res, 405, { error: 'GET or POST' });
  }
  // JSON only, as for the customer API: a page elsewhere cannot post it without asking.
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
    req.resume();
    return sendJson(res, 415, { error: 'the body must be application/json' });
  }
  const body = await readJsonBody(req);
  if (!body.ok) return sendJson(res, 400, { error: body.why });
  const v = typeof body.value === 'object' && body.value !== null ? (body.value as Record<string, unknown>) : {};
  const who = conversationOf(v.pageId, v.psid);
  if (typeof who === 'string') return sendJson(res, 400, { error: who });
  const ago = typeof v.ago === 'string' ? parseAgo(v.ago) : 'ago: a duration such as "25h", "90m" or "8d" is required';
  if (typeof ago === 'string') return sendJson(res, 400, { error: ago });
  // One clock for the change and the answer: the window the caller reads ends exactly `ago` from `now`.
  const now = Date.now();
  windows.age(who.pageId, who.psid, ago, now);
  return sendJson(res, 200, conversationView(who.pageId, who.psid, windows, threads, now));
}

function conversationOf(pageId: unknown, psid: unknown): { pageId: string; psid: string } | string {
  if (typeof pageId !== 'string' || !/^\d{1,20}$/.test(pageId)) return 'pageId: a numeric Page id is required';
  if (typeof psid !== 'string' || psid === '' || psid.length > 64) return "psid: the customer's id is required (at most 64 characters)";
  return { pageId, psid };
}
