import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfigFile, parseConfig } from '../../src/config/load-config';
import { resolveConfig } from '../../src/config/resolve-config';

const env = { PAGE_1001_TOKEN: 'EAAB-secret-token', APP_SECRET: 'app-secret' };

describe('config', () => {
  it('reads the documented shape, substituting ${ENV} secrets', () => {
    const c = parseConfig({
      listen: '127.0.0.1:50051',
      graph: { baseUrl: 'https://graph.facebook.com', version: 'v25.0', timeoutMs: 10000 },
      pages: [{ id: '1001', accessToken: '${PAGE_1001_TOKEN}', appSecret: '${APP_SECRET}' }],
    }, env);
    expect(c.pages).toEqual([{ id: '1001', accessToken: 'EAAB-secret-token', appSecret: 'app-secret', appsecretProof: 'classic', conversationPolicy: 'enforce' }]);
    expect(c.graph).toEqual({ baseUrl: 'https://graph.facebook.com', instagramBaseUrl: 'https://graph.instagram.com', version: 'v25.0', timeoutMs: 10000, connections: 128 });
    expect(c.shutdownGraceMs).toBe(10000);
  });

  it.each([
    [{ lisen: 'x' }, 'lisen'],
    [{ graph: { timeoutMs: -1 } }, 'graph.timeoutMs'],
    [{ graph: { version: '25' } }, 'graph.version'],
    [{ graph: { baseUrl: 'ftp://x' } }, 'graph.baseUrl'],
    [{ graph: { baseUrl: 'https://graph.facebook.com?access_token=x' } }, 'graph.baseUrl'],
    [{ pages: [{ id: 'abc', accessToken: 't' }] }, 'pages[0].id'],
    [{ pages: [{ id: '1', accessToken: '${MISSING_VAR}' }] }, 'pages[0].accessToken'],
    [{ pages: [{ id: '1', accessToken: 't', extra: 1 }] }, 'pages[0].extra'],
    [{ pages: [{ id: '1', accessToken: 't' }, { id: '1', accessToken: 'u' }] }, 'pages[1].id'],
    [{ listen: 'nope' }, 'listen'],
    [{ log: { level: 'loud' } }, 'log.level'],
  ])('names the bad key of %j', (raw, key) => {
    try {
      parseConfig(raw, env);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).key).toBe(key);
      expect((err as Error).message).toContain(key);
    }
  });

  it('store.redis.sentinel and minReplicas: parsed with ${ENV} passwords; exactly one topology; sentinels as redis://host:port without credentials; nothing echoed', () => {
    const env = { REDIS_PW: 'redis-secret-value', SENTINEL_PW: 'sentinel-secret-value' };
    const sentinel = { name: 'gwmaster', nodes: ['redis://10.0.0.5:26379', 'redis://sentinel-1:26379'], password: '${REDIS_PW}', sentinelPassword: '${SENTINEL_PW}' };
    expect(parseConfig({ store: { redis: { sentinel, minReplicas: 1 } } }, env).store.redis).toEqual({
      url: '',
      keyPrefix: 'mgw:',
      minReplicas: 1,
      sentinel: { name: 'gwmaster', nodes: ['redis://10.0.0.5:26379', 'redis://sentinel-1:26379'], password: 'redis-secret-value', sentinelPassword: 'sentinel-secret-value' },
    });
    expect(parseConfig({ store: { redis: { url: 'redis://r:6379' } } }, env).store.redis?.minReplicas).toBe(0);
    const problem = (redis: unknown) => {
      try {
        parseConfig({ store: { redis } }, env);
      } catch (err) {
        return (err as Error).message;
      }
      return 'accepted';
    };
    expect(problem({ url: 'redis://r:6379', sentinel })).toMatch(/store\.redis: set exactly one of url/);
    expect(problem({ keyPrefix: 'x:' })).toBe('config: store.redis: set exactly one of url (one Redis), cluster (Redis Cluster) and sentinel (a primary found through Sentinel)');
    expect(problem({ sentinel: { ...sentinel, nodes: ['redis://:node-secret-value@s:26379'] } })).toMatch(/nodes\[0\]: must carry no credentials/);
    expect(problem({ sentinel: { ...sentinel, nodes: ['rediss://s:26379'] } })).toMatch(/without TLS/);
    expect(problem({ sentinel: { ...sentinel, nodes: ['redis://s'] } })).toMatch(/port is required/);
    expect(problem({ sentinel: { ...sentinel, nodes: [] } })).toMatch(/list of 1 to 16/);
    expect(problem({ sentinel: { ...sentinel, name: 'name-secret value' } })).toMatch(/sentinel\.name: must be the master name/);
    expect(problem({ url: 'redis://r:6379', minReplicas: 17 })).toMatch(/minReplicas: must be an integer from 0 to 16 \(got 17\)/);
    for (const message of [problem({ sentinel: { ...sentinel, nodes: ['redis://:node-secret-value@s:26379'] } }), problem({ sentinel: { ...sentinel, name: 'name-secret value' } })]) {
      expect(message).not.toMatch(/secret/);
    }
  });

  it('pages[].conversationPolicy is enforce, warn or off (default enforce); conversations.maxRecords is bounded', () => {
    const c = parseConfig({ pages: [{ id: '1', accessToken: 't', conversationPolicy: 'warn' }, { id: '2', accessToken: 't', conversationPolicy: 'off' }, { id: '3', accessToken: 't' }], conversations: { maxRecords: 5 } }, env);
    expect(c.pages.map((p) => p.conversationPolicy)).toEqual(['warn', 'off', 'enforce']);
    expect(c.conversations.maxRecords).toBe(5);
    expect(() => parseConfig({ pages: [{ id: '1', accessToken: 't', conversationPolicy: 'strict' }] }, env)).toThrow(/pages\[0\]\.conversationPolicy.*"enforce", "warn" or "off"/);
    expect(() => parseConfig({ conversations: { maxRecords: 0 } }, env)).toThrow(/conversations\.maxRecords/);
  });

  it('never puts a secret value in an error message', () => {
    try {
      parseConfig({ pages: [{ id: '1', accessToken: '${PAGE_1001_TOKEN}', appsecretProof: 'nope' }] }, env);
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).not.toContain('EAAB-secret-token');
    }
  });

  it('a token pasted as a key is not echoed whole', () => {
    const token = 'EAABsbCS1iHgBOZCx9pQk3LmNoPqRsTuVwXyZ0123456789';
    try {
      parseConfig({ [token]: 1 }, env);
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).toContain('unknown key');
      expect((err as Error).message).not.toContain(token.slice(0, 16));
    }
  });

  it('reports unreadable and invalid files by path', () => {
    expect(() => loadConfigFile('/nonexistent/gw.json')).toThrow(/\/nonexistent\/gw.json: cannot be read/);
    const dir = mkdtempSync(join(tmpdir(), 'gw-'));
    writeFileSync(join(dir, 'bad.json'), '{"listen": ');
    expect(() => loadConfigFile(join(dir, 'bad.json'))).toThrow(/is not valid JSON/);
  });

  it('--listen beats GATEWAY_LISTEN beats the file; no pages means sandbox', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-'));
    const file = join(dir, 'gw.json');
    writeFileSync(file, JSON.stringify({ listen: '127.0.0.1:1', pages: [{ id: '1001', accessToken: '${PAGE_1001_TOKEN}' }] }));
    expect(resolveConfig({ configPath: file }, env)).toMatchObject({ listen: '127.0.0.1:1', sandbox: false });
    expect(resolveConfig({}, { ...env, GATEWAY_CONFIG: file, GATEWAY_LISTEN: '127.0.0.1:2' }).listen).toBe('127.0.0.1:2');
    expect(resolveConfig({ configPath: file, listen: '127.0.0.1:3' }, { ...env, GATEWAY_LISTEN: '127.0.0.1:2' }).listen).toBe('127.0.0.1:3');
    expect(resolveConfig({}, {})).toMatchObject({ listen: '127.0.0.1:50051', sandbox: true, pages: [] });
    expect(resolveConfig({ configPath: file, sandbox: true }, env).sandbox).toBe(true);
  });

  it('reports every problem of a config at once, one per line, not only the first', () => {
    let err: ConfigError | undefined;
    try {
      parseConfig({
        lisen: 'x',
        graph: { timeoutMs: -1, version: '25' },
        log: { level: 'loud' },
        pages: [{ id: 'abc' }, { id: '2', accessToken: 't', extra: 1 }],
        delivery: { retry: { maxAttempts: 0 } },
      }, env);
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.problems.map((p) => p.key)).toEqual([
      'lisen', 'graph.version', 'graph.timeoutMs', 'pages[0].id', 'pages[0].accessToken', 'pages[1].extra', 'log.level', 'delivery.retry.maxAttempts',
    ]);
    expect(err!.key).toBe('lisen');
    expect(err!.message.split('\n')).toEqual([
      'config: 8 problems:',
      ...err!.problems.map((p) => `  ${p.key}: ${p.problem}`),
    ]);
  });

  it('events.maxGroupsPerCaller defaults to a quarter of events.maxGroups; events.neverAckedGroupMs to 10 minutes', () => {
    expect(parseConfig({}, env).events).toMatchObject({ maxGroups: 100, maxGroupsPerCaller: 25, neverAckedGroupMs: 600_000 });
    expect(parseConfig({ events: { maxGroups: 40 } }, env).events).toMatchObject({ maxGroups: 40, maxGroupsPerCaller: 10 });
    expect(parseConfig({ events: { maxGroups: 2 } }, env).events.maxGroupsPerCaller).toBe(1);
    expect(parseConfig({ events: { maxGroupsPerCaller: 7, neverAckedGroupMs: 60_000 } }, env).events).toMatchObject({ maxGroupsPerCaller: 7, neverAckedGroupMs: 60_000 });
  });

  it('echoes a bad number (no numeric key holds a secret), never a string value', () => {
    const problems = (raw: object) => {
      try {
        parseConfig(raw, env);
      } catch (e) {
        return (e as ConfigError).problems.map((p) => `${p.key}: ${p.problem}`);
      }
      return [];
    };
    expect(problems({ graph: { timeoutMs: -1 }, limits: { maxUploadBytes: 1e9 }, delivery: { bulkConcurrency: 2.5 } })).toEqual([
      'graph.timeoutMs: must be an integer from 1 to 600000 (got -1)',
      'delivery.bulkConcurrency: must be an integer from 1 to 10000 (got 2.5)',
      'limits.maxUploadBytes: must be an integer from 1 to 26214400 (got 1000000000)',
    ]);
    // A token pasted into the wrong key is not echoed either.
    expect(problems({ graph: { timeoutMs: 'EAAB-secret-token' } })).toEqual(['graph.timeoutMs: must be an integer from 1 to 600000 (got a string: write the number without quotes)']);
    // Keys that can hold secrets: named, their value never shown (here with the secret substituted from the environment).
    const secretEnv = { ...env, S: 'EAAB-secret-token' };
    const shown = (() => {
      try {
        parseConfig({
          listen: '${S}', graph: { baseUrl: 'x${S}', version: '${S}' }, store: { redis: { url: 'http://${S}' } },
          callers: [{ name: 'a', apiKeyHash: '${S}', pages: ['*'] }],
          pages: [{ id: '1', accessToken: '${S}', appSecret: '${S}', appsecretProof: '${S}' }],
        }, secretEnv);
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    })();
    expect(shown.split('\n').length).toBeGreaterThanOrEqual(7);
    expect(shown).not.toContain('EAAB-secret-token');
    expect(shown).not.toContain('${S}');
  });

  it('gives the line and column of a JSON syntax error, quoting none of the text', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-'));
    const file = join(dir, 'gw.json');
    writeFileSync(file, '{\n  "pages": [\n    { "id": "1001", "accessToken": "EAAB-secret-token", }\n  ]\n}\n');
    expect(() => loadConfigFile(file)).toThrow(`config: ${file}: is not valid JSON: line 3, column 57: expected another key after "," (JSON allows no trailing comma), found "}"`);
    writeFileSync(file, '{\n  "listen": 127.0.0.1:50051\n}');
    expect(() => loadConfigFile(file)).toThrow(/line 2, column 18: expected "," or "}", found "\."/);
    writeFileSync(file, '{\n  "sandbox": tru\n}');
    expect(() => loadConfigFile(file)).toThrow(/line 2, column 17: expected "true"/);
    try {
      writeFileSync(file, '{"pages": [{"id": "1", "accessToken": EAAB-secret-token}]}');
      loadConfigFile(file);
    } catch (e) {
      expect((e as Error).message).toMatch(/line 1, column 39/);
      expect((e as Error).message).not.toContain('EAAB');
    }
  });

  it('webhook listener bounds: defaults, and trustedProxies as addresses or ADDRESS/PREFIX ranges', () => {
    const base = { listen: '0.0.0.0:8088', verifyToken: 'verify-token-123', appSecret: '${APP_SECRET}' };
    const d = parseConfig({ webhook: base }, env).webhook!;
    expect(d).toMatchObject({ bodyTimeoutMs: 3_000, maxBodiesPerSource: 8, trustedProxies: [] });
    const set = parseConfig({ webhook: { ...base, bodyTimeoutMs: 1_500, maxBodiesPerSource: 4, trustedProxies: ['10.0.0.0/8', '192.168.1.7', 'fd00::/8'] } }, env).webhook!;
    expect(set).toMatchObject({ bodyTimeoutMs: 1_500, maxBodiesPerSource: 4, trustedProxies: ['10.0.0.0/8', '192.168.1.7', 'fd00::/8'] });
    let err: ConfigError | undefined;
    try {
      parseConfig({ webhook: { ...base, bodyTimeoutMs: 60_000, trustedProxies: ['10.0.0.0/33', 'ingress.local', '::1/129'] } }, env);
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err!.problems.map((p) => p.key)).toEqual(['webhook.bodyTimeoutMs', 'webhook.trustedProxies[0]']);
    expect(() => parseConfig({ webhook: { ...base, trustedProxies: '10.0.0.0/8' } }, env)).toThrow(/webhook\.trustedProxies/);
  });
});

