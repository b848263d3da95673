import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseConfig } from '../../src/config/load-config';
import { ROOT } from '../support/gateway-process';

// deploy/kubernetes/redis/: the three ways to run the store (one Redis with AOF, Sentinel,
// Cluster), each with the "store" block the gateway's config takes.
const DIR = join(ROOT, 'deploy/kubernetes/redis');
type Doc = { apiVersion: string; kind: string; metadata: { name: string }; spec?: Record<string, unknown>; data?: Record<string, string> };

function load(file: string): Doc[] {
  const parsed = parseAllDocuments(readFileSync(join(DIR, file), 'utf8'));
  for (const d of parsed) if (d.errors.length) throw new Error(`${file}: ${d.errors.map((e) => e.message).join('; ')}`);
  return parsed.map((d) => d.toJS() as Doc);
}

/** The gateway config of the file's store block, parsed as the gateway parses it (REDIS_PASSWORD set as the Secret does). */
function storeOf(docs: Doc[]) {
  const block = docs.find((d) => d.kind === 'ConfigMap')!.data!['store.json']!;
  return parseConfig({ store: JSON.parse(block) as unknown }, { REDIS_PASSWORD: 'replace-with-the-password' }).store.redis!;
}

function statefulSet(docs: Doc[], name: string): { replicas: number; args: string } {
  const s = docs.find((d) => d.kind === 'StatefulSet' && d.metadata.name === name)!.spec as { replicas: number; template: { spec: { containers: Array<{ args: string[] }> } } };
  return { replicas: s.replicas, args: s.template.spec.containers[0]!.args.join(' ') };
}

describe('deploy/kubernetes/redis/', () => {
  it('one Redis with AOF: appendfsync always on a volume, the store a url', () => {
    const docs = load('aof.yaml');
    expect(storeOf(docs).url).toMatch(/^redis:\/\/:replace-with-the-password@redis:6379/);
    const redis = statefulSet(docs, 'redis');
    expect(redis.replicas).toBe(1);
    expect(redis.args).toMatch(/--appendonly yes --appendfsync always/);
  });

  it('Sentinel: 3 Redis pods with AOF, 3 sentinels monitoring the same name the store asks for, minReplicas 1', () => {
    const docs = load('sentinel.yaml');
    const store = storeOf(docs);
    expect(store.sentinel?.name).toBe('gwmaster');
    expect(store.sentinel?.nodes).toHaveLength(3);
    expect(store.minReplicas).toBe(1);
    expect(statefulSet(docs, 'redis').replicas).toBe(3);
    expect(statefulSet(docs, 'redis').args).toMatch(/--appendonly yes --appendfsync always/);
    const sentinels = statefulSet(docs, 'redis-sentinel');
    expect(sentinels.replicas).toBe(3);
    expect(sentinels.args).toMatch(/sentinel monitor gwmaster redis-0\.redis 6379 2/);
  });

  it('Cluster: 6 nodes with AOF made 3 masters with a replica each, the store the cluster nodes, minReplicas 1', () => {
    const docs = load('cluster.yaml');
    const store = storeOf(docs);
    expect(store.cluster?.nodes.length).toBeGreaterThanOrEqual(3);
    expect(store.minReplicas).toBe(1);
    const nodes = statefulSet(docs, 'redis-cluster');
    expect(nodes.replicas).toBe(6);
    expect(nodes.args).toMatch(/--cluster-enabled yes/);
    expect(nodes.args).toMatch(/--appendonly yes --appendfsync always/);
    const job = docs.find((d) => d.kind === 'Job')!.spec as { template: { spec: { containers: Array<{ args: string[] }> } } };
    expect(job.template.spec.containers[0]!.args.join(' ')).toMatch(/--cluster create .* --cluster-replicas 1/);
  });
});
