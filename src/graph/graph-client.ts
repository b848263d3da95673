import type { IncomingHttpHeaders } from 'node:http';
import type { Span } from '@opentelemetry/api';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { Pool, util as undiciUtil } from 'undici';
import type { GraphConfig } from '../config/gateway-config';
import { endGraphSpan, graphEndpoint, startGraphSpan, type GraphEndpoint } from '../telemetry/graph-span';
import { parseGraphError } from './graph-error';
import type { CallBounds, CancelSignal } from '../call/bounds';
import type { AppsecretProof } from './appsecret-proof';
import type { FilePart, GraphOutcome } from './graph-types';
import type { GraphRequest } from './graph-request';
import type { GraphHost, PageCredentials } from './page-credentials';
import { usageOf } from './usage-headers';

export type { FilePart, GraphOutcome } from './graph-types';

// Graph answers are small JSON; anything larger is broken or hostile.
const MAX_RESPONSE_BYTES = 1 << 20;
/**
 * Why the gateway aborted a Graph request. An Error, not a Symbol: undici hands the reason to
 * its diagnostics channel, and instrumentations call recordException() on it, which throws on
 * a Symbol ("Cannot convert a Symbol value to a string") and crashed the process.
 */
class UpstreamAbort extends Error {
  override name = 'AbortError';
  constructor(readonly why: 'timeout' | 'cancelled') {
    super(why === 'timeout' ? 'the Graph call timed out' : 'the gRPC call was cancelled');
  }
}
const TIMEOUT = new UpstreamAbort('timeout');
const CANCELLED = new UpstreamAbort('cancelled');

/** `graph` of the config; without `instagramBaseUrl`, Instagram Login accounts use `baseUrl` too. */
export type GraphClientConfig = Omit<GraphConfig, 'instagramBaseUrl'> & Partial<Pick<GraphConfig, 'instagramBaseUrl'>>;

/** One configured origin: where its requests go and what its spans name. */
interface Host {
  origin: string;
  endpoint: GraphEndpoint;
  /** The base URL's path and the version: what every path is prefixed with. */
  prefix: string;
}

/**
 * Graph API client: one keep-alive undici Pool per origin, token only in the Authorization header.
 * Two hosts: `graph.baseUrl` (Pages, Instagram accounts through their Page) and
 * `graph.instagramBaseUrl` (Instagram Login accounts); each account's credentials say which.
 */
export class GraphClient {
  private readonly pools = new Map<string, Pool>();
  private readonly hosts: Record<GraphHost, Host>;

  constructor(private readonly config: GraphClientConfig) {
    this.hosts = { graph: host(config.baseUrl, config.version), instagram: host(config.instagramBaseUrl ?? config.baseUrl, config.version) };
  }

