import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, resolve } from 'node:path';
import {
  DEFAULT_CONFIG,
  LOG_FORMATS,
  LOG_LEVELS,
  SANDBOX_WEBHOOK,
  type CallerConfig,
  type DeliveryConfig,
  type EventsConfig,
  type GatewayConfig,
  type LimitsConfig,
  type LogFormat,
  type LogLevel,
  type PageConfig,
  type Platform,
  PLATFORMS,
  type TokenConfig,
  type ConversationPolicy,
  CONVERSATION_POLICIES,
  DEFAULT_CONVERSATION_POLICY,
  type WebhookConfig,
} from './gateway-config';
import { findJsonSyntaxError } from './json-syntax-error';
import { MAX_UPLOAD_BYTES } from '../limits/graph-limits';
import { profileAsCodeProblems } from './profile-as-code';

/** Most partitions of the Redis event store: each group's partitions are leased one by one, and each append checks one. */
const MAX_PARTITIONS = 256;

/** One problem of a config: the path of the offending key and what is wrong with it. */
export interface ConfigProblem {
  key: string;
  problem: string;
}

/**
 * A config's problems, every one of them (not only the first): `key` is the first problem's key, the
 * message lists them all, one per line. Values are echoed only for numbers (never a string: a
 * config's strings may be or hold secrets).
 */
export class ConfigError extends Error {
  readonly key: string;
  readonly problems: readonly ConfigProblem[];
  constructor(key: string, problem: string);
  constructor(problems: readonly ConfigProblem[]);
  constructor(keyOrProblems: string | readonly ConfigProblem[], problem = '') {
    const problems = typeof keyOrProblems === 'string' ? [{ key: keyOrProblems, problem }] : keyOrProblems;
    super(problems.length === 1
      ? `config: ${problems[0].key}: ${problems[0].problem}`
      : `config: ${problems.length} problems:\n${problems.map((p) => `  ${p.key}: ${p.problem}`).join('\n')}`);
    this.name = 'ConfigError';
    this.key = problems[0].key;
    this.problems = problems;
  }
}

/** Collects the problems of one parse, so that every one is reported. */
class Problems {
  readonly list: ConfigProblem[] = [];
  /** Runs `parse`; a ConfigError it throws is recorded and `fallback` returned instead. */
  check<T>(parse: () => T, fallback: T): T {
    try {
      return parse();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      this.list.push(...err.problems);
      return fallback;
    }
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
  } catch {
    // V8's message gives a character position at best, and quotes the text (secrets included).
    const e = findJsonSyntaxError(text);
    throw new ConfigError(path, e ? `is not valid JSON: line ${e.line}, column ${e.column}: ${e.problem}` : 'is not valid JSON');
  }
  return parseConfig(raw, env, dirname(path));
}

/**
 * Validates a parsed config object; every `${NAME}` in a string is read from `env`; files it
 * names (a Page's `messengerProfile`) are read relative to `baseDir`. Throws every problem at once.
 */
export function parseConfig(raw: unknown, env: Env = process.env, baseDir = process.cwd()): GatewayConfig {
  const p = new Problems();
  const config = p.check(() => parseRoot(p, object(raw, '(root)'), env, baseDir), undefined);
  config?.pages.forEach((page, i) => {
    const kept = page.token?.store;
    if (kept && 'redis' in kept && !config.store.redis) p.list.push({ key: `pages[${i}].token.store`, problem: 'keeps the token in Redis, but store.redis is not configured: configure it, or use {"file": PATH}' });
  });
  if (p.list.length > 0 || config === undefined) throw new ConfigError(p.list);
  return config;
}

