// The fake Graph's conversation-routing and user-profile endpoints, per Page:
//   POST /{page}/pass_thread_control     {recipient: {id}, target_app_id, metadata?}
//   POST /{page}/take_thread_control     {recipient: {id}, metadata?}
//   POST /{page}/request_thread_control  {recipient: {id}, metadata?}
//   GET  /{page}/thread_owner?recipient=PSID   -> {data: [{thread_owner: {app_id}}]}
//   GET  /{psid}?fields=first_name,...         -> the profile (a stable made-up person)
// with the same auth and magic recipient values as sends (`error-100-2018218`, `delay-500`, ...):
// the magic is read from the recipient (the PSID in the path for a profile).

import type { IncomingMessage, ServerResponse } from 'node:http';
import { envelope, invalidParam, type GraphErrorFields } from './graph-errors';
import { isObject } from './json-checks';
import { parseMagic, type Magic } from './magic-recipients';
import { decodeParams, readRequestBody } from './read-request-body';
import { checkAuth, extractToken, type PageSecrets } from './sandbox-auth';
import type { UsageMeter } from './usage-headers';
import { tell, type SandboxObserver } from './sandbox-observer';
import { ThreadOwners, SANDBOX_APP_ID } from './thread-owners';
import { postHandover, type HandoverKey } from './handover-webhook';
import { userProfile, isProfileQuery } from './user-profiles';

/** What the routes need from the sandbox that runs them. */
export interface RoutingKit {
  pages: Record<string, PageSecrets>;
  usage: UsageMeter;
  threads: ThreadOwners;
  /** The gateway's webhook listener, for the handover events (set once it listens). */
  customer(): { webhookUrl: string; appSecret: string } | undefined;
  observer?: SandboxObserver;
  /** The Page a call acts for (`me` resolved by its token). */
  resolvePage(pageId: string, token: string | undefined): { pageId: string; secrets?: PageSecrets };
  /** Answers as a magic value asks, or `ok`; resolves with whether `ok` went out. */
  perform(res: ServerResponse, magic: Magic | undefined, ok: unknown, pageId: string): Promise<boolean>;
}

const THREAD = /^\/(?:v\d+\.\d+\/)?(me|\d{1,20})\/(pass_thread_control|take_thread_control|request_thread_control|thread_owner)\/?$/;
const NODE = /^\/(?:v\d+\.\d+\/)?([^/]{1,200})\/?$/;

type Edge = 'pass_thread_control' | 'take_thread_control' | 'request_thread_control' | 'thread_owner' | 'profile';

/** The route of a request, or undefined when it is not one of these endpoints. */
function routeOf(method: string, url: URL): { node: string; edge: Edge } | undefined {
  const thread = THREAD.exec(url.pathname);
  if (thread) return { node: thread[1], edge: thread[2] as Edge };
  // `GET /{id}` is also how a persona or any other node is read: only a query for a person's
  // profile fields is a profile lookup.
  const node = method === 'GET' ? NODE.exec(url.pathname) : null;
  if (node && isProfileQuery(url.searchParams.get('fields'))) return { node: node[1], edge: 'profile' };
  return undefined;
}

/** Whether the request is a routing or profile call (checked without a promise: sends go on at once). */
export function isRoutingRoute(method: string, url: URL): boolean {
  return routeOf(method, url) !== undefined;
}