  /**
   * One Graph request: `request.path` below the version, as the Page of `creds` (its token in the
   * Authorization header, its appsecret_proof beside the parameters); the client span is a child
   * of `parent` (the call's server span). Every RPC that calls Graph goes through here.
   */
  call(creds: PageCredentials, request: GraphRequest, bounds: CallBounds, parent?: Span): Promise<GraphOutcome> {
    const proof = creds.proof();
    const { json, multipart, query } = request;
    const target = this.hosts[creds.host];
    const prefix = target.prefix;
    const q = query ? new URLSearchParams(query).toString() : '';
    // Specs write paths on the account's id; an Instagram account through its Page is the Page there.
    const rel = onNode(request.path, creds);
    const shownRel = request.shownPath === undefined ? undefined : onNode(request.shownPath, creds);
    const path = q ? `${prefix}${rel}?${q}` : prefix + rel;
    const shown = shownRel === undefined ? path : q ? `${prefix}${shownRel}?${q}` : prefix + shownRel;
    if (multipart) {
      const fields: Record<string, string> = {};
      for (const [name, value] of Object.entries(multipart.fields)) fields[name] = typeof value === 'string' ? value : JSON.stringify(value);
      if (proof) {
        fields.appsecret_proof = proof.appsecret_proof;
        if (proof.appsecret_time !== undefined) fields.appsecret_time = String(proof.appsecret_time);
      }
      // graph.timeoutMs bounds Graph's answer, from the moment the whole body is out: how fast the
      // client streams the file is the client's (its idle bound), not Graph's.
      const sent: BodyEnd = {};
      const { boundary, body, length } = multipartBody(fields, multipart.file, () => sent.onEnd?.());
      return this.dispatch(target, request.method, path, creds, `multipart/form-data; boundary=${boundary}`, Readable.from(body, { objectMode: false }), length, bounds, parent, sent, shown);
    }
    if (json !== undefined) {
      const payload = JSON.stringify(proof ? { ...json, ...proof } : json);
      return this.dispatch(target, request.method, path, creds, 'application/json', payload, undefined, bounds, parent, undefined, shown);
    }
    // No body (GET, DELETE): the proof goes in the query, beside the request's own parameters;
    // the span shows the path without it.
    const wire = proof ? `${path}${q ? '&' : '?'}${proofQuery(proof)}` : path;
    return this.dispatch(target, request.method, wire, creds, undefined, undefined, undefined, bounds, parent, undefined, shown);
  }

  /**
   * A GET outside any account's node on the Instagram host, with a token of its own: the token
   * refresh (`GET /refresh_access_token`, unversioned as Meta documents it). The token goes in the
   * Authorization header, as on every call, never in the URL.
   */
  instagramTokenCall(path: string, query: Readonly<Record<string, string>>, token: string, bounds: CallBounds): Promise<GraphOutcome> {
    const target = this.hosts.instagram;
    const base = target.prefix.slice(0, target.prefix.lastIndexOf('/'));
    const wire = `${base}${path}?${new URLSearchParams(query).toString()}`;
    return this.dispatch(target, 'GET', wire, { authorization: `Bearer ${token}` }, undefined, undefined, undefined, bounds, undefined);
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.close()));
  }

  private pool(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, {
        connections: this.config.connections,
        keepAliveTimeout: 30_000,
        // Our own timer bounds the whole call; these only stop a stuck socket from living forever.
        headersTimeout: 0,
        bodyTimeout: 0,
      });
      this.pools.set(origin, pool);
    }
    return pool;
  }

  /**
   * One request through `Pool.dispatch` with our own handler: the answer is collected into a
   * buffer (capped) without a response stream, and the timeout and cancellation abort through
   * the handler, without an AbortController per call.
   */
  private dispatch(
    target: Host,
    method: GraphRequest['method'],
    path: string,
    creds: Pick<PageCredentials, 'authorization'>,
    contentType: string | undefined,
    body: string | Readable | undefined,
    contentLength: number | undefined,
    bounds: CallBounds,
    parent: Span | undefined,
    bodyEnd?: BodyEnd,
    /** What the client span shows of the path (without a query's proof). */
    shownPath = path,
  ): Promise<GraphOutcome> {
    const left = bounds.deadline === undefined ? Infinity : bounds.deadline - Date.now();
    const timeoutMs = Math.min(this.config.timeoutMs, left);
    if (timeoutMs <= 0) return Promise.resolve({ kind: 'timeout', timeoutMs: 0, maybeDelivered: false });
    if (bounds.signal?.aborted) return Promise.resolve({ kind: 'cancelled' });
    const headers: Record<string, string> = { authorization: creds.authorization };
    if (contentType !== undefined) headers['content-type'] = contentType;
    if (contentLength !== undefined) headers['content-length'] = String(contentLength);
    const span = startGraphSpan(target.endpoint, shownPath, headers, parent, method);
    return new Promise<GraphOutcome>((resolve) => {
      const settle = span
        ? (outcome: GraphOutcome) => {
            endGraphSpan(span, spanEnding(outcome));
            resolve(outcome);
          }
        : resolve;
      // A streamed body: until it is all sent only the caller's deadline bounds the call; then graph.timeoutMs starts.
      const handler = new GraphCallHandler(settle, bodyEnd ? left : timeoutMs, bounds.signal, bodyEnd !== undefined);
      if (bodyEnd) {
        bodyEnd.onEnd = () => handler.rearm(Math.min(this.config.timeoutMs, bounds.deadline === undefined ? Infinity : bounds.deadline - Date.now()));
      }
      this.pool(target.origin).dispatch({ method, path, headers, body }, handler);
    });
  }
}