function parseRoot(p: Problems, root: Record<string, unknown>, env: Env, baseDir: string): GatewayConfig {
  allowKeys(p, root, '(root)', ['listen', 'graph', 'pages', 'sandbox', 'shutdownDelayMs', 'shutdownGraceMs', 'log', 'telemetry', 'delivery', 'store', 'callers', 'tls', 'limits', 'insecure', 'webhook', 'events', 'conversations', 'tokenRefresh']);
  const d = DEFAULT_CONFIG;
  const graph = section(p, root.graph, 'graph', ['baseUrl', 'instagramBaseUrl', 'version', 'timeoutMs', 'connections']);
  const log = section(p, root.log, 'log', ['level', 'format']);
  const telemetry = section(p, root.telemetry, 'telemetry', ['recordRecipient']);
  return {
    listen: optional(p, root.listen, 'listen', (v, k) => listenAddress(str(v, k, env), k), d.listen),
    graph: {
      baseUrl: optional(p, graph.baseUrl, 'graph.baseUrl', (v, k) => baseUrl(str(v, k, env), k), d.graph.baseUrl),
      instagramBaseUrl: optional(p, graph.instagramBaseUrl, 'graph.instagramBaseUrl', (v, k) => baseUrl(str(v, k, env), k), d.graph.instagramBaseUrl),
      version: optional(p, graph.version, 'graph.version', (v, k) => version(str(v, k, env), k), d.graph.version),
      timeoutMs: optional(p, graph.timeoutMs, 'graph.timeoutMs', (v, k) => int(v, k, 1, 600_000), d.graph.timeoutMs),
      connections: optional(p, graph.connections, 'graph.connections', (v, k) => int(v, k, 1, 10_000), d.graph.connections),
    },
    pages: optional(p, root.pages, 'pages', (v, k) => pages(p, v, k, env, baseDir), d.pages),
    sandbox: optional(p, root.sandbox, 'sandbox', bool, d.sandbox),
    shutdownDelayMs: optional(p, root.shutdownDelayMs, 'shutdownDelayMs', (v, k) => int(v, k, 0, 600_000), d.shutdownDelayMs),
    shutdownGraceMs: optional(p, root.shutdownGraceMs, 'shutdownGraceMs', (v, k) => int(v, k, 0, 3_600_000), d.shutdownGraceMs),
    log: {
      level: optional(p, log.level, 'log.level', (v, k) => logLevel(str(v, k, env), k), d.log.level),
      ...(log.format === undefined ? {} : { format: p.check(() => logFormat(str(log.format, 'log.format', env), 'log.format'), 'json' as const) }),
    },
    telemetry: { recordRecipient: optional(p, telemetry.recordRecipient, 'telemetry.recordRecipient', bool, d.telemetry.recordRecipient) },
    delivery: delivery(p, root.delivery),
    store: p.check(() => store(p, root.store, env), {}),
    callers: optional(p, root.callers, 'callers', (v, k) => callers(p, v, k, env), []),
    tls: root.tls === undefined ? undefined : p.check(() => tls(p, root.tls, env), undefined),
    limits: limits(p, root.limits),
    insecure: optional(p, root.insecure, 'insecure', bool, d.insecure),
    webhook: root.webhook === undefined ? undefined : p.check(() => webhook(p, root.webhook, env), undefined),
    events: events(p, root.events),
    conversations: conversations(p, root.conversations),
    tokenRefresh: tokenRefresh(p, root.tokenRefresh),
  };
}

function tokenRefresh(p: Problems, value: unknown): GatewayConfig['tokenRefresh'] {
  const t = section(p, value, 'tokenRefresh', ['refreshBeforeMs', 'warnBeforeMs', 'retryMs']);
  const d = DEFAULT_CONFIG.tokenRefresh;
  const day = 24 * 3600_000;
  return {
    // Meta refreshes only tokens at least a day old, and its tokens last 60 days.
    refreshBeforeMs: optional(p, t.refreshBeforeMs, 'tokenRefresh.refreshBeforeMs', (v, k) => int(v, k, 3600_000, 59 * day), d.refreshBeforeMs),
    warnBeforeMs: optional(p, t.warnBeforeMs, 'tokenRefresh.warnBeforeMs', (v, k) => int(v, k, 0, 60 * day), d.warnBeforeMs),
    retryMs: optional(p, t.retryMs, 'tokenRefresh.retryMs', (v, k) => int(v, k, 1_000, day), d.retryMs),
  };
}

function conversations(p: Problems, value: unknown): GatewayConfig['conversations'] {
  const d = DEFAULT_CONFIG.conversations;
  if (value === undefined) return { ...d };
  const o = section(p, value, 'conversations', ['profileCacheTtlMs', 'profileCacheMaxEntries', 'maxRecords']);
  return {
    // A day at most: Meta's profile_pic URLs expire, so an older copy would hand out dead links.
    profileCacheTtlMs: optional(p, o.profileCacheTtlMs, 'conversations.profileCacheTtlMs', (v, k) => int(v, k, 0, 86_400_000), d.profileCacheTtlMs),
    profileCacheMaxEntries: optional(p, o.profileCacheMaxEntries, 'conversations.profileCacheMaxEntries', (v, k) => int(v, k, 1, 10_000_000), d.profileCacheMaxEntries),
    maxRecords: optional(p, o.maxRecords, 'conversations.maxRecords', (v, k) => int(v, k, 1, 10_000_000), d.maxRecords),
  };
}

