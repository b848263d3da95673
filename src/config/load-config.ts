import { readFileSync } from 'node:fs';
import {
  DEFAULT_CONFIG,
  LOG_LEVELS,
  type CallerConfig,
  type DeliveryConfig,
  type GatewayConfig,
  type LimitsConfig,
  type LogLevel,
  type PageConfig,
} from './gateway-config';

/** A configuration problem, with the path of the offending key in its message. */
export class ConfigError extends Error {
  constructor(readonly key: string, problem: string) {
    super(`config: ${key}: ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** Reads, substitutes and validates a JSON config file. */
export function loadConfigFile(path: string, env: Env = process.env): GatewayConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(path, `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(path, `is not valid JSON (${(err as Error).message})`);
  }
  return parseConfig(raw, env);
}

/** Validates a parsed config object; every `${NAME}` in a string is read from `env`. */
export function parseConfig(raw: unknown, env: Env = process.env): GatewayConfig {
  const root = object(raw, '(root)');
  allowKeys(root, '(root)', ['listen', 'graph', 'pages', 'sandbox', 'shutdownDelayMs', 'shutdownGraceMs', 'log', 'telemetry', 'delivery', 'store', 'callers', 'tls', 'limits', 'insecure']);
  const d = DEFAULT_CONFIG;
  const graph = root.graph === undefined ? {} : object(root.graph, 'graph');
  allowKeys(graph, 'graph', ['baseUrl', 'version', 'timeoutMs', 'connections']);
  const log = root.log === undefined ? {} : object(root.log, 'log');
  allowKeys(log, 'log', ['level']);
  const telemetry = root.telemetry === undefined ? {} : object(root.telemetry, 'telemetry');
  allowKeys(telemetry, 'telemetry', ['recordRecipient']);

  const config: GatewayConfig = {
    listen: optional(root.listen, 'listen', (v, k) => listenAddress(str(v, k, env), k), d.listen),
    graph: {
      baseUrl: optional(graph.baseUrl, 'graph.baseUrl', (v, k) => baseUrl(str(v, k, env), k), d.graph.baseUrl),
      version: optional(graph.version, 'graph.version', (v, k) => version(str(v, k, env), k), d.graph.version),
      timeoutMs: optional(graph.timeoutMs, 'graph.timeoutMs', (v, k) => int(v, k, 1, 600_000), d.graph.timeoutMs),
      connections: optional(graph.connections, 'graph.connections', (v, k) => int(v, k, 1, 10_000), d.graph.connections),
    },
    pages: optional(root.pages, 'pages', (v, k) => pages(v, k, env), d.pages),
    sandbox: optional(root.sandbox, 'sandbox', bool, d.sandbox),
    shutdownDelayMs: optional(root.shutdownDelayMs, 'shutdownDelayMs', (v, k) => int(v, k, 0, 600_000), d.shutdownDelayMs),
    shutdownGraceMs: optional(root.shutdownGraceMs, 'shutdownGraceMs', (v, k) => int(v, k, 0, 3_600_000), d.shutdownGraceMs),
    log: { level: optional(log.level, 'log.level', (v, k) => logLevel(str(v, k, env), k), d.log.level) },
    telemetry: { recordRecipient: optional(telemetry.recordRecipient, 'telemetry.recordRecipient', bool, d.telemetry.recordRecipient) },
    delivery: delivery(root.delivery),
    store: store(root.store, env),
    callers: optional(root.callers, 'callers', (v, k) => callers(v, k, env), []),
    tls: root.tls === undefined ? undefined : tls(root.tls, env),
    limits: limits(root.limits),
    insecure: optional(root.insecure, 'insecure', bool, d.insecure),
  };
  return config;
}

/** Checks a `--listen` / `GATEWAY_LISTEN` value. */
export function listenAddress(value: string, key: string): string {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:\s]+):(\d{1,5})$/.exec(value);
  if (!m || Number(m[2]) > 65535) throw new ConfigError(key, `must be host:port (got ${JSON.stringify(value)})`);
  return value;
}

function pages(value: unknown, key: string, env: Env): PageConfig[] {
  if (!Array.isArray(value)) throw new ConfigError(key, 'must be an array');
  const seen = new Set<string>();
  return value.map((item, i) => {
    const k = `${key}[${i}]`;
    const page = object(item, k);
    allowKeys(page, k, ['id', 'accessToken', 'appSecret', 'appsecretProof']);
    const id = str(page.id, `${k}.id`, env);
    if (!/^\d+$/.test(id)) throw new ConfigError(`${k}.id`, 'must be a numeric Page id');
    if (seen.has(id)) throw new ConfigError(`${k}.id`, `page ${id} is configured twice`);
    seen.add(id);
    const accessToken = str(page.accessToken, `${k}.accessToken`, env);
    const appSecret = page.appSecret === undefined ? undefined : str(page.appSecret, `${k}.appSecret`, env);
    const appsecretProof = optional(page.appsecretProof, `${k}.appsecretProof`, (v, kk) => {
      const s = str(v, kk, env);
      if (s !== 'classic' && s !== 'timed') throw new ConfigError(kk, 'must be "classic" or "timed"');
      return s;
    }, 'classic' as const);
    return { id, accessToken, appSecret, appsecretProof };
  });
}

