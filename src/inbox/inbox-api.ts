import type { IncomingMessage, ServerResponse } from 'node:http';
import { request } from 'undici';
import { CHAOS_PRESETS, type ChaosBoard } from '../sandbox/chaos-board';
import { readJsonBody, sendJson } from '../sandbox/json-http';
import type { ConversationStore } from './conversation-store';
import type { EventStream } from './event-stream';
import type { PageObjects } from '../sandbox/page-objects';
import { inboxPage } from './inbox-page';

/** What the JSON API works on. */
export interface InboxApiContext {
  store: ConversationStore;
  chaos: ChaosBoard;
  events: EventStream;
  /** The sandbox's URL: replies go to its customer API. */
  sandboxUrl: string;
  /** The sandbox's personas and Messenger Profiles. */
  objects?: PageObjects;
}


/**
 * The inbox's JSON API under `/api/` (documented in src/sandbox/README.md):
 *   GET    /api/conversations                         summaries, most recently active first
 *   GET    /api/conversations/{page}/{recipient}      one conversation with its items
 *   GET    /api/messages[?pageId=]                    every item, newest first, with pageId and recipient
 *   DELETE /api/conversations[?pageId=]               forget all (or one Page's)
 *   GET    /api/pages/{page}                          the Page's Messenger Profile and personas
 *   GET    /api/chaos                                 every Page's switches and the presets
 *   PUT    /api/chaos/{page}                          {failNext?: {count, code, subcode?}, latencyMs?}
 *   DELETE /api/chaos[/{page}]                        switches off
 *   POST   /api/customer/messages                     reply as the customer (the sandbox's customer API)
 *   GET    /api/threads/{page}/{recipient}            who owns the conversation {ownerAppId, standby}
 *   POST   /api/threads                               play the other app: {pageId, psid, action: pass|take|request, appId?, metadata?}
 *   GET    /api/windows/{page}/{recipient}            the conversation's windows and owner, as the sandbox (Meta) knows them
 *   POST   /api/windows                               age the conversation: {pageId, psid, ago: "25h"}
 *   POST   /api/history                               seed a conversation's past messages: {pageId, psid, count}
 *   GET    /api/events                                server-sent events
 * Bodies are JSON and must say `content-type: application/json`: a page of another origin cannot
 * send that without a CORS preflight, which is never allowed.
 */
export async function handleInboxApi(req: IncomingMessage, res: ServerResponse, url: URL, ctx: InboxApiContext): Promise<void> {
  const method = req.method ?? 'GET';
  const parts = url.pathname.split('/').slice(2).map(safeDecode);
  if (parts.some((p) => p === undefined)) return sendJson(res, 400, { error: 'the path is not valid percent-encoding' });
  const [what, a, b] = parts as string[];
  if (method !== 'GET' && method !== 'HEAD' && !/^application\/json\b/i.test(req.headers['content-type'] ?? '') && method !== 'DELETE') {
    req.resume();
    return sendJson(res, 415, { error: 'send the body as content-type: application/json' });
  }
  if (what === 'events' && method === 'GET' && parts.length === 1) return ctx.events.open(req, res);
  if (what === 'conversations' && parts.length === 1) {
    if (method === 'GET') return sendJson(res, 200, { conversations: ctx.store.list() });
    if (method === 'DELETE') {
      ctx.store.clear(url.searchParams.get('pageId') ?? undefined);
      return sendJson(res, 200, { cleared: true });
    }
  }
  if (what === 'conversations' && parts.length === 3 && method === 'GET') {
    const c = ctx.store.get(a, b);
    return c ? sendJson(res, 200, c) : sendJson(res, 404, { error: `no conversation of page ${a} with ${b}` });
  }
  if (what === 'messages' && parts.length === 1 && method === 'GET') {
    const pageId = url.searchParams.get('pageId');
    const messages = ctx.store
      .list()
      .filter((s) => pageId === null || s.pageId === pageId)
      .flatMap((s) => (ctx.store.get(s.pageId, s.recipient)?.items ?? []).map((i) => ({ pageId: s.pageId, recipient: s.recipient, ...i })))
      .sort((x, y) => y.id - x.id);
    return sendJson(res, 200, { messages });
  }
  if (what === 'pages' && parts.length === 2 && method === 'GET' && /^\d{1,20}$/.test(a)) {
    return sendJson(res, 200, ctx.objects ? inboxPage(ctx.objects, a) : { pageId: a, profile: {}, personas: [] });
  }
  if (what === 'chaos') {
    if (parts.length === 1 && method === 'GET') return sendJson(res, 200, { pages: ctx.chaos.list(), presets: CHAOS_PRESETS });
    if (parts.length === 1 && method === 'DELETE') {
      ctx.chaos.clear();
      return chaosChanged(res, ctx);
    }
    if (parts.length === 2 && /^\d{1,20}$/.test(a)) {
      if (method === 'DELETE') {
        ctx.chaos.clear(a);
        return chaosChanged(res, ctx);
      }
      if (method === 'PUT') {
        const body = await readJsonBody(req);
        if (!body.ok) return sendJson(res, 400, { error: body.why });
        const why = ctx.chaos.set(a, body.value);
        if (why) return sendJson(res, 400, { error: why });
        return chaosChanged(res, ctx);
      }
    }
  }
  if (what === 'customer' && a === 'messages' && parts.length === 2 && method === 'POST') {
    const body = await readJsonBody(req);
    if (!body.ok) return sendJson(res, 400, { error: body.why });
    return forwardToCustomerApi(res, ctx.sandboxUrl, body.value);
  }
  if (what === 'threads') return forwardToSandbox(req, res, ctx.sandboxUrl, '/_sandbox/threads', method, parts as string[]);
  if (what === 'history') return forwardToSandbox(req, res, ctx.sandboxUrl, '/_sandbox/history', method, parts as string[]);
  if (what === 'windows') return forwardToSandbox(req, res, ctx.sandboxUrl, '/_sandbox/windows', method, parts as string[]);
  req.resume();
  return sendJson(res, 404, { error: `no such inbox API: ${method} ${url.pathname.slice(0, 100)}` });
}