describe('store.redis.cluster and events.partitions', () => {
  const keyOf = (raw: Record<string, unknown>): string | undefined => {
    try {
      parseConfig(raw, { REDIS_PASSWORD: 'p@ss' });
      return undefined;
    } catch (err) {
      return (err as ConfigError).key;
    }
  };

  it('reads a cluster of seed nodes (credentials from ${ENV}) and a partition count', () => {
    const c = parseConfig({ store: { redis: { cluster: { nodes: ['redis://:${REDIS_PASSWORD}@10.0.0.1:6379', 'redis://:${REDIS_PASSWORD}@10.0.0.2:6379'] } } }, events: { partitions: 64 } }, { REDIS_PASSWORD: 'p@ss' });
    expect(c.store.redis).toEqual({ url: '', keyPrefix: 'mgw:', minReplicas: 0, cluster: { nodes: ['redis://:p@ss@10.0.0.1:6379', 'redis://:p@ss@10.0.0.2:6379'] } });
    expect(c.events.partitions).toBe(64);
    expect(parseConfig({}, {}).events.partitions).toBe(16);
  });

  it.each([
    // Exactly one topology: the problem is store.redis's (url, cluster or sentinel).
    [{ store: { redis: { url: 'redis://a:1', cluster: { nodes: ['redis://b:1'] } } } }, 'store.redis'],
    [{ store: { redis: { cluster: { nodes: [] } } } }, 'store.redis.cluster.nodes'],
    [{ store: { redis: { cluster: { nodes: ['http://b:1'] } } } }, 'store.redis.cluster.nodes[0]'],
    [{ store: { redis: { cluster: { nodes: ['redis://b'] } } } }, 'store.redis.cluster.nodes[0]'],
    [{ store: { redis: { cluster: { nodes: ['redis://b:1/2'] } } } }, 'store.redis.cluster.nodes[0]'],
    [{ store: { redis: { cluster: { nodes: ['redis://:x@b:1', 'redis://:y@c:1'] } } } }, 'store.redis.cluster.nodes[1]'],
    [{ store: { redis: { cluster: { nodes: ['redis://b:1', 'rediss://c:1'] } } } }, 'store.redis.cluster.nodes[1]'],
    [{ store: { redis: { cluster: { nodes: ['redis://b:1'], extra: 1 } } } }, 'store.redis.cluster.extra'],
    [{ store: { redis: { cluster: { nodes: ['redis://b:1'] }, keyPrefix: 'a{b}:' } } }, 'store.redis.keyPrefix'],
    [{ events: { partitions: 0 } }, 'events.partitions'],
    [{ events: { partitions: 257 } }, 'events.partitions'],
  ])('names the bad key of %j', (raw, key) => {
    expect(keyOf(raw)).toBe(key);
  });

  it('never quotes a node password in its problems', () => {
    try {
      parseConfig({ store: { redis: { cluster: { nodes: ['redis://:hunter2-secret@b:1', 'redis://:other-secret@c'] } } } }, {});
      expect.unreachable();
    } catch (err) {
      expect(JSON.stringify((err as ConfigError).problems)).not.toMatch(/hunter2-secret|other-secret/);
    }
  });
});