function delivery(value: unknown): DeliveryConfig {
  const d = DEFAULT_CONFIG.delivery;
  if (value === undefined) return structuredClone(d);
  const o = object(value, 'delivery');
  allowKeys(o, 'delivery', ['idempotency', 'retry', 'rateLimit', 'bulkConcurrency']);
  const idem = o.idempotency === undefined ? {} : object(o.idempotency, 'delivery.idempotency');
  allowKeys(idem, 'delivery.idempotency', ['windowMs', 'claimTtlMs', 'maxKeys']);
  const retry = o.retry === undefined ? {} : object(o.retry, 'delivery.retry');
  allowKeys(retry, 'delivery.retry', ['maxAttempts', 'baseDelayMs', 'maxDelayMs']);
  const rl = o.rateLimit === undefined ? {} : object(o.rateLimit, 'delivery.rateLimit');
  allowKeys(rl, 'delivery.rateLimit', ['defaultPerSecond', 'mediaPerSecond', 'maxWaitMs', 'maxQueue', 'pauseAtPercent']);
  const n = (obj: Record<string, unknown>, key: string, path: string, min: number, max: number, fallback: number) =>
    optional(obj[key], `${path}.${key}`, (v, k) => int(v, k, min, max), fallback);
  return {
    idempotency: {
      windowMs: n(idem, 'windowMs', 'delivery.idempotency', 1_000, 30 * 24 * 3600_000, d.idempotency.windowMs),
      claimTtlMs: n(idem, 'claimTtlMs', 'delivery.idempotency', 1_000, 3600_000, d.idempotency.claimTtlMs),
      maxKeys: n(idem, 'maxKeys', 'delivery.idempotency', 1, 10_000_000, d.idempotency.maxKeys),
    },
    retry: {
      maxAttempts: n(retry, 'maxAttempts', 'delivery.retry', 1, 10, d.retry.maxAttempts),
      baseDelayMs: n(retry, 'baseDelayMs', 'delivery.retry', 1, 60_000, d.retry.baseDelayMs),
      maxDelayMs: n(retry, 'maxDelayMs', 'delivery.retry', 1, 600_000, d.retry.maxDelayMs),
    },
    rateLimit: {
      defaultPerSecond: n(rl, 'defaultPerSecond', 'delivery.rateLimit', 1, 100_000, d.rateLimit.defaultPerSecond),
      mediaPerSecond: n(rl, 'mediaPerSecond', 'delivery.rateLimit', 1, 100_000, d.rateLimit.mediaPerSecond),
      maxWaitMs: n(rl, 'maxWaitMs', 'delivery.rateLimit', 0, 600_000, d.rateLimit.maxWaitMs),
      maxQueue: n(rl, 'maxQueue', 'delivery.rateLimit', 0, 1_000_000, d.rateLimit.maxQueue),
      pauseAtPercent: n(rl, 'pauseAtPercent', 'delivery.rateLimit', 1, 100, d.rateLimit.pauseAtPercent),
    },
    bulkConcurrency: n(o, 'bulkConcurrency', 'delivery', 1, 10_000, d.bulkConcurrency),
  };
}

function callers(value: unknown, key: string, env: Env): CallerConfig[] {
  if (!Array.isArray(value)) throw new ConfigError(key, 'must be an array');
  const names = new Set<string>();
  return value.map((item, i) => {
    const k = `${key}[${i}]`;
    const c = object(item, k);
    allowKeys(c, k, ['name', 'apiKeyHash', 'certificate', 'pages', 'ratePerSecond']);
    const name = str(c.name, `${k}.name`, env);
    if (names.has(name)) throw new ConfigError(`${k}.name`, `caller ${name} is configured twice`);
    names.add(name);
    const apiKeyHash = c.apiKeyHash === undefined ? undefined : str(c.apiKeyHash, `${k}.apiKeyHash`, env);
    if (apiKeyHash !== undefined && !/^sha256:[0-9a-f]{32,}:[0-9a-f]{64}$/.test(apiKeyHash)) {
      throw new ConfigError(`${k}.apiKeyHash`, 'must be sha256:<salt hex>:<hash hex>, as printed by `npm start -- hash-key`');
    }
    let certificate: CallerConfig['certificate'];
    if (c.certificate !== undefined) {
      const cert = object(c.certificate, `${k}.certificate`);
      allowKeys(cert, `${k}.certificate`, ['commonName', 'dnsName']);
      certificate = {
        commonName: cert.commonName === undefined ? undefined : str(cert.commonName, `${k}.certificate.commonName`, env),
        dnsName: cert.dnsName === undefined ? undefined : str(cert.dnsName, `${k}.certificate.dnsName`, env),
      };
      if (!certificate.commonName && !certificate.dnsName) throw new ConfigError(`${k}.certificate`, 'needs commonName or dnsName');
    }
    if (!apiKeyHash && !certificate) throw new ConfigError(k, 'needs apiKeyHash or certificate');
    if (!Array.isArray(c.pages) || c.pages.length === 0) throw new ConfigError(`${k}.pages`, 'must list page ids, or ["*"]');
    const pages = c.pages.map((p, j) => {
      const v = str(p, `${k}.pages[${j}]`, env);
      if (v !== '*' && !/^\d+$/.test(v)) throw new ConfigError(`${k}.pages[${j}]`, 'must be a numeric page id or *');
      return v;
    });
    const ratePerSecond = optional(c.ratePerSecond, `${k}.ratePerSecond`, (v, kk) => int(v, kk, 0, 1_000_000), 0);
    return { name, apiKeyHash, certificate, pages, ratePerSecond };
  });
}

