import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeStatusDetails } from '../../src/errors/decode-status-details';
import { conversationClient, type ConversationClient } from '../support/conversation-client';
import { grpcError, startTestGateway, type TestGateway } from '../support/gateway-harness';

// Every refusal and every Graph error of these endpoints, through a sandbox gateway: the
// sandbox's magic recipient values play Graph's answers.
let gw: TestGateway;
let conv: ConversationClient;
beforeAll(async () => {
  gw = await startTestGateway({ delivery: { retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 20 } } });
  conv = conversationClient(gw.target);
});
afterAll(async () => {
  conv.close();
  await gw.close();
});

describe('validation before Graph', () => {
  it('lists every violation in one INVALID_ARGUMENT, and Graph is not called', async () => {
    const before = gw.sandbox!.received.length;
    const err = await grpcError(conv.pass({ pageId: '', recipientId: 'x y', targetAppId: 'inbox', metadata: 'm'.repeat(1001) }));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    const d = decodeStatusDetails(err.metadata);
    expect(d.errorInfo?.reason).toBe('INVALID_REQUEST');
    expect(d.badRequest?.fieldViolations.map((v) => v.field)).toEqual(['page_id', 'recipient_id', 'metadata', 'target_app_id']);
    const profile = await grpcError(conv.profile({ pageId: '1001', recipientId: '1', fields: ['email'] }));
    expect(decodeStatusDetails(profile.metadata).badRequest?.fieldViolations.map((v) => v.field)).toEqual(['fields[0]']);
    const key = await grpcError(conv.take({ pageId: '1001', recipientId: '1', idempotencyKey: 'k'.repeat(257) }));
    expect(decodeStatusDetails(key.metadata).badRequest?.fieldViolations.map((v) => v.field)).toEqual(['idempotency_key']);
    expect(gw.sandbox!.received.length).toBe(before);
  });
});

// Graph code[/subcode] -> gRPC code and reason, on each RPC.
const MAPPED: Array<[string, status, string]> = [
  ['error-100', status.INVALID_ARGUMENT, 'INVALID_PARAMETER'],
  ['error-100-2018001', status.INVALID_ARGUMENT, 'RECIPIENT_NOT_FOUND'],
  ['error-551', status.FAILED_PRECONDITION, 'RECIPIENT_UNAVAILABLE'],
  ['error-190', status.FAILED_PRECONDITION, 'PAGE_ACCESS_TOKEN_INVALID'],
  ['error-200', status.PERMISSION_DENIED, 'PERMISSION_ERROR'],
  ['error-10', status.PERMISSION_DENIED, 'PERMISSION_ERROR'],
  ['error-230', status.PERMISSION_DENIED, 'PERMISSION_ERROR'],
  ['error-12345', status.UNKNOWN, 'GRAPH_ERROR'],
  ['error-malformed', status.UNKNOWN, 'GRAPH_BAD_RESPONSE'],
  // Last: it pauses the Page (the next calls would be PAGE_RATE_LIMITED).
  ['error-613', status.RESOURCE_EXHAUSTED, 'RATE_LIMITED'],
];

describe('Graph errors through the catalogue', () => {
  // error-613 pauses the Page it hits: each RPC gets a Page of its own.
  const rpcs: Array<[string, (page: string, id: string) => Promise<unknown>]> = [
    ['PassThreadControl', (page, id) => conv.pass({ pageId: page, recipientId: id, targetAppId: '263902037430900' })],
    ['TakeThreadControl', (page, id) => conv.take({ pageId: page, recipientId: id })],
    ['RequestThreadControl', (page, id) => conv.request({ pageId: page, recipientId: id })],
    ['GetThreadOwner', (page, id) => conv.owner({ pageId: page, recipientId: id })],
    ['GetUserProfile', (page, id) => conv.profile({ pageId: page, recipientId: id })],
  ];
  rpcs.forEach(([name, call], i) => {
    it(`${name}: every mapped error`, async () => {
      for (const [magic, code, reason] of MAPPED) {
        const err = await grpcError(call(String(3001 + i), magic));
        expect({ magic, code: err.code, reason: decodeStatusDetails(err.metadata).errorInfo?.reason }).toEqual({ magic, code, reason });
      }
    });
  });

  it('100/2018218 on a profile is NOT_FOUND USER_PROFILE_NOT_FOUND with Graph\'s error attached', async () => {
    const err = await grpcError(conv.profile({ pageId: '1001', recipientId: 'error-100-2018218' }));
    expect(err.code).toBe(status.NOT_FOUND);
    expect(decodeStatusDetails(err.metadata).graphError).toMatchObject({ code: 100, errorSubcode: 2018218, message: '(#100) No profile available for this user.' });
  });
});

describe('retries only where repeating is safe', () => {
  const requestsFor = (fragment: string) => gw.sandbox!.received.filter((r) => JSON.stringify(r).includes(fragment)).length;

  it('a read (GetThreadOwner, GetUserProfile) is retried after a bare 5xx', async () => {
    const owner = await grpcError(conv.owner({ pageId: '1001', recipientId: 'error-http-503' }));
    expect(owner.code).toBe(status.UNAVAILABLE);
    expect(requestsFor('"recipient":"error-http-503"')).toBe(3);
    await grpcError(conv.profile({ pageId: '1001', recipientId: 'delay-1-error-http-502' }));
    expect(requestsFor('/delay-1-error-http-502')).toBe(3);
  });

  it('a pass, take or request is not repeated after an answer that does not prove Graph did nothing', async () => {
    const err = await grpcError(conv.pass({ pageId: '1001', recipientId: 'delay-2-error-http-503', targetAppId: '263902037430900' }));
    expect(err.code).toBe(status.UNAVAILABLE);
    expect(requestsFor('delay-2-error-http-503')).toBe(1);
    await grpcError(conv.take({ pageId: '1001', recipientId: 'delay-3-error-http-500' }));
    expect(requestsFor('delay-3-error-http-500')).toBe(1);
  });

  it('a keyed pass is answered once and replayed, with the replay trailer', async () => {
    const req = { pageId: '1001', recipientId: '9001', targetAppId: '263902037430900', idempotencyKey: 'once-9001' };
    await conv.pass(req);
    const before = gw.sandbox!.received.length;
    const replay = await new Promise<{ trailer: Record<string, unknown> }>((resolve, reject) => {
      const call = conv.raw.passThreadControl({ ...req, metadata: '' }, (err) => (err ? reject(err) : undefined));
      call.on('status', (s) => resolve({ trailer: s.metadata.getMap() }));
    });
    expect(replay.trailer['messenger-idempotent-replay']).toBe('true');
    expect(gw.sandbox!.received.length).toBe(before);
  });
});