function webhook(p: Problems, value: unknown, env: Env): WebhookConfig {
  const o = object(value, 'webhook');
  allowKeys(p, o, 'webhook', ['listen', 'path', 'verifyToken', 'appSecret', 'maxBodyBytes', 'bodyTimeoutMs', 'maxBodiesPerSource', 'trustedProxies']);
  const d = SANDBOX_WEBHOOK;
  return {
    listen: p.check(() => listenAddress(str(o.listen, 'webhook.listen', env), 'webhook.listen'), d.listen),
    path: optional(p, o.path, 'webhook.path', (v, k) => {
      const path = str(v, k, env);
      if (!/^\/[A-Za-z0-9._~\/-]{0,200}$/.test(path)) throw new ConfigError(k, 'must be a URL path such as /webhook');
      return path;
    }, d.path),
    verifyToken: p.check(() => secret(o.verifyToken, 'webhook.verifyToken', env), ''),
    appSecret: p.check(() => secret(o.appSecret, 'webhook.appSecret', env), ''),
    maxBodyBytes: optional(p, o.maxBodyBytes, 'webhook.maxBodyBytes', (v, k) => int(v, k, 1024, 64 * 1024 * 1024), d.maxBodyBytes),
    // Meta answers must come within 5 s, and its body comes at once: longer would only help idle sockets.
    bodyTimeoutMs: optional(p, o.bodyTimeoutMs, 'webhook.bodyTimeoutMs', (v, k) => int(v, k, 100, 10_000), d.bodyTimeoutMs),
    maxBodiesPerSource: optional(p, o.maxBodiesPerSource, 'webhook.maxBodiesPerSource', (v, k) => int(v, k, 1, 10_000), d.maxBodiesPerSource),
    trustedProxies: optional(p, o.trustedProxies, 'webhook.trustedProxies', (v, k) => trustedProxies(v, k, env), d.trustedProxies),
  };
}

/** Addresses or `ADDRESS/PREFIX` ranges, IPv4 or IPv6. */
function trustedProxies(value: unknown, key: string, env: Env): string[] {
  if (!Array.isArray(value)) throw new ConfigError(key, `must be a list of addresses or ADDRESS/PREFIX ranges, got ${describeValue(value)}`);
  return value.map((item, i) => {
    const entry = str(item, `${key}[${i}]`, env).trim();
    const [address, prefix, extra] = entry.split('/');
    const family = isIP(address);
    const widest = family === 4 ? 32 : 128;
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= widest);
    if (family === 0 || !prefixOk || extra !== undefined) throw new ConfigError(`${key}[${i}]`, `must be an IP address or ADDRESS/PREFIX range such as 10.0.0.0/8`);
    return entry;
  });
}

/** A required secret (`${ENV}`), never echoed. */
function secret(value: unknown, key: string, env: Env): string {
  const s = str(value, key, env);
  if (s.length < 8) throw new ConfigError(key, 'must be at least 8 characters (use ${ENV_VAR} to keep it out of the file)');
  return s;
}

function events(p: Problems, value: unknown): EventsConfig {
  const d = DEFAULT_CONFIG.events;
  if (value === undefined) return { ...d };
  const o = section(p, value, 'events', ['dedupWindowMs', 'retentionMs', 'maxEvents', 'ackDeadlineMs', 'maxDeliveryAttempts', 'maxGroups', 'maxGroupsPerCaller', 'neverAckedGroupMs', 'groupIdleMs', 'partitions']);
  const n = (key: keyof EventsConfig, min: number, max: number, fallback = d[key]) => optional(p, o[key], `events.${key}`, (v, k) => int(v, k, min, max), fallback);
  const maxGroups = n('maxGroups', 1, 10_000);
  return {
    dedupWindowMs: n('dedupWindowMs', 1_000, 30 * 24 * 3600_000),
    retentionMs: n('retentionMs', 1_000, 30 * 24 * 3600_000),
    maxEvents: n('maxEvents', 1, 10_000_000),
    ackDeadlineMs: n('ackDeadlineMs', 100, 3600_000),
    maxDeliveryAttempts: n('maxDeliveryAttempts', 1, 1_000),
    maxGroups,
    maxGroupsPerCaller: n('maxGroupsPerCaller', 1, 10_000, Math.max(1, Math.floor(maxGroups / 4))),
    neverAckedGroupMs: n('neverAckedGroupMs', 1_000, 30 * 24 * 3600_000),
    groupIdleMs: n('groupIdleMs', 1_000, 30 * 24 * 3600_000),
    partitions: n('partitions', 1, MAX_PARTITIONS),
  };
}

