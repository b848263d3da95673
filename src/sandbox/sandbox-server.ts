/**
 * The sandbox: a fake Graph API that is a real HTTP server speaking the Messenger Send API.
 * The gateway runs on it in sandbox mode, and tests point their Graph clients at it.
 *
 * Paths (any `vN.N` prefix or none; `{page}` is numeric or `me`):
 *   POST /{page}/messages             send a message or a sender action
 *   POST /{page}/message_attachments  upload an attachment (URL as JSON, or multipart `filedata`)
 *   personas, messenger_profile, message_templates and /{persona-id}: page-routes.ts
 * Anything else answers 404 with a Graph error (code 100, subcode 33, "Unknown path components").
 *
 * The same paths below `/instagram` are the graph.instagram.com stand-in (instagram-accounts.ts):
 * Instagram Login accounts with their own tokens (refused on the Page host, and Page tokens
 * there), Instagram's refusals, and `GET /instagram/refresh_access_token` renewing a token.
 *
 * Bodies: JSON, form-urlencoded (object params as JSON strings) or multipart/form-data
 * (`recipient`/`message` as JSON strings plus a `filedata` part, streamed and only counted).
 * Query params count as body params, as on Graph.
 *
 * Auth as on Graph: token from `Authorization: Bearer <token>` or `access_token`; when the
 * Page is configured with `accessToken` it must match, with `appSecret` an `appsecret_proof`
 * (classic, or time-stamped with `appsecret_time` within 5 minutes) is required.
 *
 * Validation: {@link validateGraphSend} / {@link validateGraphUpload} (graph-validator.ts); a
 * react or unreact must name a message the sandbox knows for that Page (one it answered a send
 * with, or a customer's it was told of), else 100 "Invalid parameter", as Graph refuses one.
 *
 * Meta's send rules (send-policy.ts), after validation: a conversation another app owns gets
 * 10/2018300; outside the messaging window (messaging-windows.ts: 24 h after the person's last
 * window-opening action, 7 days for HUMAN_AGENT, any time for a utility template) 10/2018278,
 * 10/2534022 for an Instagram account (which has neither utility templates nor tags but HUMAN_AGENT).
 * A person never seen is inside the window.
 *
 * Magic recipient values (any recipient identifier; for uploads the file name or the URL's
 * last path segment, extension dropped), applied after auth and validation pass:
 *   error-<code>[-<subcode>]  that Graph error with Graph's wording, type OAuthException, random
 *                             fbtrace_id, HTTP 400 (500 for codes 1, 2, 1200; is_transient for 1, 2);
 *                             rate-limit codes (4, 17, 32, 341, 613, 80001, 80002, 80006) also send
 *                             X-App-Usage, X-Page-Usage and X-Business-Use-Case-Usage at 100%
 *                             with estimated_time_to_regain_access 1 (minute)
 *   error-http-<status>       that HTTP status (200-599) with an HTML body and no Graph error
 *   error-malformed           200 with a body that is not valid JSON
 *   error-hang                no answer until the client goes away or close() is called
 *   delay-<ms>[-<rest>]       answers after <ms> ms (at most 10 min); <rest> may be magic too
 *                             (`delay-500-error-613`), else it only makes the value unique
 *
 * Requests whose Host is not a loopback name or the listen address (421), or whose Origin is
 * another site's (403), are refused before anything else (DNS rebinding, cross-origin forms).
 * Every other request, refused ones included, is appended to `received` (the last 10,000 are kept).
 * `received` holds what clients sent, credentials included; the sandbox itself logs nothing.
 */

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { envelope, errorStatus, invalidParam, type GraphErrorBody, type GraphErrorFields } from './graph-errors';
import { INSTAGRAM_HOST_PREFIX, InstagramAccounts, instagramSendProblem, type SandboxInstagramAccount } from './instagram-accounts';
import { reactionTarget, recipientKey, validateGraphSend, validateGraphUpload } from './graph-validator';
import { KnownMessages } from './known-messages';
import { isObject } from './json-checks';
import { parseMagic, uploadMagic, type Magic } from './magic-recipients';
import { decodeParams, readRequestBody } from './read-request-body';
import { checkAuth, extractToken, type PageSecrets } from './sandbox-auth';
import { isKnownNode, parseRoute, type Route } from './sandbox-routes';
import { recipientId, sendSuccess, stableNumericId, uploadSuccess } from './success-bodies';
import { UsageMeter } from './usage-headers';
import { handleSandboxApi, type SandboxApiContext } from './sandbox-api';
import { answer, perform, type Answer } from './sandbox-answer';
import { ChaosBoard } from './chaos-board';
import { sendJson } from './json-http';
import { hostAllowed, originAllowed } from './loopback-origin';
import { PageObjects } from './page-objects';
import { handlePageRoute, type PageRouteContext } from './page-routes';
import { tell, withoutCredentials, type SandboxObserver, type SendOutcome } from './sandbox-observer';
import { handleRoutingRoute, isRoutingRoute, type RoutingKit } from './routing-routes';
import { ThreadOwners } from './thread-owners';
import { MessagingWindows } from './messaging-windows';
import { policyRefusal } from './send-policy';
import { ConversationHistories, historyObserver, type HistoryContext } from './conversation-history';

