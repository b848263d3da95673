import { afterAll, beforeAll } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox-server';
import { useRedisServer } from '../support/redis-server';

export interface HistoryOnRedis {
  redis: { url(): string };
  sandbox: Sandbox;
}

/** One redis-server and one sandbox (its fake Graph) with these Pages (id → token), for the describe block calling it. */
export function useRedisAndSandbox(pages: Record<string, string>): HistoryOnRedis {
  const redis = useRedisServer();
  let sandbox: Sandbox | undefined;
  beforeAll(async () => {
    sandbox = await startSandbox({ pages: Object.fromEntries(Object.entries(pages).map(([id, accessToken]) => [id, { accessToken }])) });
  });
  afterAll(async () => {
    await sandbox?.close();
  });
  return { redis, get sandbox() { return sandbox!; } };
}

/** A gateway's options: one Page on the sandbox's Graph, its store, budget and locks in that Redis under `keyPrefix` (a test's own). */
export function pageOnRedis(env: HistoryOnRedis, page: string, accessToken: string, keyPrefix: string) {
  return {
    sandbox: false,
    pages: [{ id: page, accessToken, appsecretProof: 'classic' as const }],
    graph: { baseUrl: env.sandbox.url },
    store: { redis: { url: env.redis.url(), keyPrefix } },
  };
}
