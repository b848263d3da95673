import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventStoreFullError, type AppendResult, type EventStore } from '../events/event-store';
import type { Logger } from '../log/logger';
import { recordWebhookEvents, recordWebhookRequest, type WebhookOutcome } from '../telemetry/gateway-metrics';
import { endWebhookSpan, startWebhookSpan } from '../telemetry/webhook-span';
import { traceparentFields } from '../telemetry/log-trace-fields';
import { BodyBounds, readBody, type BodyRead } from './body-bounds';
import { parseWebhook } from './parse-webhook';
import { RefusalLog, type Refusal } from './refusal-log';
import { sourceAddressOf, type SourceOf } from './source-address';
import { verifySignature } from './verify-signature';

/**
 * Meta's webhook, terminated once for every team: verify the signature over the raw bytes,
 * parse every item of every entry, store the events (once), and only then answer 200. Nothing
 * waits on consumers, and Meta always has its answer within {@link ANSWER_WITHIN_MS}.
 * Separate from the gRPC port: Meta reaches it from the internet through an ingress.
 */
export interface WebhookOptions {
  /** `HOST:PORT` to bind (port 0: any free port). */
  listen: string;
  /** The callback path (default `/webhook`). */
  path: string;
  /** The verify token configured in the app's Webhooks product. */
  verifyToken: string;
  /** The app secret: the key of `X-Hub-Signature-256`. */
  appSecret: string;
  /** Largest body accepted (413 beyond). */
  maxBodyBytes: number;
  /** A POST whose body does not start, or stops moving, for this long is cut (408); default {@link BODY_STALL_MS}. */
  bodyTimeoutMs?: number;
  /** Bodies one source address may have in progress at once (503 beyond); default {@link MAX_BODIES_PER_SOURCE}. */
  maxBodiesPerSource?: number;
  /** Proxies (addresses, `ADDRESS/PREFIX` ranges) whose `X-Forwarded-For` names the source; none by default. */
  trustedProxies?: readonly string[];
}

export interface WebhookServer {
  /** e.g. `http://127.0.0.1:8088/webhook`. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Meta asks for an answer within 5 s; a store slower than this gets a 503 (Meta retries, dedup keeps it once). */
export const ANSWER_WITHIN_MS = 4_000;
/**
 * Bytes of POST bodies buffered at once: a body is only verified once it is whole, so unsigned
 * senders must not be able to hold memory without bound. Counted as they arrive: the body whose
 * bytes would pass it, and one whose Content-Length cannot fit, get 503 at once.
 */
export const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;
/** Bodies one source may have in progress (its sockets cannot hold the listener for everyone). */
export const MAX_BODIES_PER_SOURCE = 8;
/** Meta sends a body at once: one that does not start or move within this is cut. */
export const BODY_STALL_MS = 3_000;
// Meta's challenge is a number; anything else is not echoed (no reflected content).
const CHALLENGE = /^[A-Za-z0-9_-]{1,128}$/;

/** Starts the webhook listener; rejects when the address cannot be bound. */
export async function startWebhookServer(options: WebhookOptions, store: Pick<EventStore, 'append'>, logger: Logger): Promise<WebhookServer> {
  const limits: Limits = {
    bounds: new BodyBounds(MAX_BUFFERED_BYTES, options.maxBodiesPerSource ?? MAX_BODIES_PER_SOURCE),
    sourceOf: sourceAddressOf(options.trustedProxies ?? []),
    stallMs: options.bodyTimeoutMs ?? BODY_STALL_MS,
    refusals: new RefusalLog((outcome, refused, fields) => {
      const level = outcome === 'busy' ? 'error' : 'warn';
      if (logger.isLevelEnabled(level)) logger[level]({ webhook: outcome, status: REFUSAL_STATUS[outcome], refused, ...fields }, 'webhook');
    }),
  };
  // Timeouts are checked every second (Node's default is 30 s, which let a trickling client
  // hold a request for ~40 s).
  const server = createServer({ connectionsCheckingInterval: 1_000 }, (req, res) => {
    handle(req, res, options, store, logger, limits).catch((err: unknown) => {
      logger.error({ err }, 'webhook: unexpected failure');
      if (!res.headersSent) answer(res, 500, 'internal error');
    });
  });
  // A webhook POST is small and quick; a client that trickles bytes is cut off.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  const { host, port } = splitListen(options.listen);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${bound}${options.path}`,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        limits.refusals.close();
      }),
  };
}

/** The listener's bounds on bodies it cannot verify yet. */
interface Limits {
  bounds: BodyBounds;
  sourceOf: SourceOf;
  stallMs: number;
  /** Refusals a client can cause at will, logged once per outcome per minute with a count. */
  refusals: RefusalLog;
}

/** The status each refusal was answered with (an aborted request has none: 499, as its span says). */
const REFUSAL_STATUS: Record<Refusal, number> = { busy: 503, stalled: 408, aborted: 499 };

