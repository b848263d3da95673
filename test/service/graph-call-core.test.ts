// The Graph-call core (src/service/graph-call.ts) run on specs of the shapes the next RPCs take
// (a GET with fields, a DELETE, a POST that acts, a multipart upload), against a real HTTP fake of
// Graph: what Graph is sent (method, path, query, token, appsecret_proof, body), which answers are
// retried (GET and DELETE after a 503; a POST only when Graph certainly did not act; a streamed
// body never), how Graph's errors map through the catalogue, validation, idempotency and the page
// limiter.
import { createHmac } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ErrorReason } from '../../gen/messenger/v1/errors';
import { DEFAULT_CONFIG } from '../../src/config/gateway-config';
import { MemoryIdempotencyStore } from '../../src/delivery/memory-idempotency-store';
import { MemoryRateLimiter } from '../../src/delivery/memory-rate-limiter';
import { GraphClient } from '../../src/graph/graph-client';
import { configuredPages } from '../../src/graph/page-directory';
import { createLogger } from '../../src/log/logger';
import type { CallResult } from '../../src/service/call-result';
import { runGraphCall } from '../../src/service/graph-call';
import type { GraphCallSpec } from '../../src/service/graph-call-spec';
import type { ServiceDeps } from '../../src/service/service-deps';
import { startScriptedGraph, type ScriptedGraph } from '../support/scripted-graph';

const PAGE = '1001';
const TOKEN = 'EAAcore-test-token';
const SECRET = 'core-test-app-secret';
const PROOF = createHmac('sha256', SECRET).update(TOKEN).digest('hex');

interface Profile {
  firstName: string;
}
interface ProfileRequest {
  pageId: string;
  psid: string;
}

/** A GET with fields: safe to repeat. */
const profileSpec: GraphCallSpec<ProfileRequest, Profile> = {
  method: 'GetUserProfile',
  pageOf: (r) => r.pageId,
  validate: (r, has) => [
    ...(has(r.pageId) ? [] : [{ field: 'page_id', description: 'is not configured' }]),
    ...(/^\d+$/.test(r.psid) ? [] : [{ field: 'psid', description: 'must be digits' }]),
  ],
  request: (r) => ({ method: 'GET', path: `/${r.psid}`, query: { fields: 'first_name,last_name' } }),
  fromGraph: (body) => (typeof body.first_name === 'string' ? { firstName: body.first_name } : { malformed: 'no first_name' }),
  attributes: (r) => ({ page: r.pageId }),
  rateClass: () => 'default',
  safeToRetry: true,
};

/** A DELETE without a body: safe to repeat. */
const deletePersonaSpec: GraphCallSpec<{ pageId: string; personaId: string }, { success: boolean }> = {
  method: 'DeletePersona',
  pageOf: (r) => r.pageId,
  validate: () => [],
  request: (r) => ({ method: 'DELETE', path: `/${r.personaId}` }),
  fromGraph: (body) => ({ success: body.success === true }),
  attributes: () => ({}),
  rateClass: () => 'default',
  safeToRetry: true,
};

interface PassRequest {
  pageId: string;
  psid: string;
  idempotencyKey: string;
}

/** A POST that acts: retried only when Graph certainly did not act; takes an idempotency key. */
const passThreadSpec: GraphCallSpec<PassRequest, { success: boolean }> = {
  method: 'PassThreadControl',
  pageOf: (r) => r.pageId,
  validate: () => [],
  request: (r) => ({ method: 'POST', path: `/${r.pageId}/pass_thread_control`, json: { recipient: { id: r.psid }, target_app_id: 263902037430900 } }),
  fromGraph: (body) => ({ success: body.success === true }),
  attributes: () => ({}),
  rateClass: () => 'default',
  safeToRetry: false,
  idempotency: {
    fingerprint: (r) => Buffer.from(JSON.stringify({ ...r, idempotencyKey: '' })),
    responseCodec: {
      encode: (m) => ({ finish: () => Buffer.from(JSON.stringify(m)) }),
      decode: (b) => JSON.parse(Buffer.from(b).toString('utf8')) as { success: boolean },
    },
  },
};

/** A multipart POST whose file is streamed: sent once, whatever the answer. */
const uploadSpec: GraphCallSpec<{ pageId: string }, { id: string }> = {
  method: 'Upload',
  pageOf: (r) => r.pageId,
  validate: () => [],
  request: (r) => ({
    method: 'POST',
    path: `/${r.pageId}/message_attachments`,
    multipart: {
      fields: { message: { attachment: { type: 'file' } } },
      file: { filename: 'a.txt', contentType: 'text/plain', size: 5, data: (async function* () { yield Buffer.from('hello'); })() },
    },
  }),
  fromGraph: (body) => ({ id: String(body.attachment_id) }),
  attributes: () => ({}),
  rateClass: () => 'media',
  safeToRetry: false,
};