/** Checks a `--listen` / `GATEWAY_LISTEN` value (not echoed: a config's strings may hold secrets). */
export function listenAddress(value: string, key: string): string {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:\s]+):(\d{1,5})$/.exec(value);
  if (!m || Number(m[2]) > 65535) throw new ConfigError(key, 'must be host:port, for example 127.0.0.1:50051');
  return value;
}

function pages(p: Problems, value: unknown, key: string, env: Env, baseDir: string): PageConfig[] {
  if (!Array.isArray(value)) throw new ConfigError(key, 'must be an array');
  const seen = new Set<string>();
  const parsed = value.flatMap((item, i) => {
    const k = `${key}[${i}]`;
    const page = p.check(() => object(item, k), undefined);
    if (!page) return [];
    allowKeys(p, page, k, ['id', 'platform', 'pageId', 'login', 'token', 'accessToken', 'appSecret', 'appsecretProof', 'messengerProfile', 'conversationPolicy']);
    const platform = optional(p, page.platform, `${k}.platform`, (v, kk) => {
      const s = str(v, kk, env);
      if (!(PLATFORMS as readonly string[]).includes(s)) throw new ConfigError(kk, 'must be "messenger" or "instagram"');
      return s as Platform;
    }, 'messenger' as Platform);
    const id = p.check(() => {
      const v = str(page.id, `${k}.id`, env);
      if (!/^\d+$/.test(v)) throw new ConfigError(`${k}.id`, platform === 'instagram' ? 'must be a numeric Instagram account id (the webhook\'s entry[].id)' : 'must be a numeric Page id');
      if (seen.has(v)) throw new ConfigError(`${k}.id`, `page ${v} is configured twice`);
      seen.add(v);
      return v;
    }, '');
    const login = optional(p, page.login, `${k}.login`, (v, kk) => {
      const s = str(v, kk, env);
      if (s !== 'instagram') throw new ConfigError(kk, 'must be "instagram" (the Instagram API with Instagram Login), or absent');
      if (platform !== 'instagram') throw new ConfigError(kk, 'is only for platform "instagram"');
      return 'instagram' as const;
    }, undefined);
    const pageId = optional(p, page.pageId, `${k}.pageId`, (v, kk) => {
      const s = str(v, kk, env);
      if (platform !== 'instagram') throw new ConfigError(kk, 'is only for platform "instagram" (the Facebook Page linked to the Instagram account)');
      if (login === 'instagram') throw new ConfigError(kk, 'must be absent with login "instagram": Instagram Login sends as the Instagram account itself, without a Page');
      if (!/^\d+$/.test(s)) throw new ConfigError(kk, 'must be the numeric id of the linked Facebook Page');
      return s;
    }, undefined);
    if (platform === 'instagram' && login === undefined && pageId === undefined) {
      p.list.push({ key: k, problem: `an Instagram account needs "pageId" (its linked Facebook Page, sent with that Page's token) or "login": "instagram" (an Instagram user token, sent to graph.instagram.com)` });
    }
    const token = optional(p, page.token, `${k}.token`, (v, kk) => {
      if (login !== 'instagram') throw new ConfigError(kk, 'is only for login "instagram": Page tokens are not refreshed by the gateway');
      return tokenConfig(p, v, kk, env, baseDir);
    }, undefined);
    const accessToken = p.check(() => str(page.accessToken, `${k}.accessToken`, env), '');
    const appSecret = optional(p, page.appSecret, `${k}.appSecret`, (v, kk) => str(v, kk, env), undefined);
    const appsecretProof = optional(p, page.appsecretProof, `${k}.appsecretProof`, (v, kk) => {
      const s = str(v, kk, env);
      if (s !== 'classic' && s !== 'timed') throw new ConfigError(kk, 'must be "classic" or "timed"');
      return s;
    }, 'classic' as const);
    const messengerProfile = optional(p, page.messengerProfile, `${k}.messengerProfile`, (v, kk) => profileAsCode(v, kk, env, baseDir), undefined);
    const conversationPolicy = optional(p, page.conversationPolicy, `${k}.conversationPolicy`, (v, kk) => {
      const s = str(v, kk, env);
      if (!(CONVERSATION_POLICIES as readonly string[]).includes(s)) throw new ConfigError(kk, 'must be "enforce", "warn" or "off"');
      return s as ConversationPolicy;
    }, DEFAULT_CONVERSATION_POLICY);
    const config: PageConfig = {
      id, accessToken, appSecret, appsecretProof, conversationPolicy,
      ...(platform === 'instagram' ? { platform } : {}),
      ...(pageId ? { pageId } : {}),
      ...(login ? { login } : {}),
      ...(token ? { token } : {}),
      ...(messengerProfile ? { messengerProfile } : {}),
    };
    return [config];
  });
  return parsed;
}