export type { PageSecrets } from './sandbox-auth';
export type { SandboxInstagramAccount } from './instagram-accounts';

/** How to start a sandbox. */
export interface SandboxOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /** Per-Page credentials to enforce; Pages not listed accept any token. */
  pages?: Record<string, PageSecrets>;
  /** How many requests `received` keeps (default {@link MAX_RECEIVED}). */
  maxReceived?: number;
  /** The gateway's webhook listener, for the customer API (`POST /_sandbox/customer/messages`). */
  customer?: SandboxApiContext['customer'];
  /** Told of every `/messages` answer and every customer message (the inbox). */
  observer?: SandboxObserver;
  /** Instagram accounts by id: through a linked Page, or through Instagram Login (instagram-accounts.ts). */
  instagram?: Record<string, SandboxInstagramAccount>;
}

/** One request as the sandbox received it. */
export interface ReceivedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body, or the form/multipart fields with JSON-string objects parsed. */
  body: Record<string, unknown> | undefined;
  file?: { field: string; filename: string; contentType: string; size: number };
}

/** A running sandbox. */
export interface Sandbox {
  /** e.g. `http://127.0.0.1:PORT`, without a trailing slash. */
  url: string;
  /** The graph.instagram.com stand-in: `graph.instagramBaseUrl` in sandbox mode (`<url>/instagram`). */
  instagramUrl: string;
  /** The Instagram accounts: tokens of the Instagram host, refresh failures to simulate, their customers. */
  instagram: InstagramAccounts;
  port: number;
  /** Every request received, oldest first (the last `maxReceived`, default {@link MAX_RECEIVED}). */
  received: ReceivedRequest[];
  /** Points the customer API at a webhook listener (set once the gateway's listener is up). */
  setCustomer(customer: SandboxApiContext['customer']): void;
  /** The chaos switchboard: per Page, failures for the next sends and added latency. */
  chaos: ChaosBoard;
  /** Each Page's personas, Messenger Profile and utility templates (page-routes.ts). */
  objects: PageObjects;
  /** A message of this Page the sandbox did not answer itself (a customer's, from a webhook), so that it may be reacted to. */
  rememberMessage(pageId: string, mid: string): void;
  /**
   * Whether a react/unreact must name a known message (default true, as on Graph). Off: any id
   * is accepted, for tests that make ids up (fuzzing) and are not about Graph's knowledge of messages.
   */
  setReactionCheck(strict: boolean): void;
  /** Who owns each conversation (conversation routing). */
  threads: ThreadOwners;
  /**
   * Each conversation's messaging windows: told of every window-opening action the gateway's
   * webhook listener stored (Meta's time), and aged by the inbox or `/_sandbox/windows`.
   */
  windows: MessagingWindows;
  /** Each conversation's history, served by the fake Conversations API (conversation-history.ts). */
  history: ConversationHistories;
  close(): Promise<void>;
}

/** How many requests `received` keeps, so a long-running sandbox does not grow without end. */
export const MAX_RECEIVED = 10_000;