let graph: ScriptedGraph;
let client: GraphClient;

function deps(rate = DEFAULT_CONFIG.delivery.rateLimit): ServiceDeps {
  return {
    graph: client,
    pages: configuredPages([{ id: PAGE, accessToken: TOKEN, appSecret: SECRET, appsecretProof: 'classic' }]),
    logger: createLogger('silent'),
    recordRecipient: false,
    idempotency: new MemoryIdempotencyStore(DEFAULT_CONFIG.delivery.idempotency),
    rateLimiter: new MemoryRateLimiter(rate),
    delivery: { ...DEFAULT_CONFIG.delivery, retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 10 }, rateLimit: rate },
    graphTimeoutMs: 5_000,
    sandbox: false,
    maxUploadBytes: 1 << 20,
    streamIdleMs: 5_000,
    callerOf: () => undefined,
  };
}

function run<Req, Res>(spec: GraphCallSpec<Req, Res>, req: Req, d = deps(), key = ''): Promise<CallResult<Res>> {
  return runGraphCall(d, spec, req, key, {}, { span: undefined, parent: undefined });
}

const graphError = (code: number, extra: Record<string, unknown> = {}) => ({ status: 400, body: { error: { message: `(#${code}) no`, type: 'OAuthException', code, fbtrace_id: 'Ftrace', ...extra } } });

beforeAll(async () => {
  graph = await startScriptedGraph();
  client = new GraphClient({ baseUrl: graph.url, version: 'v25.0', timeoutMs: 5_000, connections: 2 });
});
afterAll(async () => {
  await client.close();
  await graph.close();
});
beforeEach(() => {
  graph.requests.length = 0;
  graph.answers = [{ status: 200, body: {} }];
});

