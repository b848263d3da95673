import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grpcError, startTestGateway, textTo, type TestGateway } from '../support/gateway-harness';

// A newcomer's demo of 613 pauses the page; the next send must say it is a pause Graph asked
// for (simulated here), and when it ends, not blame the caller's own send rate.
describe('a page paused by the sandbox\'s simulated 613', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw.close());

  it('the next send is refused with when the pause ends, and that it is simulated', async () => {
    const first = await grpcError(gw.send(textTo('error-613', 'hi', '1002'), { deadlineMs: 5_000 }));
    expect(first.code).toBe(status.RESOURCE_EXHAUSTED);
    const next = await grpcError(gw.send(textTo('123', 'hi', '1002')));
    expect(next.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(next.details).toMatch(/^page 1002 is paused for \d+ s more \(until \d{4}-\d\d-\d\dT[\d:.]+Z\) after a Graph rate-limit answer; nothing was sent \(simulated: /);
    expect(next.details).not.toContain('over its send rate');
    // Another page is not affected.
    expect((await gw.send(textTo('123', 'hi', '1001'))).messageId).toMatch(/^m_/);
  });
});