/** Starts a sandbox and resolves once it listens. */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const host = options.host ?? '127.0.0.1';
  const pages = options.pages ?? {};
  const received: ReceivedRequest[] = [];
  const usage = new UsageMeter();
  const maxReceived = Math.max(1, options.maxReceived ?? MAX_RECEIVED);

  const history = new ConversationHistories();
  // The history hears every send the sandbox answered and every customer message, before whoever
  // else observes them (the inbox).
  const observer = historyObserver(history, options.observer);
  const known = new KnownMessages();
  const instagram = new InstagramAccounts(options.instagram);
  const checks = { reactions: true };
  const threads = new ThreadOwners();
  const windows = new MessagingWindows();
  const routing: RoutingKit = {
    pages, usage, threads, observer,
    customer: () => api.customer,
    resolvePage: (pageId, token) => resolvePage({ pageId, edge: 'messages' }, token, pages),
    perform: async (res, magic, body, pageId) => (await perform(res, magic, { kind: 'json', status: 200, body, headers: usage.normal(pageId) }, pageId, usage))?.kind === 'ok',
  };
  const api: SandboxApiContext = { customer: options.customer, observer, known, routing, windows, history };
  const chaos = new ChaosBoard();
  const objects = new PageObjects();
  const pageRoutes: PageRouteContext = { objects, pages, usage, chaos, resolvePage: (pageId, token) => resolvePage({ pageId, edge: 'messages' }, token, pages), instagramOf: (pageId) => instagram.linkedTo(pageId) };
  const server = createServer((req, res) => {
    handle(req, res, { pages, received, usage, maxReceived, api, chaos, known, checks, pageRoutes, observer, routing, windows, host, instagram, history }).catch((err: unknown) => {
      // A bug here must not take the sandbox down; the client sees a bare 500. Stacks name
      // code, never request data, so this cannot leak a token.
      process.stderr.write(`sandbox: internal error: ${err instanceof Error ? err.stack : String(err)}\n`);
      if (!res.headersSent && !res.destroyed) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      // Keep-alive and hanging requests would otherwise hold close() open forever.
      server.closeAllConnections();
    });
    return closing;
  };
  return {
    url: `http://${urlHost}:${port}`, instagramUrl: `http://${urlHost}:${port}${INSTAGRAM_HOST_PREFIX}`, instagram,
    port, received, close, chaos, objects, threads, windows, history,
    setCustomer: (customer) => void (api.customer = customer),
    rememberMessage: (pageId, mid) => known.add(pageId, mid),
    setReactionCheck: (strict) => void (checks.reactions = strict),
  };
}

interface Context {
  pages: Record<string, PageSecrets>;
  received: ReceivedRequest[];
  usage: UsageMeter;
  maxReceived: number;
  api: SandboxApiContext;
  chaos: ChaosBoard;
  pageRoutes: PageRouteContext;
  known: KnownMessages;
  checks: { reactions: boolean };
  observer?: SandboxObserver;
  routing: RoutingKit;
  windows: MessagingWindows;
  /** The address it listens on: a Host or Origin naming it is its own. */
  host: string;
  instagram: InstagramAccounts;
  history: ConversationHistories;
}

