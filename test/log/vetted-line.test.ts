import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, flushLogger, writeVettedLine } from '../../src/log/logger';

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

const FIELDS: object[] = [
  { method: 'SendMessage', caller: undefined, page: '1001', grpc_code: 'OK', message_id: 'm_1', latency_ms: 1.25, trace_id: undefined },
  { method: 'SendMessage', page: 'quote " backslash \\ tab \t newline \n nul \u0000 bell \u0007', grpc_code: 'INVALID_ARGUMENT', reason: 'INVALID_REQUEST', violations: 3 },
  { page: 'ünïcödé ✓ 𝄞 \u2028 \u2029', graph_code: 100, graph_subcode: 2018001, replayed: true, resends: 2, bytes: 0 },
  { page: 'x'.repeat(64), latency_ms: Number.NaN, bytes: Number.POSITIVE_INFINITY },
  {},
];

describe('writeVettedLine', () => {
  for (const [format, levels] of [['json', ['info', 'warn', 'error']], ['pretty', ['info', 'warn']]] as const) {
    it(`${format}: the line pino writes for the same fields and message, key for key`, async () => {
      for (const level of levels) {
        for (const fields of FIELDS) {
          const ours = sink();
          const theirs = sink();
          const a = createLogger('info', ours.stream, 'messenger-gateway', format);
          const b = createLogger('info', theirs.stream, 'messenger-gateway', format);
          writeVettedLine(a, level, fields, level === 'info' ? 'send' : 'send failed');
          b[level](fields, level === 'info' ? 'send' : 'send failed');
          await flushLogger(a);
          await flushLogger(b);
          expect(ours.lines).toHaveLength(1);
          if (format === 'pretty') {
            // The clock's reading differs: compare after it.
            expect(ours.lines[0].slice(12)).toBe(theirs.lines[0].slice(12));
            continue;
          }
          const x = JSON.parse(ours.lines[0]) as Record<string, unknown>;
          const y = JSON.parse(theirs.lines[0]) as Record<string, unknown>;
          expect(typeof x.time).toBe(typeof y.time);
          delete x.time;
          delete y.time;
          expect(x).toEqual(y);
          expect(Object.keys(x)).toEqual(Object.keys(y));
        }
      }
    });
  }
});