async function handle(req: IncomingMessage, res: ServerResponse, options: WebhookOptions, store: Pick<EventStore, 'append'>, logger: Logger, limits: Limits): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://webhook');
  if (url.pathname !== options.path) return answer(res, 404, 'not found');
  if (req.method === 'GET') return verifySubscription(url, res, options, logger);
  if (req.method !== 'POST') {
    res.setHeader('allow', 'GET, POST');
    return answer(res, 405, 'method not allowed');
  }
  const trace = startWebhookSpan(options.path);
  const done = (status: number, outcome: WebhookOutcome, text: string, fields: Record<string, unknown> = {}, close = false) => {
    recordWebhookRequest(outcome);
    endWebhookSpan(trace.span, status, outcome);
    if (outcome === 'busy' || outcome === 'stalled') limits.refusals.add(outcome, { ...fields, ...traceparentFields(trace.traceparent) });
    else {
      const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
      if (logger.isLevelEnabled(level)) logger[level]({ webhook: outcome, status, ...fields, ...traceparentFields(trace.traceparent) }, 'webhook');
    }
    if (close) answerAndClose(req, res, status, text);
    else answer(res, status, text);
  };

  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > options.maxBodyBytes) {
    req.resume();
    return done(413, 'too_large', 'body too large', { bytes: declared });
  }
  const { bounds } = limits;
  if (Number.isFinite(declared) && bounds.bytes + declared > bounds.maxBytes) {
    return done(503, 'busy', 'too many requests at once, try again', { bytes: bounds.bytes, declared }, true);
  }
  const source = limits.sourceOf(req);
  // A body that came whole with its headers (Meta's) is read before the next socket's bytes are
  // parsed, so it leaves its place at once: only bodies still arriving fill a source's share.
  if (!bounds.mayEnter(source)) {
    return done(503, 'busy', 'too many requests at once from one address, try again', { source, bodies: bounds.of(source) }, true);
  }
  bounds.enter(source);
  let raw: BodyRead;
  try {
    raw = await readBody(req, options.maxBodyBytes, bounds, limits.stallMs);
  } finally {
    bounds.leave(source);
  }
  if (raw === 'aborted') {
    // The client went away: nobody to answer, but it is counted and logged.
    recordWebhookRequest('aborted');
    endWebhookSpan(trace.span, 499, 'aborted');
    limits.refusals.add('aborted', { ...traceparentFields(trace.traceparent) });
    return;
  }
  if (raw === 'over-budget') return done(503, 'busy', 'too many requests at once, try again', { bytes: bounds.bytes }, true);
  if (raw === 'stalled') return done(408, 'stalled', 'the body did not arrive in time', { source, stall_ms: limits.stallMs }, true);
  if (raw === 'too-large') return done(413, 'too_large', 'body too large');

  // The signature first, over the bytes exactly as received: nothing unsigned is parsed.
  const signature = verifySignature(raw, req.headers['x-hub-signature-256'], options.appSecret);
  if (!signature.ok) return done(403, 'bad_signature', 'invalid signature', { why: signature.why, sha1_only: req.headers['x-hub-signature'] !== undefined && req.headers['x-hub-signature-256'] === undefined });

  const parsed = parseWebhook(raw, { receivedAt: Date.now(), traceparent: trace.traceparent, tracestate: trace.tracestate });
  if (!parsed.ok) return done(400, 'bad_request', parsed.why, { why: parsed.why });

  let timer: NodeJS.Timeout | undefined;
  try {
    // The append or the deadline, whichever comes first (one promise, not a race of two).
    const result = await new Promise<AppendResult | 'slow'>((resolve, reject) => {
      timer = setTimeout(resolve, ANSWER_WITHIN_MS, 'slow');
      store.append(parsed.events).then(resolve, reject);
    });
    if (result === 'slow') {
      recordWebhookEvents(0, 0, parsed.events.length);
      return done(503, 'store_slow', 'try again', { events: parsed.events.length });
    }
    recordWebhookEvents(result.stored, result.duplicates, 0);
    return done(200, 'stored', 'EVENT_RECEIVED', { events: parsed.events.length, stored: result.stored, duplicates: result.duplicates });
  } catch (err) {
    recordWebhookEvents(0, 0, parsed.events.length);
    // Never a 200 for an event that was not stored: Meta retries a 503.
    const full = err instanceof EventStoreFullError;
    return done(503, full ? 'store_full' : 'store_unavailable', 'try again', { events: parsed.events.length, err: (err as Error).message });
  } finally {
    clearTimeout(timer);
  }
}

/** Meta's subscription check: the challenge back for the right verify token, else 403. */
function verifySubscription(url: URL, res: ServerResponse, options: WebhookOptions, logger: Logger): void {
  const mode = url.searchParams.get('hub.mode');
  const token = url.searchParams.get('hub.verify_token') ?? '';
  const challenge = url.searchParams.get('hub.challenge') ?? '';
  const ok = mode === 'subscribe' && sameSecret(token, options.verifyToken) && CHALLENGE.test(challenge);
  recordWebhookRequest(ok ? 'verified' : 'verify_refused');
  logger.info({ webhook: ok ? 'verified' : 'verify_refused', mode: mode?.slice(0, 32) }, 'webhook subscription check');
  if (!ok) return answer(res, 403, 'forbidden');
  answer(res, 200, challenge);
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  // Compared in constant time for equal lengths; a length mismatch is no secret worth hiding.
  return a.length === b.length && timingSafeEqual(a, b);
}

function answer(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * A refusal that also drops the connection: the client's socket (an idle one, or one still
 * sending) must not stay open once it is refused.
 */
function answerAndClose(req: IncomingMessage, res: ServerResponse, status: number, text: string): void {
  res.shouldKeepAlive = false;
  res.once('finish', () => req.socket.destroy());
  answer(res, status, text);
}

function splitListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  const host = listen.slice(0, i).replace(/^\[|\]$/g, '');
  return { host, port: Number(listen.slice(i + 1)) };
}