async function handle(req: IncomingMessage, res: ServerResponse, ctx: Context): Promise<void> {
  // Only the machine itself may drive the sandbox: not a page of another site posting a form
  // (its Origin), nor one that rebound its name to loopback (its Host). Otherwise any web page
  // could inject conversations, or have the customer API sign webhooks with the app secret.
  // Refused before anything is recorded or read.
  if (!hostAllowed(req.headers.host, ctx.host)) {
    req.resume();
    return sendJson(res, 421, { error: 'the sandbox answers only to its own address (loopback)' });
  }
  const crossOrigin = !originAllowed(req.headers.origin, ctx.host);
  let url = new URL(req.url ?? '/', 'http://sandbox');
  // The sandbox's own API is not Graph: not recorded among Graph requests.
  if (url.pathname.startsWith('/_sandbox/')) return handleSandboxApi(req, res, url.pathname, ctx.api, crossOrigin);
  if (crossOrigin) {
    req.resume();
    return sendJson(res, 403, { error: 'the sandbox takes no requests from other origins' });
  }
  const query = Object.fromEntries(url.searchParams);
  const record: ReceivedRequest = { method: req.method ?? 'GET', path: url.pathname, query, headers: { ...req.headers }, body: undefined };
  // Recorded before anything can fail, so refused and hanging requests show up too.
  remember(ctx.received, record, ctx.maxReceived);
  // The Instagram host stand-in: the same edges below its prefix, with its own tokens and rules.
  const igHost = url.pathname === INSTAGRAM_HOST_PREFIX || url.pathname.startsWith(`${INSTAGRAM_HOST_PREFIX}/`);
  if (igHost) {
    url = new URL(url.pathname.slice(INSTAGRAM_HOST_PREFIX.length) + url.search, 'http://sandbox');
    if (/^\/(?:v\d+\.\d+\/)?refresh_access_token\/?$/.test(url.pathname)) return refreshToken(req, res, url, ctx);
  }
  // First the Page setup edges: a bare id there is only a persona this sandbox made, so a PSID
  // (a user profile) goes on to the routing routes.
  const historyRoute = ctx.history.route(record.method, url);
  if (historyRoute) return ctx.history.answer(req, res, url, historyRoute, historyContext(ctx, igHost));
  const pageRoute = handlePageRoute(req, res, url, record, ctx.pageRoutes);
  if (pageRoute) return pageRoute;
  if (isRoutingRoute(record.method, url)) return handleRoutingRoute(req, res, url, record, ctx.routing);
  const route = parseRoute(url.pathname);
  if (!route) {
    req.resume();
    const error = invalidParam(`Unknown path components: ${url.pathname}`, 33);
    return answer(res, { kind: 'json', status: 404, body: envelope(error), headers: ctx.usage.normal('0') });
  }
  if (record.method !== 'POST' || !isKnownNode(route.pageId)) {
    req.resume();
    const error = invalidParam(
      `Unsupported ${record.method.toLowerCase()} request. Object with ID '${route.pageId}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
      33,
    );
    return answer(res, { kind: 'json', status: 400, body: envelope(error), headers: ctx.usage.normal('0') });
  }

  const parsed = await readRequestBody(req);
  if (parsed.kind === 'aborted') return;
  if (parsed.kind === 'ok') {
    // The log keeps what a test needs to look at, not a client's megabytes: it holds up to
    // MAX_RECEIVED requests, so an unbounded body each would be gigabytes.
    record.body = boundedBody(parsed.body);
    if (parsed.file) record.file = { ...parsed.file };
  }
  const params = { ...decodeParams(url.searchParams), ...(parsed.kind === 'ok' ? parsed.body : undefined) };
  const token = extractToken(req.headers, params);
  const resolved = igHost ? resolveInstagram(route, token, ctx.instagram) : resolvePage(route, token, ctx.pages);
  const { secrets } = resolved;
  // A send on a Page to a person who wrote to its linked Instagram account is that account's.
  const igOnPage = igHost || route.edge !== 'messages'
    ? undefined
    : ctx.instagram.instagramSendOnPage(resolved.pageId, recipientId(params.recipient)) ?? (instagramOnly(params) ? ctx.instagram.linkedTo(resolved.pageId) : undefined);
  const pageId = igOnPage ?? resolved.pageId;
  const instagramRules = igHost || igOnPage !== undefined;
  const headers = ctx.usage.normal(pageId);
  // What the observer is told of a /messages answer: the send without its credentials, and the outcome.
  const observe = (outcome: SendOutcome | undefined, delayedMs = 0): void => {
    if (route.edge !== 'messages' || outcome === undefined) return;
    const body = withoutCredentials(params);
    tell(ctx.observer, (o) => o.onSend?.({ at: Date.now(), pageId, body, outcome, ...(delayedMs > 0 ? { delayedMs } : {}) }));
  };
  const refuse = (error: GraphErrorFields | GraphErrorBody): Promise<void> => {
    const body = 'error' in error ? error : envelope(error);
    observe({ kind: 'graph-error', httpStatus: 400, error: body.error });
    return answer(res, { kind: 'json', status: 400, body, headers });
  };

  if (parsed.kind === 'invalid') return refuse(parsed.error);
  // Tokens are per host: an Instagram Login token is no Page's, and a Page's token is no Instagram account's.
  const hostError = igHost
    ? ctx.instagram.checkToken(resolved.pageId, token)
    : token !== undefined && ctx.instagram.ownerOf(token) !== undefined ? { message: 'Invalid OAuth access token - Cannot parse access token', type: 'OAuthException', code: 190 } : undefined;
  if (hostError) return refuse(hostError);
  const authError = checkAuth(token, params, secrets, Math.floor(Date.now() / 1000));
  if (authError) return refuse(authError);

  const file = parsed.file && { contentType: parsed.file.contentType, size: parsed.file.size };
  const igProblem = instagramRules && route.edge === 'messages' ? instagramSendProblem(params) : undefined;
  if (igProblem !== undefined && igProblem !== 'instagram-attachment-ok') return refuse(igProblem);
  const invalid = igProblem === 'instagram-attachment-ok' ? undefined : route.edge === 'messages' ? validateGraphSend(params, file) : validateGraphUpload(params, file);
  if (invalid) return refuse(invalid);
  // Graph does not document its answer to a reaction on an unknown message: its documented
  // "100 Invalid parameter" of this endpoint (no subcode) is the closest.
  const target = route.edge === 'messages' ? reactionTarget(params) : undefined;
  if (target !== undefined && ctx.checks.reactions && !ctx.known.has(pageId, target)) return refuse(invalidParam('Invalid parameter'));
  // Meta's send rules (the window, the thread's owner) come after a valid request, before chaos.
  const refusal = route.edge === 'messages' ? policyRefusal(pageId, params, { windows: ctx.windows, threads: ctx.routing.threads }, Date.now(), instagramRules ? 'instagram' : 'messenger') : undefined;
  if (refusal) return refuse(refusal);

  const ok: Answer = {
    kind: 'json',
    status: 200,
    body: route.edge === 'messages' ? sendSuccess(params) : uploadSuccess(),
    headers,
  };
  if (route.edge === 'messages') {
    const effect = ctx.chaos.apply(pageId, recipientMagic(params.recipient), params.message !== undefined);
    const started = Date.now();
    const outcome = await perform(res, effect.magic, ok, pageId, ctx.usage);
    // Remembered before any next request is read (this runs in the answer's microtask).
    if (outcome?.kind === 'ok' && outcome.messageId) ctx.known.add(pageId, outcome.messageId);
    if (outcome?.kind === 'graph-error' && effect.chaos) outcome.chaos = true;
    // Only a deliberate hold (delay- recipient, chaos latency) is worth showing.
    const held = Date.now() - started;
    return observe(outcome, effect.magic?.kind === 'delay' ? held : 0);
  }
  await perform(res, uploadMagic(parsed.file?.filename ?? uploadUrl(params)), ok, pageId, ctx.usage);
}

/** What the Conversations API needs of the sandbox: its accounts, their tokens per host, their usage headers. */
function historyContext(ctx: Context, igHost: boolean): HistoryContext {
  return {
    igHost,
    // Tokens are per host, as for sends: an Instagram Login token on the Page host is 190.
    resolvePage: (pageId, token) => {
      const resolved = resolvePage({ pageId, edge: 'messages' }, token, ctx.pages);
      const foreign = token !== undefined && ctx.instagram.ownerOf(token) !== undefined;
      return foreign ? { ...resolved, tokenError: { message: 'Invalid OAuth access token - Cannot parse access token', type: 'OAuthException', code: 190 } } : resolved;
    },
    resolveInstagram: (accountId, token) => {
      const resolved = resolveInstagram({ pageId: accountId, edge: 'messages' }, token, ctx.instagram);
      const tokenError = ctx.instagram.checkToken(resolved.pageId, token);
      return tokenError ? { ...resolved, tokenError } : resolved;
    },
    instagram: {
      linkedTo: (pageId) => ctx.instagram.linkedTo(pageId),
      linkedPageOf: (accountId) => ctx.instagram.linkedPageOf(accountId),
      isLoginAccount: (accountId) => ctx.instagram.isLoginAccount(accountId),
      isAccount: (accountId) => ctx.instagram.linkedPageOf(accountId) !== undefined || ctx.instagram.isLoginAccount(accountId),
    },
    usage: (pageId) => ctx.usage.normal(pageId),
  };
}

/** The Page a call acts for: the one named, or for `me` the configured Page owning the token. */
function resolvePage(route: Route, token: string | undefined, pages: Record<string, PageSecrets>): { pageId: string; secrets?: PageSecrets } {
  if (route.pageId !== 'me') return { pageId: route.pageId, secrets: pages[route.pageId] };
  if (token === undefined) return { pageId: '0' };
  for (const [id, secrets] of Object.entries(pages)) {
    if (secrets.accessToken === token) return { pageId: id, secrets };
  }
  // An unknown token stands for some Page: give it a stable id without revealing the token.
  return { pageId: stableNumericId(`token:${token}`) };
}

/** The account an Instagram-host call acts for: the one named, or for `me` the account owning the token. */
function resolveInstagram(route: Route, token: string | undefined, instagram: InstagramAccounts): { pageId: string; secrets?: PageSecrets } {
  const id = route.pageId === 'me' ? (token === undefined ? '0' : instagram.ownerOf(token) ?? stableNumericId(`token:${token}`)) : route.pageId;
  // The token itself is checked per host (checkToken); here only the proof's key, the Instagram app's secret.
  return { pageId: id, secrets: { appSecret: instagram.appSecretOf(id) } };
}

/** `GET /instagram/refresh_access_token?grant_type=ig_refresh_token` (the token as Bearer or `access_token`). */
async function refreshToken(req: IncomingMessage, res: ServerResponse, url: URL, ctx: Context): Promise<void> {
  req.resume();
  const params = decodeParams(url.searchParams);
  if (req.method !== 'GET') return answer(res, { kind: 'json', status: 400, body: envelope(invalidParam(`Unsupported ${(req.method ?? '').toLowerCase()} request`, 33)), headers: ctx.usage.normal('0') });
  const outcome = ctx.instagram.refresh(params, extractToken(req.headers, params));
  if (!outcome.ok) return answer(res, { kind: 'json', status: errorStatus(outcome.error.code), body: envelope(outcome.error), headers: ctx.usage.normal('0') });
  return answer(res, { kind: 'json', status: 200, body: outcome.body, headers: ctx.usage.normal('0') });
}

/** A body only Instagram takes (a like_heart sticker, a shared post): on a Page, its linked Instagram account's. */
function instagramOnly(params: Record<string, unknown>): boolean {
  const message = params.message;
  if (!isObject(message) || !isObject(message.attachment)) return false;
  return message.attachment.type === 'like_heart' || message.attachment.type === 'MEDIA_SHARE';
}

function recipientMagic(recipient: unknown): Magic | undefined {
  if (!isObject(recipient)) return undefined;
  const key = recipientKey(recipient);
  const value = key === undefined ? undefined : recipient[key];
  return typeof value === 'string' ? parseMagic(value) : undefined;
}

function uploadUrl(params: Record<string, unknown>): string | undefined {
  const message = params.message;
  if (!isObject(message) || !isObject(message.attachment) || !isObject(message.attachment.payload)) return undefined;
  const url = message.attachment.payload.url;
  return typeof url === 'string' ? url : undefined;
}

/** Bodies larger than this are recorded as their size only. */
export const MAX_RECORDED_BODY = 64 * 1024;

function boundedBody(body: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (body === undefined) return undefined;
  const bytes = Buffer.byteLength(JSON.stringify(body));
  return bytes <= MAX_RECORDED_BODY ? body : { _omitted: `body of ${bytes} bytes, larger than ${MAX_RECORDED_BODY}, not kept`, bytes };
}

function remember(received: ReceivedRequest[], record: ReceivedRequest, max: number): void {
  received.push(record);
  // Trimmed in place: tests hold a reference to this very array.
  if (received.length > max) received.splice(0, received.length - max);
}
