// The access line of every call is written without the pass over its whole text: its strings are
// redacted field by field where it is built. It must come out as the whole-line pass wrote it.
import { Writable } from 'node:stream';
import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { ErrorReason, GraphError } from '../../gen/messenger/v1/errors';
import { gatewayFailure } from '../../src/errors/failure';
import { createLogger, flushLogger } from '../../src/log/logger';
import { registerSecret } from '../../src/redaction/secret-redaction';
import { logCall, type CallStart } from '../../src/service/call-log';
import type { CallResult } from '../../src/service/call-result';

const SECRET = 'call-log-test-secret-0123456789abc';
registerSecret(SECRET);
const EAA = 'EAABwzLixnjYBO1234567890abcdefgh';
const HEX = 'ab'.repeat(40);

function sink(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  return { stream, lines };
}

const withoutTime = (line: string) => {
  const { time: _time, latency_ms: _latency, ...rest } = JSON.parse(line) as Record<string, unknown>;
  return rest;
};

const start = (page: string, caller: string | undefined): CallStart => ({ method: 'SendMessage', page, caller, startedAt: performance.now(), span: undefined });
const graph = (fbtraceId: string) => GraphError.fromPartial({ code: 100, errorSubcode: 2018001, fbtraceId, message: 'm' });

const R = '[REDACTED]';
const CASES: Array<{ what: string; start: CallStart; result: CallResult<unknown>; ids?: { messageId?: string; attachmentId?: string }; line: Record<string, unknown> }> = [
  {
    what: 'a success', start: start('1001', 'svc-a'), result: { ok: true, response: {}, replayed: false }, ids: { messageId: 'm_AG5Hz2Uq7tuwNEhXfYYK' },
    line: { level: 30, service: 'messenger-gateway', method: 'SendMessage', caller: 'svc-a', page: '1001', grpc_code: 'OK', message_id: 'm_AG5Hz2Uq7tuwNEhXfYYK', msg: 'send' },
  },
  {
    what: 'secrets in every id Graph returned', start: start('1001', undefined), result: { ok: true, response: {}, replayed: false, resends: 1 }, ids: { messageId: `m_${SECRET}`, attachmentId: `${EAA}-${HEX}` },
    line: { level: 30, service: 'messenger-gateway', method: 'SendMessage', page: '1001', grpc_code: 'OK', message_id: `m_${R}`, attachment_id: `${R}-${R}`, resends: 1, msg: 'send' },
  },
  {
    what: 'a secret as the page and the caller', start: start(`9${SECRET}`, `svc-${SECRET.slice(0, 20)}`), result: { ok: false, failure: gatewayFailure(status.INVALID_ARGUMENT, ErrorReason.INVALID_REQUEST, 'x'), replayed: false },
    line: { level: 40, service: 'messenger-gateway', method: 'SendMessage', caller: `svc-${R}`, page: `9${R}`, grpc_code: 'INVALID_ARGUMENT', reason: 'INVALID_REQUEST', msg: 'send failed' },
  },
  {
    what: "Graph's failure with a credential-shaped fbtrace_id", start: start('1001', 'svc-a'), result: { ok: false, failure: { ...gatewayFailure(status.INVALID_ARGUMENT, ErrorReason.GRAPH_ERROR, 'x'), graph: graph(`A${EAA}Z access_token=${SECRET}`) }, replayed: true },
    line: { level: 40, service: 'messenger-gateway', method: 'SendMessage', caller: 'svc-a', page: '1001', grpc_code: 'INVALID_ARGUMENT', reason: 'GRAPH_ERROR', graph_code: 100, graph_subcode: 2018001, fbtrace_id: `A${R} access_token=${R}`, replayed: true, msg: 'send failed' },
  },
  {
    what: 'a page id cut at 64 characters', start: start(`${'1'.repeat(60)}${SECRET}`, 'svc-a'), result: { ok: false, failure: gatewayFailure(status.NOT_FOUND, ErrorReason.INVALID_REQUEST, 'x'), replayed: false },
    line: { level: 40, service: 'messenger-gateway', method: 'SendMessage', caller: 'svc-a', page: `${'1'.repeat(60)}${SECRET.slice(0, 4)}…`, grpc_code: 'NOT_FOUND', reason: 'INVALID_REQUEST', msg: 'send failed' },
  },
];

describe('the access line', () => {
  for (const c of CASES) {
    it(`${c.what}: the fields redacted one by one, as the pass over the whole line did`, async () => {
      const out = sink();
      const logger = createLogger('info', out.stream);
      logCall(logger, c.start, c.result, c.ids);
      await flushLogger(logger);
      expect(out.lines).toHaveLength(1);
      for (const s of [SECRET, EAA, HEX]) expect(out.lines[0]).not.toContain(s);
      expect(withoutTime(out.lines[0])).toEqual(c.line);
      // Key order is the format: as the line was always written.
      expect(Object.keys(withoutTime(out.lines[0]))).toEqual(Object.keys(c.line));
    });
  }
});