function tls(value: unknown, env: Env): NonNullable<GatewayConfig['tls']> {
  const o = object(value, 'tls');
  allowKeys(o, 'tls', ['certFile', 'keyFile', 'clientCaFile']);
  return {
    certFile: str(o.certFile, 'tls.certFile', env),
    keyFile: str(o.keyFile, 'tls.keyFile', env),
    clientCaFile: o.clientCaFile === undefined ? undefined : str(o.clientCaFile, 'tls.clientCaFile', env),
  };
}

function limits(value: unknown): LimitsConfig {
  const d = DEFAULT_CONFIG.limits;
  if (value === undefined) return { ...d };
  const o = object(value, 'limits');
  allowKeys(o, 'limits', ['maxRequestBytes', 'maxUploadBytes', 'maxConcurrentStreams', 'maxInFlightCalls']);
  const n = (key: keyof LimitsConfig, min: number, max: number) => optional(o[key], `limits.${key}`, (v, k) => int(v, k, min, max), d[key]);
  return {
    maxRequestBytes: n('maxRequestBytes', 1024, 64 * 1024 * 1024),
    maxUploadBytes: n('maxUploadBytes', 1, 25 * 1024 * 1024),
    maxConcurrentStreams: n('maxConcurrentStreams', 1, 100_000),
    maxInFlightCalls: n('maxInFlightCalls', 1, 1_000_000),
  };
}

function store(value: unknown, env: Env): GatewayConfig['store'] {
  if (value === undefined) return {};
  const o = object(value, 'store');
  allowKeys(o, 'store', ['redis']);
  if (o.redis === undefined) return {};
  const r = object(o.redis, 'store.redis');
  allowKeys(r, 'store.redis', ['url', 'keyPrefix']);
  const url = str(r.url, 'store.redis.url', env);
  if (!/^rediss?:\/\//.test(url)) throw new ConfigError('store.redis.url', 'must be a redis:// or rediss:// URL');
  const keyPrefix = optional(r.keyPrefix, 'store.redis.keyPrefix', (v, k) => str(v, k, env), 'mgw:');
  return { redis: { url, keyPrefix } };
}

function baseUrl(value: string, key: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(key, `must be an absolute URL (got ${JSON.stringify(value)})`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError(key, 'must be http or https');
  if (url.search || url.hash || url.username || url.password) {
    throw new ConfigError(key, 'must not carry a query, fragment or credentials');
  }
  return value.replace(/\/+$/, '');
}

function version(value: string, key: string): string {
  if (!/^v\d+\.\d+$/.test(value)) throw new ConfigError(key, `must look like v25.0 (got ${JSON.stringify(value)})`);
  return value;
}

function logLevel(value: string, key: string): LogLevel {
  if (!(LOG_LEVELS as readonly string[]).includes(value)) {
    throw new ConfigError(key, `must be one of ${LOG_LEVELS.join(', ')}`);
  }
  return value as LogLevel;
}

function object(value: unknown, key: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(key, 'must be an object');
  }
  return value as Record<string, unknown>;
}

function allowKeys(obj: Record<string, unknown>, key: string, allowed: string[]): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) {
      throw new ConfigError(key === '(root)' ? k : `${key}.${k}`, `unknown key (known: ${allowed.join(', ')})`);
    }
  }
}

function optional<T>(value: unknown, key: string, parse: (v: unknown, key: string) => T, fallback: T): T {
  return value === undefined ? fallback : parse(value, key);
}

/** A non-empty string with `${NAME}` references replaced from the environment. */
function str(value: unknown, key: string, env: Env): string {
  if (typeof value !== 'string') throw new ConfigError(key, 'must be a string');
  const out = value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
    const v = env[name];
    // The variable's name is safe to report; its value (a secret) never is.
    if (v === undefined || v === '') throw new ConfigError(key, `environment variable ${name} is not set`);
    return v;
  });
  if (out.trim() === '') throw new ConfigError(key, 'must not be empty');
  return out;
}

function int(value: unknown, key: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(key, `must be an integer from ${min} to ${max}`);
  }
  return value;
}

function bool(value: unknown, key: string): boolean {
  if (typeof value !== 'boolean') throw new ConfigError(key, 'must be true or false');
  return value;
}
