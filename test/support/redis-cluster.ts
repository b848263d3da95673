/**
 * A Redis Cluster of 3 masters and 3 replicas for a test file (redis-cluster-process.ts starts
 * it): `useRedisCluster()` in a describe block starts it before its tests and stops it after.
 */
import { afterAll, beforeAll } from 'vitest';
import { startRedisCluster, type RedisClusterHandle, type RedisClusterOptions } from './redis-cluster-process';

export { findRedisCli, redisClusterAvailable, startRedisCluster, type ClusterNode, type RedisClusterHandle, type RedisClusterOptions } from './redis-cluster-process';

/** A cluster for the enclosing describe block: started before its tests, stopped after. */
export function useRedisCluster(options: RedisClusterOptions = {}): { cluster(): RedisClusterHandle } {
  let cluster: RedisClusterHandle | undefined;
  beforeAll(async () => {
    cluster = await startRedisCluster(options);
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });
  return { cluster: () => cluster! };
}