/** Answers a routing or profile call. */
export async function handleRoutingRoute(req: IncomingMessage, res: ServerResponse, url: URL, record: { body: Record<string, unknown> | undefined }, kit: RoutingKit): Promise<void> {
  const method = req.method ?? 'GET';
  const route = routeOf(method, url);
  if (!route) return;
  const expected = route.edge === 'thread_owner' || route.edge === 'profile' ? 'GET' : 'POST';
  let body: Record<string, unknown> | undefined;
  if (method === 'POST') {
    const parsed = await readRequestBody(req);
    if (parsed.kind === 'aborted') return;
    if (parsed.kind === 'invalid') {
      refuse(res, parsed.error, kit.usage.normal('0'));
      return;
    }
    body = parsed.body;
    record.body = body;
  } else {
    req.resume();
  }
  const params = { ...decodeParams(url.searchParams), ...body };
  const token = extractToken(req.headers, params);
  const profileOf = route.edge === 'profile' ? decodeNode(route.node) : undefined;
  // A profile is read with the Page's token: the Page is the token's.
  const { pageId, secrets } = kit.resolvePage(route.edge === 'profile' ? 'me' : route.node, token);
  const headers = kit.usage.normal(pageId);
  if (method !== expected) {
    refuse(res, invalidParam(`Unsupported ${method.toLowerCase()} request. Object with ID '${route.node}' does not support this operation.`, 33), headers);
    return;
  }
  const authError = checkAuth(token, params, secrets, Math.floor(Date.now() / 1000));
  if (authError) {
    refuse(res, authError, headers);
    return;
  }
  if (route.edge === 'profile') {
    if (profileOf === undefined) {
      refuse(res, invalidParam('Invalid user id'), headers);
      return;
    }
    const fields = String(url.searchParams.get('fields')).split(',');
    await kit.perform(res, parseMagic(profileOf), userProfile(profileOf, fields), pageId);
    return;
  }
  const psid = route.edge === 'thread_owner' ? stringParam(params.recipient) : recipientId(params.recipient);
  if (psid === undefined) {
    refuse(res, invalidParam(route.edge === 'thread_owner' ? 'param recipient must be non-empty.' : 'param recipient[id] must be non-empty.'), headers);
    return;
  }
  const metadata = params.metadata;
  if (metadata !== undefined && (typeof metadata !== 'string' || [...metadata].length > 1000)) {
    refuse(res, invalidParam('param metadata must be a string of at most 1000 characters.'), headers);
    return;
  }
  const magic = parseMagic(psid);
  if (route.edge === 'thread_owner') {
    await kit.perform(res, magic, { data: [{ thread_owner: { app_id: kit.threads.ownerOf(pageId, psid) } }] }, pageId);
    return;
  }
  let target = SANDBOX_APP_ID;
  if (route.edge === 'pass_thread_control') {
    const app = appId(params.target_app_id);
    if (app === undefined) {
      refuse(res, invalidParam('param target_app_id must be a valid app id.'), headers);
      return;
    }
    if (kit.threads.ownerOf(pageId, psid) !== SANDBOX_APP_ID) {
      refuse(res, { message: '(#10) Only the thread owner can pass thread control.', type: 'OAuthException', code: 10 }, headers);
      return;
    }
    target = app;
  }
  const answered = await kit.perform(res, magic, { success: true }, pageId);
  if (!answered || route.edge === 'request_thread_control') return;
  const change = kit.threads.setOwner(pageId, psid, target);
  if (!change) return;
  tell(kit.observer, (o) => o.onThreadOwner?.(change));
  // Meta tells the app that gets a conversation (pass) and the app it was taken from (take):
  // the gateway's own pass and take are announced to the other app only, so no webhook here.
  // The gateway's events come from the other app's moves (playOtherApp).
  return;
}

/**
 * Plays the other app: it passes the conversation to the gateway, takes it, or asks the gateway
 * (the owner) for it; the gateway gets Meta's handover event (a request changes no owner).
 */
export async function playOtherApp(kit: RoutingKit, move: { pageId: string; psid: string; action: 'pass' | 'take' | 'request'; appId: string; metadata?: string }): Promise<{ status: number; body: unknown }> {
  const owner = kit.threads.ownerOf(move.pageId, move.psid);
  if (move.action === 'pass' && owner === SANDBOX_APP_ID) return { status: 409, body: { error: 'the gateway already owns this conversation: nothing to pass back' } };
  if (move.action !== 'pass' && owner !== SANDBOX_APP_ID) return { status: 409, body: { error: `app ${owner} already owns this conversation` } };
  let key: HandoverKey;
  let event: Record<string, string>;
  let ownerAppId = owner;
  if (move.action === 'request') {
    key = 'request_thread_control';
    event = { requested_owner_app_id: move.appId, ...(move.metadata ? { metadata: move.metadata } : {}) };
  } else {
    const change = kit.threads.setOwner(move.pageId, move.psid, move.action === 'pass' ? SANDBOX_APP_ID : move.appId)!;
    tell(kit.observer, (o) => o.onThreadOwner?.(change));
    key = move.action === 'pass' ? 'pass_thread_control' : 'take_thread_control';
    event = { previous_owner_app_id: change.previousOwnerAppId, new_owner_app_id: change.ownerAppId, ...(move.metadata ? { metadata: move.metadata } : {}) };
    ownerAppId = change.ownerAppId;
  }
  const customer = kit.customer();
  if (!customer) return { status: 200, body: { ownerAppId, webhookStatus: null } };
  try {
    const answer = await postHandover(customer, move.pageId, move.psid, key, event);
    return { status: answer.status === 200 ? 200 : 502, body: { ownerAppId, webhookStatus: answer.status } };
  } catch (err) {
    return { status: 502, body: { ownerAppId, error: `the webhook listener did not answer: ${(err as Error).message}` } };
  }
}

function refuse(res: ServerResponse, error: GraphErrorFields, headers: Record<string, string>): void {
  if (res.destroyed || res.headersSent) return;
  const text = JSON.stringify(envelope(error));
  res.writeHead(400, { ...headers, 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function recipientId(v: unknown): string | undefined {
  return isObject(v) ? stringParam(v.id) : undefined;
}

function stringParam(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  return typeof v === 'string' && v !== '' && v.length <= 200 ? v : undefined;
}

/** Graph takes an app id as a number or a string of digits. */
function appId(v: unknown): string | undefined {
  const s = stringParam(v);
  return s !== undefined && /^\d{1,20}$/.test(s) ? s : undefined;
}

function decodeNode(node: string): string | undefined {
  try {
    const id = decodeURIComponent(node);
    return /^\d{1,20}$/.test(id) || parseMagic(id) !== undefined ? id : undefined;
  } catch {
    return undefined;
  }
}