/**
 * undici's (legacy) dispatch handler for one Graph call. Settles exactly once: with the answer,
 * with a timeout or cancellation (at once, aborting the request now or, if it still waits for a
 * connection, as soon as undici hands it one), or with the transport error.
 */
class GraphCallHandler {
  private abortRequest: ((reason: Error) => void) | undefined;
  private reason: UpstreamAbort | undefined;
  private settled = false;
  private responded = false;
  private status = 0;
  private headers: IncomingHttpHeaders = {};
  private chunks: Buffer[] = [];
  private size = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly onCancel: (() => void) | undefined;

  constructor(
    private readonly resolve: (outcome: GraphOutcome) => void,
    private timeoutMs: number,
    private readonly signal: CancelSignal | undefined,
    /** The body is still streaming: a timeout now means Graph never got the whole request. */
    private streaming = false,
  ) {
    if (Number.isFinite(timeoutMs)) this.timer = setTimeout(() => this.stop(TIMEOUT), timeoutMs);
    if (signal) {
      this.onCancel = () => this.stop(CANCELLED);
      signal.addEventListener('abort', this.onCancel, { once: true });
    }
  }

  /** The body is all sent: Graph now has `timeoutMs` to answer. */
  rearm(timeoutMs: number): void {
    if (this.settled) return;
    this.streaming = false;
    if (this.timer) clearTimeout(this.timer);
    this.timeoutMs = Math.max(0, timeoutMs);
    this.timer = setTimeout(() => this.stop(TIMEOUT), this.timeoutMs);
  }

  onConnect(abort: (reason: Error) => void): void {
    if (this.reason) abort(this.reason);
    else this.abortRequest = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[]): boolean {
    if (statusCode < 200) return true; // 1xx: the answer is still to come
    this.responded = true;
    this.status = statusCode;
    this.headers = undiciUtil.parseHeaders(rawHeaders) as IncomingHttpHeaders;
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.size += chunk.length;
    if (this.size > MAX_RESPONSE_BYTES) {
      this.settle({ kind: 'bad-response', status: this.status, detail: `body larger than ${MAX_RESPONSE_BYTES} bytes` });
      this.abortRequest?.(new Error('Graph answer too large'));
      return false;
    }
    this.chunks.push(chunk);
    return true;
  }

  onComplete(): void {
    const { chunks } = this;
    const text = chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8');
    this.chunks = [];
    this.settle(classify(this.status, text, this.headers));
  }

  onError(err: Error): void {
    if (this.settled) return;
    const code = (err as { code?: string }).code ?? '';
    const refused = code === 'ECONNREFUSED' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ENOTFOUND' || code === 'EAI_AGAIN';
    const detail = this.responded ? `connection lost while reading Graph's answer (${code || 'error'})` : describe(err, code);
    this.settle({ kind: 'unreachable', detail, maybeDelivered: !refused });
  }

  /** The timeout or the caller's cancellation: answer now, and abort the request. */
  private stop(reason: UpstreamAbort): void {
    if (this.settled) return;
    this.reason = reason;
    // Cut short by the caller's deadline the bound is fractional (deadline minus now): whole ms are shown.
    this.settle(reason === CANCELLED ? { kind: 'cancelled' } : { kind: 'timeout', timeoutMs: Math.round(this.timeoutMs), maybeDelivered: !this.streaming });
    this.abortRequest?.(reason);
  }