function tokenConfig(p: Problems, value: unknown, key: string, env: Env, baseDir: string): TokenConfig {
  const t = object(value, key);
  allowKeys(p, t, key, ['expiresAt', 'store']);
  const expiresAt = optional(p, t.expiresAt, `${key}.expiresAt`, (v, kk) => {
    const s = str(v, kk, env);
    if (!/^\d{4}-\d\d-\d\dT/.test(s) || Number.isNaN(Date.parse(s))) throw new ConfigError(kk, 'must be an ISO 8601 time, for example 2027-02-01T00:00:00Z');
    return s;
  }, undefined);
  const store = optional(p, t.store, `${key}.store`, (v, kk) => {
    const o = object(v, kk);
    if (o.redis === true && o.file === undefined) return { redis: true as const };
    if (typeof o.file === 'string' && o.redis === undefined) {
      const file = str(o.file, `${kk}.file`, env);
      if (file === '') throw new ConfigError(`${kk}.file`, 'must be a path');
      return { file: resolve(baseDir, file) };
    }
    throw new ConfigError(kk, 'must be {"file": PATH} or {"redis": true}');
  }, undefined);
  return { ...(expiresAt ? { expiresAt } : {}), ...(store ? { store } : {}) };
}

/** A Page's `messengerProfile`: an object in Graph's shape, or the path of a JSON file holding one. */
function profileAsCode(value: unknown, key: string, env: Env, baseDir: string): Record<string, unknown> {
  let profile: unknown = value;
  if (typeof value === 'string') {
    const path = resolve(baseDir, str(value, key, env));
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new ConfigError(key, `names a file that cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
    try {
      profile = JSON.parse(text) as unknown;
    } catch {
      const e = findJsonSyntaxError(text);
      throw new ConfigError(key, e ? `names a file that is not valid JSON: line ${e.line}, column ${e.column}: ${e.problem}` : 'names a file that is not valid JSON');
    }
  }
  if (typeof profile !== 'object' || profile === null || Array.isArray(profile)) throw new ConfigError(key, 'must be an object in Graph\'s Messenger Profile shape, or the path of a JSON file holding one');
  const problems = profileAsCodeProblems(profile);
  if (problems.length > 0) throw new ConfigError(problems.map((problem) => ({ key, problem })));
  return profile as Record<string, unknown>;
}

function delivery(p: Problems, value: unknown): DeliveryConfig {
  const d = DEFAULT_CONFIG.delivery;
  if (value === undefined) return structuredClone(d);
  const o = section(p, value, 'delivery', ['idempotency', 'retry', 'rateLimit', 'bulkConcurrency']);
  const idem = section(p, o.idempotency, 'delivery.idempotency', ['windowMs', 'claimTtlMs', 'maxKeys']);
  const retry = section(p, o.retry, 'delivery.retry', ['maxAttempts', 'baseDelayMs', 'maxDelayMs']);
  const rl = section(p, o.rateLimit, 'delivery.rateLimit', ['defaultPerSecond', 'mediaPerSecond', 'maxWaitMs', 'maxQueue', 'pauseAtPercent']);
  const n = (obj: Record<string, unknown>, key: string, path: string, min: number, max: number, fallback: number) =>
    optional(p, obj[key], `${path}.${key}`, (v, k) => int(v, k, min, max), fallback);
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

function callers(p: Problems, value: unknown, key: string, env: Env): CallerConfig[] {
  if (!Array.isArray(value)) throw new ConfigError(key, 'must be an array');
  const names = new Set<string>();
  return value.flatMap((item, i) => {
    const k = `${key}[${i}]`;
    const c = p.check(() => object(item, k), undefined);
    if (!c) return [];
    allowKeys(p, c, k, ['name', 'apiKeyHash', 'certificate', 'pages', 'ratePerSecond']);
    const name = p.check(() => {
      const v = str(c.name, `${k}.name`, env);
      if (names.has(v)) throw new ConfigError(`${k}.name`, `caller ${v} is configured twice`);
      names.add(v);
      return v;
    }, '');
    const apiKeyHash = optional(p, c.apiKeyHash, `${k}.apiKeyHash`, (v, kk) => {
      const h = str(v, kk, env);
      if (!/^sha256:[0-9a-f]{32,}:[0-9a-f]{64}$/.test(h)) throw new ConfigError(kk, 'must be sha256:<salt hex>:<hash hex>, as printed by `npm start -- hash-key`');
      return h;
    }, undefined);
    const certificate = optional(p, c.certificate, `${k}.certificate`, (v, kk) => {
      const cert = object(v, kk);
      allowKeys(p, cert, kk, ['commonName', 'dnsName']);
      const out = {
        commonName: optional(p, cert.commonName, `${kk}.commonName`, (x, kkk) => str(x, kkk, env), undefined),
        dnsName: optional(p, cert.dnsName, `${kk}.dnsName`, (x, kkk) => str(x, kkk, env), undefined),
      };
      if (cert.commonName === undefined && cert.dnsName === undefined) throw new ConfigError(kk, 'needs commonName or dnsName');
      return out;
    }, undefined);
    if (c.apiKeyHash === undefined && c.certificate === undefined) p.list.push({ key: k, problem: 'needs apiKeyHash or certificate' });
    const pageIds = p.check(() => {
      if (!Array.isArray(c.pages) || c.pages.length === 0) throw new ConfigError(`${k}.pages`, 'must list page ids, or ["*"]');
      return c.pages.map((pg, j) => p.check(() => {
        const v = str(pg, `${k}.pages[${j}]`, env);
        if (v !== '*' && !/^\d+$/.test(v)) throw new ConfigError(`${k}.pages[${j}]`, 'must be a numeric page id or *');
        return v;
      }, ''));
    }, []);
    const ratePerSecond = optional(p, c.ratePerSecond, `${k}.ratePerSecond`, (v, kk) => int(v, kk, 0, 1_000_000), 0);
    return [{ name, apiKeyHash, certificate, pages: pageIds, ratePerSecond }];
  });
}

function tls(p: Problems, value: unknown, env: Env): NonNullable<GatewayConfig['tls']> {
  const o = object(value, 'tls');
  allowKeys(p, o, 'tls', ['certFile', 'keyFile', 'clientCaFile']);
  return {
    certFile: p.check(() => str(o.certFile, 'tls.certFile', env), ''),
    keyFile: p.check(() => str(o.keyFile, 'tls.keyFile', env), ''),
    clientCaFile: optional(p, o.clientCaFile, 'tls.clientCaFile', (v, k) => str(v, k, env), undefined),
  };
}

function limits(p: Problems, value: unknown): LimitsConfig {
  const d = DEFAULT_CONFIG.limits;
  if (value === undefined) return { ...d };
  const o = section(p, value, 'limits', ['maxRequestBytes', 'maxUploadBytes', 'maxConcurrentStreams', 'maxInFlightCalls', 'maxInFlightPerCaller', 'maxWatchStreams', 'maxWatchStreamsPerConnection', 'streamIdleMs']);
  const n = (key: keyof LimitsConfig, min: number, max: number, fallback = d[key]) => optional(p, o[key], `limits.${key}`, (v, k) => int(v, k, min, max), fallback);
  const maxInFlightCalls = n('maxInFlightCalls', 1, 1_000_000);
  return {
    maxRequestBytes: n('maxRequestBytes', 1024, 64 * 1024 * 1024),
    maxUploadBytes: n('maxUploadBytes', 1, MAX_UPLOAD_BYTES),
    maxConcurrentStreams: n('maxConcurrentStreams', 1, 100_000),
    maxInFlightCalls,
    // By default one caller may hold half of the gateway's calls, never all of them.
    maxInFlightPerCaller: n('maxInFlightPerCaller', 1, 1_000_000, Math.max(1, Math.floor(maxInFlightCalls / 2))),
    maxWatchStreams: n('maxWatchStreams', 0, 1_000_000),
    maxWatchStreamsPerConnection: n('maxWatchStreamsPerConnection', 0, 100_000),
    streamIdleMs: n('streamIdleMs', 100, 3_600_000),
  };
}

function store(p: Problems, value: unknown, env: Env): GatewayConfig['store'] {
  if (value === undefined) return {};
  const o = object(value, 'store');
  allowKeys(p, o, 'store', ['redis']);
  if (o.redis === undefined) return {};
  const r = object(o.redis, 'store.redis');
  allowKeys(p, r, 'store.redis', ['url', 'cluster', 'sentinel', 'keyPrefix', 'minReplicas']);
  const keyPrefix = optional(p, r.keyPrefix, 'store.redis.keyPrefix', (v, k) => str(v, k, env), 'mgw:');
  const minReplicas = optional(p, r.minReplicas, 'store.redis.minReplicas', (v, k) => int(v, k, 0, MAX_MIN_REPLICAS), 0);
  const given = [r.url, r.cluster, r.sentinel].filter((v) => v !== undefined).length;
  if (given !== 1) {
    p.list.push({ key: 'store.redis', problem: 'set exactly one of url (one Redis), cluster (Redis Cluster) and sentinel (a primary found through Sentinel)' });
  }
  if (r.cluster !== undefined) {
    // A brace in the prefix would become the hash tag of every key and put them all in one slot.
    if (/[{}]/.test(keyPrefix)) p.list.push(...new ConfigError('store.redis.keyPrefix', 'must not contain { or } with store.redis.cluster (braces are the hash tags that place keys on cluster slots)').problems);
    const nodes = p.check(() => clusterNodes(r.cluster, env), []);
    return { redis: { url: '', keyPrefix, cluster: { nodes }, minReplicas } };
  }
  if (r.sentinel !== undefined) {
    const sentinel = p.check(() => redisSentinel(p, r.sentinel, env), { name: '', nodes: [] });
    return { redis: { url: '', keyPrefix, sentinel, minReplicas } };
  }
  // Neither given: said once above, not again as a missing url.
  const url = given === 0 ? '' : p.check(() => redisUrl(r.url, 'store.redis.url', env), '');
  return { redis: { url, keyPrefix, minReplicas } };
}

/** More replicas than this per primary is not a setup WAIT is meant for. */
const MAX_MIN_REPLICAS = 16;
/** Sentinels are an odd handful (3 or 5); a long list is a mistake. */
const MAX_SENTINELS = 16;

function redisSentinel(p: Problems, value: unknown, env: Env): NonNullable<NonNullable<GatewayConfig['store']['redis']>['sentinel']> {
  const key = 'store.redis.sentinel';
  const o = object(value, key);
  allowKeys(p, o, key, ['name', 'nodes', 'password', 'sentinelPassword']);
  const name = p.check(() => {
    const n = str(o.name, `${key}.name`, env);
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(n)) throw new ConfigError(`${key}.name`, 'must be the master name of `sentinel monitor` (letters, digits, ".", "_", "-"; at most 64)');
    return n;
  }, '');
  const nodes = p.check(() => {
    if (!Array.isArray(o.nodes) || o.nodes.length === 0 || o.nodes.length > MAX_SENTINELS) {
      throw new ConfigError(`${key}.nodes`, `must be a list of 1 to ${MAX_SENTINELS} sentinel addresses, redis://host:port`);
    }
    return o.nodes.map((item, i) => sentinelNode(item, `${key}.nodes[${i}]`, env));
  }, []);
  const password = optional(p, o.password, `${key}.password`, (v, k) => str(v, k, env), undefined);
  const sentinelPassword = optional(p, o.sentinelPassword, `${key}.sentinelPassword`, (v, k) => str(v, k, env), undefined);
  return { name, nodes, ...(password === undefined ? {} : { password }), ...(sentinelPassword === undefined ? {} : { sentinelPassword }) };
}

