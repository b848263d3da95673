import { describe, expect, it } from 'vitest';
import { redisClusterAvailable, useRedisCluster } from '../support/redis-cluster';

describe.skipIf(!redisClusterAvailable())('the test Redis Cluster', () => {
  const c = useRedisCluster();

  it('has 3 masters with every slot, 6 nodes, each on a port of 55535 or less', () => {
    const cluster = c.cluster();
    expect(cluster.nodes).toHaveLength(6);
    expect(cluster.masters()).toHaveLength(3);
    for (const n of cluster.nodes) {
      expect(n.port).toBeLessThanOrEqual(55_535);
      expect(cluster.info(n.port, 'cluster_state')).toBe('ok');
    }
  });
});
