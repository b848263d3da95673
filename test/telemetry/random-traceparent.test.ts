import { describe, expect, it } from 'vitest';
import { randomTraceparent } from '../../src/telemetry/random-traceparent';

describe('randomTraceparent', () => {
  it('gives W3C traceparents, version 00 and sampled', () => {
    expect(randomTraceparent()).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });

  it('never repeats an id, across refills of its pool', () => {
    const traceIds = new Set<string>();
    const spanIds = new Set<string>();
    const n = 5_000; // several pools' worth
    for (let i = 0; i < n; i++) {
      const [, trace, span] = randomTraceparent().split('-');
      traceIds.add(trace);
      spanIds.add(span);
    }
    expect(traceIds.size).toBe(n);
    expect(spanIds.size).toBe(n);
  });
});
