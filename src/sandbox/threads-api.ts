import type { IncomingMessage, ServerResponse } from 'node:http';
import { readJsonBody, sendJson } from './json-http';
import { playOtherApp, type RoutingKit } from './routing-routes';
import { PAGE_INBOX_APP_ID } from '../limits/graph-limits';

/**
 * `/_sandbox/threads`: the other side of conversation routing.
 *   GET  ?pageId=P&psid=U                        -> {ownerAppId, standby}
 *   POST {pageId, psid, action: "pass"|"take"|"request", appId?, metadata?}
 * A POST plays another app (by default the Page Inbox, as when a person in Meta Business Suite
 * marks a conversation done, or takes it): `pass` hands the conversation back to the gateway,
 * `take` takes it from the gateway, `request` asks the gateway for it; the gateway's webhook
 * gets Meta's handover event.
 */
export async function handleThreadsApi(req: IncomingMessage, res: ServerResponse, kit: RoutingKit): Promise<void> {
  if (req.method === 'GET') {
    req.resume();
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const pageId = url.searchParams.get('pageId') ?? '';
    const psid = url.searchParams.get('psid') ?? '';
    if (!/^\d{1,20}$/.test(pageId) || psid === '' || psid.length > 64) return sendJson(res, 400, { error: 'pageId (digits) and psid are required' });
    return sendJson(res, 200, { ownerAppId: kit.threads.ownerOf(pageId, psid), standby: kit.threads.isStandby(pageId, psid) });
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
  const v = body.value as Record<string, unknown> | null;
  const str = (k: string) => (v !== null && typeof v === 'object' && typeof v[k] === 'string' ? (v[k] as string) : undefined);
  const pageId = str('pageId');
  const psid = str('psid');
  const action = str('action');
  const appId = str('appId') ?? PAGE_INBOX_APP_ID;
  const metadata = str('metadata');
  if (!pageId || !/^\d{1,20}$/.test(pageId)) return sendJson(res, 400, { error: 'pageId: a numeric Page id is required' });
  if (!psid || psid.length > 64) return sendJson(res, 400, { error: "psid: the customer's id is required (at most 64 characters)" });
  if (action !== 'pass' && action !== 'take' && action !== 'request') return sendJson(res, 400, { error: 'action: "pass" (back to the gateway), "take" (from the gateway) or "request" (ask the gateway for it)' });
  if (!/^\d{1,20}$/.test(appId)) return sendJson(res, 400, { error: 'appId: a numeric app id' });
  if (metadata !== undefined && metadata.length > 1000) return sendJson(res, 400, { error: 'metadata: at most 1000 characters' });
  const answer = await playOtherApp(kit, { pageId, psid, action, appId, metadata });
  return sendJson(res, answer.status, answer.body);
}