/** `redis://host:port` of a sentinel: no credentials (they are `sentinelPassword`), no path. */
function sentinelNode(value: unknown, key: string, env: Env): string {
  const s = str(value, key, env);
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    throw new ConfigError(key, 'must be redis://host:port');
  }
  if (url.protocol === 'rediss:') throw new ConfigError(key, 'must be redis://host:port: the gateway reaches sentinels without TLS');
  if (url.protocol !== 'redis:' || !url.hostname || !url.port) throw new ConfigError(key, 'must be redis://host:port (the port is required: sentinels listen on 26379 by default)');
  if (url.username || url.password) throw new ConfigError(key, 'must carry no credentials: put the sentinels\' password in store.redis.sentinel.sentinelPassword');
  if ((url.pathname !== '' && url.pathname !== '/') || url.search || url.hash) throw new ConfigError(key, 'must be redis://host:port, with no path or query');
  return `redis://${url.host}`;
}

/** A `redis://` or `rediss://` URL, checked here, not by the Redis client at start (whose error quoted the URL, password included). */
function redisUrl(value: unknown, key: string, env: Env): string {
  const u = str(value, key, env);
  if (!/^rediss?:\/\//.test(u)) throw new ConfigError(key, 'must be a redis:// or rediss:// URL');
  let url: URL;
  try {
    url = new URL(u);
  } catch {
    throw new ConfigError(key, 'is not a valid URL: write redis://[:password@]host:port[/db] (percent-encode special characters of the password)');
  }
  if (!url.hostname) throw new ConfigError(key, 'has no host: write redis://[:password@]host:port[/db]');
  if (url.pathname !== '' && url.pathname !== '/' && !/^\/\d+$/.test(url.pathname)) throw new ConfigError(key, 'the path must be a database number (/0, /1, ...)');
  return u;
}

/** `store.redis.cluster`: `{ "nodes": [...] }`, 1 to 64 node URLs sharing one scheme and one user and password. */
function clusterNodes(value: unknown, env: Env): string[] {
  const c = object(value, 'store.redis.cluster');
  const extra = Object.keys(c).filter((k) => k !== 'nodes');
  if (extra.length > 0) throw new ConfigError(`store.redis.cluster.${extra[0]}`, 'is not a setting of store.redis.cluster (it takes nodes)');
  if (!Array.isArray(c.nodes) || c.nodes.length === 0 || c.nodes.length > 64) throw new ConfigError('store.redis.cluster.nodes', 'must be a list of 1 to 64 node URLs (redis://[user:password@]host:port)');
  const nodes = c.nodes.map((n, i) => redisUrl(n, `store.redis.cluster.nodes[${i}]`, env));
  const first = new URL(nodes[0]!);
  nodes.forEach((n, i) => {
    const u = new URL(n);
    if (u.pathname !== '' && u.pathname !== '/' && u.pathname !== '/0') throw new ConfigError(`store.redis.cluster.nodes[${i}]`, 'a Redis Cluster has only database 0: leave the path out');
    if (!u.port) throw new ConfigError(`store.redis.cluster.nodes[${i}]`, 'needs a port (redis://host:port)');
    if (u.protocol !== first.protocol || u.username !== first.username || u.password !== first.password) {
      throw new ConfigError(`store.redis.cluster.nodes[${i}]`, 'must have the same scheme, user and password as store.redis.cluster.nodes[0] (one cluster, one set of credentials)');
    }
  });
  return nodes;
}

function baseUrl(value: string, key: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(key, 'must be an absolute URL, for example https://graph.facebook.com');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError(key, 'must be http or https');
  if (url.search || url.hash || url.username || url.password) {
    throw new ConfigError(key, 'must not carry a query, fragment or credentials');
  }
  return value.replace(/\/+$/, '');
}

function version(value: string, key: string): string {
  if (!/^v\d+\.\d+$/.test(value)) throw new ConfigError(key, 'must look like v25.0');
  return value;
}

function logLevel(value: string, key: string): LogLevel {
  if (!(LOG_LEVELS as readonly string[]).includes(value)) {
    throw new ConfigError(key, `must be one of ${LOG_LEVELS.join(', ')}`);
  }
  return value as LogLevel;
}

function logFormat(value: string, key: string): LogFormat {
  if (!(LOG_FORMATS as readonly string[]).includes(value)) throw new ConfigError(key, `must be one of ${LOG_FORMATS.join(', ')}`);
  return value as LogFormat;
}

function object(value: unknown, key: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(key, 'must be an object');
  }
  return value as Record<string, unknown>;
}

