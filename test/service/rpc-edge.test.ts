// The RPC edge on its own, with a stand-in for grpc-js's server call: a handler's result becomes
// the answer (redacted), the status (encoded once, with its details and the replay trailer) and
// the call's one log line; a handler that throws or rejects is answered INTERNAL and logged.
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { Metadata, status, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { ErrorReason } from '../../gen/messenger/v1/errors';
import { decodeStatusDetails } from '../../src/errors/decode-status-details';
import { gatewayFailure } from '../../src/errors/failure';
import { createLogger } from '../../src/log/logger';
import { registerSecret } from '../../src/redaction/secret-redaction';
import type { CallResult } from '../../src/service/call-result';
import { REPLAY_METADATA_KEY, unaryEdge, type EdgeMethod, type RunCall } from '../../src/service/rpc-edge';

interface Req {
  pageId: string;
}
interface Res {
  id: string;
}

const SECRET = 'edge-test-secret-0123456789';
registerSecret(SECRET);

/** A server call as far as the edge looks at it. */
function fakeCall(req: Req): ServerUnaryCall<Req, Res> {
  const call = Object.assign(new EventEmitter(), { request: req, metadata: new Metadata(), cancelled: false, getDeadline: () => Infinity });
  return call as unknown as ServerUnaryCall<Req, Res>;
}

interface Answer {
  err: { code: number; details: string; metadata: Metadata } | null;
  value?: Res | null;
  trailer?: Metadata;
}

/** Runs one call through the edge; resolves with what it answered and the log lines written. */
async function through(method: EdgeMethod<Res>, run: RunCall<ServerUnaryCall<Req, Res>, Res>): Promise<{ answer: Answer; lines: Record<string, unknown>[] }> {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  const handler = unaryEdge<Req, Res>({ logger: createLogger('info', sink), callerOf: () => 'svc-a' }, method, (r) => r.pageId, run);
  const answer = await new Promise<Answer>((resolve) => {
    const callback: sendUnaryData<Res> = (err, value, trailer) => resolve({ err: err as Answer['err'], value, trailer });
    handler(fakeCall({ pageId: '1001' }), callback);
  });
  await new Promise((r) => setImmediate(r));
  return { answer, lines };
}

const ok = (id: string, extra: Partial<CallResult<Res>> = {}): CallResult<Res> => ({ ok: true, response: { id }, replayed: false, ...extra }) as CallResult<Res>;
const METHOD: EdgeMethod<Res> = { name: 'Thing', describe: (res) => ({ messageId: res.id }) };

describe('the RPC edge', () => {
  it('a synchronous success: the answer redacted, one "send" line with the facts of the result', async () => {
    const { answer, lines } = await through(METHOD, () => ok(`m-${SECRET}`, { resends: 2 }));
    expect(answer.err).toBeNull();
    expect(answer.value).toEqual({ id: 'm-[REDACTED]' });
    expect(answer.trailer).toBeUndefined();
    const sends = lines.filter((l) => l.method === 'Thing');
    expect(sends).toHaveLength(1);
    expect(sends[0]).toMatchObject({ msg: 'send', page: '1001', caller: 'svc-a', grpc_code: 'OK', resends: 2 });
    expect(JSON.stringify(sends[0])).not.toContain(SECRET);
  });

  it('a failure: encoded once with its details and retry pushback; a replay carries the replay trailer', async () => {
    const failure = gatewayFailure(status.RESOURCE_EXHAUSTED, ErrorReason.PAGE_RATE_LIMITED, 'slow down', { retryAfterMs: 1500 });
    const { answer, lines } = await through(METHOD, async () => ({ ok: false, failure, replayed: true }));
    expect(answer.err?.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(answer.err?.details).toBe('slow down');
    const details = decodeStatusDetails(answer.err!.metadata);
    expect(details.errorInfo?.reason).toBe('PAGE_RATE_LIMITED');
    expect(answer.err!.metadata.get('grpc-retry-pushback-ms')).toEqual(['1500']);
    expect(answer.err!.metadata.get(REPLAY_METADATA_KEY)).toEqual(['true']);
    expect(lines.find((l) => l.method === 'Thing')).toMatchObject({ msg: 'send failed', grpc_code: 'RESOURCE_EXHAUSTED', reason: 'PAGE_RATE_LIMITED', replayed: true });
  });

  it('a handler that throws is answered INTERNAL and logged as unexpected', async () => {
    const { answer, lines } = await through(METHOD, () => {
      throw new Error('bug');
    });
    expect(answer.err?.code).toBe(status.INTERNAL);
    expect(lines.some((l) => l.msg === 'unexpected failure' && l.method === 'Thing')).toBe(true);
    expect(lines.find((l) => l.msg === 'send failed')).toMatchObject({ grpc_code: 'INTERNAL', reason: 'INTERNAL' });
  });

  it("a rejection is the method's to recover (a store outage), else INTERNAL", async () => {
    const recovered = await through({ ...METHOD, recover: () => ok('after-outage') }, () => Promise.reject(new Error('store')));
    expect(recovered.answer.value).toEqual({ id: 'after-outage' });
    const unrecovered = await through(METHOD, () => Promise.reject(new Error('store')));
    expect(unrecovered.answer.err?.code).toBe(status.INTERNAL);
  });

  it('a quiet method writes no send line; a verbatim one answers unredacted', async () => {
    const { answer, lines } = await through({ name: 'Quiet', quiet: true, verbatim: true }, () => ok(`x-${SECRET}`));
    expect(answer.value).toEqual({ id: `x-${SECRET}` });
    expect(lines.filter((l) => l.method === 'Quiet')).toEqual([]);
  });
});