  private settle(outcome: GraphOutcome): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    if (this.onCancel) this.signal!.removeEventListener('abort', this.onCancel);
    this.resolve(outcome);
  }
}

function classify(status: number, text: string, headers: IncomingHttpHeaders): GraphOutcome {
  const usage = usageOf(headers);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    if (status >= 200 && status < 300) return { kind: 'bad-response', status, detail: 'answer is not JSON' };
    return { kind: 'http-error', status, usage };
  }
  const error = parseGraphError(json, status);
  if (error) return { kind: 'graph-error', status, error, usage };
  if (status < 200 || status >= 300) return { kind: 'http-error', status, usage };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { kind: 'bad-response', status, detail: 'answer is not a JSON object' };
  }
  return { kind: 'ok', status, body: json as Record<string, unknown>, usage };
}

/** What the client span records of an outcome: the HTTP status, or why there was none. */
function spanEnding(outcome: GraphOutcome): { status?: number; errorType?: string; message?: string } {
  switch (outcome.kind) {
    case 'ok':
    case 'graph-error':
    case 'http-error':
    case 'bad-response':
      return { status: outcome.status };
    case 'unreachable':
      return { errorType: /^([A-Z][A-Z0-9_]+):/.exec(outcome.detail)?.[1] ?? '_OTHER', message: outcome.detail };
    case 'timeout':
      return { errorType: 'timeout', message: `no answer within ${outcome.timeoutMs} ms` };
    case 'cancelled':
      return { errorType: 'cancelled', message: 'the gRPC call was cancelled' };
  }
}

function describe(err: unknown, code: string): string {
  // undici's messages name the origin, never headers: safe to report, token-free.
  const message = err instanceof Error ? err.message : String(err);
  return code ? `${code}: ${message}` : message;
}

/** Told when a streamed request body has been handed over whole. */
interface BodyEnd {
  onEnd?: () => void;
}

function multipartBody(fields: Record<string, string>, file: FilePart, onEnd: () => void): { boundary: string; body: AsyncIterable<Uint8Array>; length?: number } {
  const boundary = `----messenger-gateway-${randomBytes(12).toString('hex')}`;
  let head = '';
  for (const [name, value] of Object.entries(fields)) {
    head += `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  }
  const filename = file.filename.replace(/["\r\n\\]/g, '_');
  const contentType = file.contentType.replace(/[\r\n]/g, '');
  head += `--${boundary}\r\nContent-Disposition: form-data; name="filedata"; filename="${filename}"\r\nContent-Type: ${contentType}\r\n\r\n`;
  const headBytes = Buffer.from(head, 'utf8');
  const tailBytes = Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8');
  async function* body(): AsyncIterable<Uint8Array> {
    yield headBytes;
    yield* file.data;
    yield tailBytes;
    onEnd();
  }
  const length = file.size === undefined ? undefined : headBytes.length + file.size + tailBytes.length;
  return { boundary, body: body(), length };
}

function host(baseUrl: string, version: string): Host {
  const url = new URL(baseUrl);
  return { origin: url.origin, endpoint: graphEndpoint(url.origin), prefix: `${url.pathname.replace(/\/+$/, '')}/${version}` };
}

/** `path` with the account's id as its first segment moved onto the account's Graph node. */
function onNode(path: string, creds: PageCredentials): string {
  if (creds.way !== 'instagram-page' || creds.node === creds.pageId) return path;
  const head = `/${creds.pageId}`;
  if (path === head || path.startsWith(`${head}/`) || path.startsWith(`${head}?`)) return `/${creds.node}${path.slice(head.length)}`;
  return path;
}

/** The Page's proof as query parameters: a GET or DELETE has no body to carry it. */
function proofQuery(proof: AppsecretProof): string {
  const params = new URLSearchParams({ appsecret_proof: proof.appsecret_proof });
  if (proof.appsecret_time !== undefined) params.set('appsecret_time', String(proof.appsecret_time));
  return params.toString();
}