/** An optional object of known keys: {} when absent; a problem (and {}) when it is not an object. */
function section(p: Problems, value: unknown, key: string, allowed: string[]): Record<string, unknown> {
  if (value === undefined) return {};
  const o = p.check(() => object(value, key), {});
  allowKeys(p, o, key, allowed);
  return o;
}

/** Records every key of `obj` that is not `allowed`. */
function allowKeys(p: Problems, obj: Record<string, unknown>, key: string, allowed: string[]): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) {
      // The key is the config's own text, but a value pasted in the wrong place can make one: a
      // long key is shown cut, never whole (it could be a token).
      const shown = k.length > 24 ? `${k.slice(0, 4)}…(${k.length} characters)` : k;
      p.list.push({ key: key === '(root)' ? shown : `${key}.${shown}`, problem: `unknown key (known: ${allowed.join(', ')})` });
    }
  }
}

/** `parse(value)`, or `fallback` when the key is absent; a problem is recorded (and `fallback` returned). */
function optional<T>(p: Problems, value: unknown, key: string, parse: (v: unknown, key: string) => T, fallback: T): T {
  return value === undefined ? fallback : p.check(() => parse(value, key), fallback);
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

/** An integer in [min, max]. No numeric key holds a secret, so a bad number is echoed; a string never is. */
function int(value: unknown, key: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(key, `must be an integer from ${min} to ${max} (got ${describeValue(value)})`);
  }
  return value;
}

/** A bad value as a message may show it: numbers, booleans and null as written, other values by their kind only. */
function describeValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (typeof value === 'string') return 'a string: write the number without quotes';
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

function bool(value: unknown, key: string): boolean {
  if (typeof value !== 'boolean') throw new ConfigError(key, 'must be true or false');
  return value;
}