describe('the Graph-call core', () => {
  it('a GET: method, versioned path, its query with the proof beside it, the token in the header only; the answer mapped', async () => {
    graph.answers = [{ status: 200, body: { first_name: 'Ada', last_name: 'L' } }];
    const r = await run(profileSpec, { pageId: PAGE, psid: '42' });
    expect(r).toMatchObject({ ok: true, response: { firstName: 'Ada' }, replayed: false, resends: 0 });
    expect(graph.requests).toHaveLength(1);
    const seen = graph.requests[0];
    expect(seen.method).toBe('GET');
    expect(seen.path).toBe('/v25.0/42');
    expect(seen.query.get('fields')).toBe('first_name,last_name');
    expect(seen.query.get('appsecret_proof')).toBe(PROOF);
    expect(seen.query.get('access_token')).toBeNull();
    expect(seen.authorization).toBe(`Bearer ${TOKEN}`);
    expect(seen.body).toBe('');
  });

  it('a DELETE without a body carries the proof in its query', async () => {
    graph.answers = [{ status: 200, body: { success: true } }];
    const r = await run(deletePersonaSpec, { pageId: PAGE, personaId: '777' });
    expect(r).toMatchObject({ ok: true, response: { success: true } });
    expect(graph.requests[0]).toMatchObject({ method: 'DELETE', path: '/v25.0/777', body: '' });
    expect(graph.requests[0].query.get('appsecret_proof')).toBe(PROOF);
  });

  it('a POST: JSON body with the proof in it, nothing in the query', async () => {
    graph.answers = [{ status: 200, body: { success: true } }];
    const r = await run(passThreadSpec, { pageId: PAGE, psid: '42', idempotencyKey: '' });
    expect(r.ok).toBe(true);
    const seen = graph.requests[0];
    expect(seen).toMatchObject({ method: 'POST', path: `/v25.0/${PAGE}/pass_thread_control`, contentType: 'application/json' });
    expect(JSON.parse(seen.body)).toEqual({ recipient: { id: '42' }, target_app_id: 263902037430900, appsecret_proof: PROOF });
    expect([...seen.query.keys()]).toEqual([]);
  });

  it('a GET is retried after a bare 503 (safe to repeat); the result counts the resend', async () => {
    graph.answers = [{ status: 503, body: 'busy' }, { status: 200, body: { first_name: 'Ada' } }];
    const r = await run(profileSpec, { pageId: PAGE, psid: '42' });
    expect(r).toMatchObject({ ok: true, resends: 1 });
    expect(graph.requests).toHaveLength(2);
  });

  it('a POST that acts is not retried after a bare 503 (Graph may have acted)', async () => {
    graph.answers = [{ status: 503, body: 'busy' }, { status: 200, body: { success: true } }];
    const r = await run(passThreadSpec, { pageId: PAGE, psid: '42', idempotencyKey: '' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.failure).toMatchObject({ code: status.UNAVAILABLE, reason: ErrorReason.GRAPH_UNAVAILABLE, nothingSent: false });
    expect(graph.requests).toHaveLength(1);
  });

  it('a POST is retried after a transient Graph error (Graph did not act)', async () => {
    graph.answers = [graphError(2, { is_transient: true }), { status: 200, body: { success: true } }];
    const r = await run(passThreadSpec, { pageId: PAGE, psid: '42', idempotencyKey: '' });
    expect(r).toMatchObject({ ok: true, resends: 1 });
    expect(graph.requests).toHaveLength(2);
  });

  it('a streamed multipart body is sent once, even after a transient error', async () => {
    graph.answers = [graphError(2, { is_transient: true }), { status: 200, body: { attachment_id: '9' } }];
    const r = await run(uploadSpec, { pageId: PAGE });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.failure.graph?.code).toBe(2);
    expect(graph.requests).toHaveLength(1);
    const seen = graph.requests[0];
    expect(seen.contentType).toMatch(/^multipart\/form-data; boundary=/);
    expect(seen.body).toContain('name="message"\r\n\r\n{"attachment":{"type":"file"}}');
    expect(seen.body).toContain(`name="appsecret_proof"\r\n\r\n${PROOF}`);
    expect(seen.body).toContain('filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nhello');
  });

  it("Graph's errors map through the catalogue, with Graph's own error kept", async () => {
    graph.answers = [graphError(100)];
    const r = await run(profileSpec, { pageId: PAGE, psid: '42' });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.failure).toMatchObject({ code: status.INVALID_ARGUMENT, reason: ErrorReason.INVALID_PARAMETER });
      expect(r.failure.graph).toMatchObject({ code: 100, fbtraceId: 'Ftrace' });
    }
  });

  it('an answer the spec cannot map is GRAPH_BAD_RESPONSE', async () => {
    graph.answers = [{ status: 200, body: { nothing: 1 } }];
    const r = await run(profileSpec, { pageId: PAGE, psid: '42' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.failure).toMatchObject({ code: status.UNKNOWN, reason: ErrorReason.GRAPH_BAD_RESPONSE });
  });

  it("a request the spec's validation refuses is INVALID_REQUEST and never reaches Graph", async () => {
    const r = await run(profileSpec, { pageId: '999', psid: 'x' });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.failure).toMatchObject({ code: status.INVALID_ARGUMENT, reason: ErrorReason.INVALID_REQUEST, nothingSent: true });
      expect(r.failure.message).toContain('invalid GetUserProfile request (2 violations)');
    }
    expect(graph.requests).toHaveLength(0);
  });

  it('an idempotency key: the second call is replayed from the store, Graph called once', async () => {
    graph.answers = [{ status: 200, body: { success: true } }];
    const d = deps();
    const req = { pageId: PAGE, psid: '42', idempotencyKey: 'k1' };
    const first = await run(passThreadSpec, req, d, 'k1');
    const second = await run(passThreadSpec, req, d, 'k1');
    expect(first).toMatchObject({ ok: true, replayed: false });
    expect(second).toMatchObject({ ok: true, replayed: true, response: { success: true } });
    expect(graph.requests).toHaveLength(1);
    const reused = await run(passThreadSpec, { ...req, psid: '43' }, d, 'k1');
    expect(reused.ok).toBe(false);
    if (!reused.ok) expect(reused.failure.reason).toBe(ErrorReason.IDEMPOTENCY_KEY_REUSED);
  });

  it("a spec without idempotency ignores a key (and does not limit its length)", async () => {
    graph.answers = [{ status: 200, body: { first_name: 'Ada' } }];
    const d = deps();
    await run(profileSpec, { pageId: PAGE, psid: '42' }, d, 'x'.repeat(1000));
    await run(profileSpec, { pageId: PAGE, psid: '42' }, d, 'x'.repeat(1000));
    expect(graph.requests).toHaveLength(2);
  });

  it("the page limiter's refusal is PAGE_RATE_LIMITED and nothing is sent", async () => {
    graph.answers = [{ status: 200, body: { first_name: 'Ada' } }];
    const d = deps({ ...DEFAULT_CONFIG.delivery.rateLimit, defaultPerSecond: 1, maxWaitMs: 0, maxQueue: 0 });
    const results = [await run(profileSpec, { pageId: PAGE, psid: '42' }, d), await run(profileSpec, { pageId: PAGE, psid: '42' }, d)];
    expect(results[0].ok).toBe(true);
    expect(results[1].ok).toBe(false);
    if (!results[1].ok) expect(results[1].failure).toMatchObject({ code: status.RESOURCE_EXHAUSTED, reason: ErrorReason.PAGE_RATE_LIMITED, nothingSent: true });
    expect(graph.requests).toHaveLength(1);
  });
});