// The event stream hears of the change from the board itself (inbox-server.ts).
function chaosChanged(res: ServerResponse, ctx: InboxApiContext): void {
  sendJson(res, 200, { pages: ctx.chaos.list() });
}

/** The sandbox's customer API does the work (a signed webhook to the gateway); its answer is passed on. */
async function forwardToCustomerApi(res: ServerResponse, sandboxUrl: string, body: unknown): Promise<void> {
  try {
    const answer = await request(`${sandboxUrl}/_sandbox/customer/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      headersTimeout: 15_000,
      bodyTimeout: 15_000,
    });
    const text = await answer.body.text();
    res.writeHead(answer.statusCode, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  } catch (err) {
    sendJson(res, 502, { error: `the sandbox did not answer: ${(err as Error).message}` });
  }
}

/**
 * One of the sandbox's conversation APIs (`/_sandbox/threads`, `/_sandbox/windows`) behind the
 * inbox's origin, so that its page can use it: `GET /api/{what}/{page}/{recipient}` and
 * `POST /api/{what}`. The inbox calls the sandbox on loopback with no Origin, as any local client.
 */
async function forwardToSandbox(req: IncomingMessage, res: ServerResponse, sandboxUrl: string, path: string, method: string, parts: string[]): Promise<void> {
  let target: string;
  let body: string | undefined;
  if (method === 'GET' && parts.length === 3) {
    target = `${sandboxUrl}${path}?${new URLSearchParams({ pageId: parts[1], psid: parts[2] }).toString()}`;
    req.resume();
  } else if (method === 'POST' && parts.length === 1) {
    const read = await readJsonBody(req);
    if (!read.ok) return sendJson(res, 400, { error: read.why });
    target = `${sandboxUrl}${path}`;
    body = JSON.stringify(read.value);
  } else {
    req.resume();
    const what = parts[0];
    return sendJson(res, 404, { error: `GET /api/${what}/{page}/{recipient} or POST /api/${what}` });
  }
  try {
    const answer = await request(target, { method: method === 'GET' ? 'GET' : 'POST', headers: { 'content-type': 'application/json' }, body, headersTimeout: 15_000, bodyTimeout: 15_000 });
    const text = await answer.body.text();
    res.writeHead(answer.statusCode, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  } catch (err) {
    sendJson(res, 502, { error: `the sandbox did not answer: ${(err as Error).message}` });
  }
}

function safeDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}


