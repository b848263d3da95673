import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIMULATED_REGAIN_MINUTES } from '../../src/sandbox/usage-headers';
import { decodeStatusDetails } from '../../src/errors/decode-status-details';
import { grpcError, startTestGateway, textTo, type TestGateway } from '../support/gateway-harness';

// Every row of the error table, end to end: the sandbox answers with the Graph error,
// the gateway maps it, the grpc-js client decodes the grpc-status-details-bin trailer.
const rows: Array<[string, status, string, boolean]> = [
  ['error-100', status.INVALID_ARGUMENT, 'INVALID_PARAMETER', false],
  ['error-100-2018001', status.INVALID_ARGUMENT, 'RECIPIENT_NOT_FOUND', false],
  ['error-551', status.FAILED_PRECONDITION, 'RECIPIENT_UNAVAILABLE', false],
  ['error-10-2018278', status.FAILED_PRECONDITION, 'OUTSIDE_MESSAGING_WINDOW', false],
  ['error-10-2018065', status.FAILED_PRECONDITION, 'OUTSIDE_MESSAGING_WINDOW', false],
  ['error-10903', status.FAILED_PRECONDITION, 'CANNOT_REPLY_TO_ACTIVITY', false],
  ['error-10900', status.ALREADY_EXISTS, 'ACTIVITY_ALREADY_REPLIED', false],
  ['error-10904', status.FAILED_PRECONDITION, 'PAGE_MESSAGING_DISABLED', false],
  ['error-2022', status.FAILED_PRECONDITION, 'COMMERCE_MESSAGING_DISABLED', false],
  ['error-190', status.FAILED_PRECONDITION, 'PAGE_ACCESS_TOKEN_INVALID', false],
  ['error-200', status.PERMISSION_DENIED, 'PERMISSION_ERROR', false],
  ['error-230', status.PERMISSION_DENIED, 'PERMISSION_ERROR', false],
  ['error-368', status.PERMISSION_DENIED, 'ACTION_BLOCKED_AS_ABUSIVE', false],
  ['error-613', status.RESOURCE_EXHAUSTED, 'RATE_LIMITED', true],
  ['error-4', status.RESOURCE_EXHAUSTED, 'RATE_LIMITED', true],
  ['error-17', status.RESOURCE_EXHAUSTED, 'RATE_LIMITED', true],
  ['error-32', status.RESOURCE_EXHAUSTED, 'RATE_LIMITED', true],
  ['error-80001', status.RESOURCE_EXHAUSTED, 'RATE_LIMITED', true],
  ['error-80006', status.RESOURCE_EXHAUSTED, 'RATE_LIMITED', true],
  ['error-1200', status.UNAVAILABLE, 'TEMPORARY_SEND_FAILURE', true],
  ['error-2', status.UNAVAILABLE, 'TEMPORARY_SEND_FAILURE', true],
  ['error-1', status.UNAVAILABLE, 'TEMPORARY_SEND_FAILURE', true],
  ['error-12345', status.UNKNOWN, 'GRAPH_ERROR', false],
];

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw.close());

describe('Graph errors become rich gRPC statuses', () => {
  it.each(rows.map((row, i) => [...row, String(2000 + i)] as const))('%s -> %s %s', async (recipient, code, reason, retry, page) => {
    // One page per row: a rate-limit answer pauses its page, which must not leak into other rows.
    const err = await grpcError(gw.send(textTo(recipient, 'hello', page)));
    expect(err.code).toBe(code);
    const d = decodeStatusDetails(err.metadata);
    expect(d.status?.code).toBe(code);
    expect(d.status?.details.filter((a) => a.typeUrl.endsWith('google.rpc.ErrorInfo'))).toHaveLength(1);
    const [, graphCode, subcode] = /^error-(\d+)(?:-(\d+))?$/.exec(recipient)!;
    expect(d.errorInfo).toMatchObject({ domain: 'graph.facebook.com', reason });
    expect(d.errorInfo?.metadata.code).toBe(graphCode);
    expect(d.errorInfo?.metadata.error_subcode).toBe(subcode ?? '0');
    expect(d.errorInfo?.metadata.fbtrace_id).toMatch(/^\S+$/);
    expect(d.graphError).toMatchObject({ code: Number(graphCode), errorSubcode: Number(subcode ?? 0) });
    expect(d.graphError?.fbtraceId).toBe(d.errorInfo?.metadata.fbtrace_id);
    expect(d.graphError?.type).not.toBe('');
    expect(d.graphError?.message).not.toBe('');
    expect(err.details).toMatch(new RegExp(`^Graph error ${graphCode}${subcode ? `/${subcode}` : ''}: \\S`));
    expect(err.details).not.toMatch(/\(#\d+\)/);
    expect(d.retryInfo !== undefined).toBe(retry);
    // The same delay for gRPC's built-in retry, which cannot read RetryInfo.
    const pushback = err.metadata.get('grpc-retry-pushback-ms')[0];
    expect(pushback === undefined ? undefined : Number(pushback)).toBe(retry ? Number(d.retryInfo!.retryDelay!.seconds) * 1000 + Math.round(d.retryInfo!.retryDelay!.nanos / 1e6) : undefined);
  });

  it("551's message is Graph's, human-readable", async () => {
    const err = await grpcError(gw.send(textTo('error-551')));
    expect(err.details).toBe("Graph error 551: This person isn't available right now.");
  });

  it("613's RetryInfo comes from estimated_time_to_regain_access", async () => {
    const err = await grpcError(gw.send(textTo('error-613', 'hello', '3001')));
    const d = decodeStatusDetails(err.metadata);
    const header = gw.sandbox!.received.at(-1);
    expect(header).toBeDefined();
    // The sandbox sends the estimate in minutes (0.25: a short simulated pause); RetryInfo carries seconds.
    expect(Number(d.retryInfo?.retryDelay?.seconds)).toBe(15);
    expect(SIMULATED_REGAIN_MINUTES * 60).toBe(15);
  });

  it('5xx without a Graph error body -> UNAVAILABLE GRAPH_UNAVAILABLE', async () => {
    const err = await grpcError(gw.send(textTo('error-http-502')));
    expect(err.code).toBe(status.UNAVAILABLE);
    const d = decodeStatusDetails(err.metadata);
    expect(d.errorInfo).toMatchObject({ reason: 'GRAPH_UNAVAILABLE', domain: 'graph.facebook.com', metadata: { http_status: '502' } });
    expect(d.graphError).toBeUndefined();
    expect(d.retryInfo).toBeDefined();
  });

  it('malformed Graph answer -> UNKNOWN GRAPH_BAD_RESPONSE', async () => {
    const err = await grpcError(gw.send(textTo('error-malformed')));
    expect(err.code).toBe(status.UNKNOWN);
    expect(decodeStatusDetails(err.metadata).errorInfo?.reason).toBe('GRAPH_BAD_RESPONSE');
  });

  it('sender actions map errors the same way', async () => {
    const err = await grpcError(gw.action({ pageId: '1001', recipient: { identifier: { $case: 'id', value: 'error-551' } }, action: 1 }));
    expect(err.code).toBe(status.FAILED_PRECONDITION);
    expect(decodeStatusDetails(err.metadata).errorInfo?.reason).toBe('RECIPIENT_UNAVAILABLE');
  });
});
