import { afterEach } from 'vitest';
import { startCountingGraph, type Behaviour, type CountingGraph } from './counting-graph';
import { startTestGateway, type HarnessOptions, type TestGateway } from './gateway-harness';

/** The page the delivery tests send for. */
export const TEST_PAGE = { id: '1001', accessToken: 'EAAB-delivery-test-token', appsecretProof: 'classic' as const };

/** A gateway in front of a counting Graph, both stopped after each test of the calling file. */
export function useCountingGateway() {
  let gw: TestGateway | undefined;
  let graph: CountingGraph | undefined;
  afterEach(async () => {
    await gw?.close();
    await graph?.close();
    gw = graph = undefined;
  });
  return {
    /** Starts the counting Graph with `behaviour`, and a gateway sending to it for TEST_PAGE. */
    async start(behaviour?: Behaviour, options: HarnessOptions = {}): Promise<{ gw: TestGateway; graph: CountingGraph }> {
      graph = await startCountingGraph(behaviour);
      gw = await startTestGateway({ sandbox: false, pages: [TEST_PAGE], ...options, graph: { baseUrl: graph.url, ...options.graph } });
      return { gw, graph };
    },
    /** Starts a gateway with no counting Graph (sandbox mode, or Graph elsewhere). */
    async gateway(options: HarnessOptions = {}): Promise<TestGateway> {
      gw = await startTestGateway(options);
      return gw;
    },
  };
}
