import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, startRedisServer, type RedisServer } from './redis-server';
import { waitFor } from './wait-for';

/** Debian's `redis-sentinel` package puts it here. */
const SENTINEL_BIN = process.env.REDIS_SENTINEL_BIN ?? '/usr/bin/redis-sentinel';
export const MASTER_NAME = 'gwmaster';
/** The Redis servers' password (requirepass, masterauth) and the sentinels' own (requirepass, sentinel-pass). */
export const REDIS_PASSWORD = 'redis-pw-Zq81xv';
export const SENTINEL_PASSWORD = 'sentinel-pw-Kd02mw';

/** Whether Sentinel tests can run here; on CI a missing binary fails the file instead. */
export function redisSentinelAvailable(): boolean {
  if (existsSync(SENTINEL_BIN)) return true;
  const message = `redis-sentinel not found at ${SENTINEL_BIN}: install it with \`apt-get install redis-sentinel\``;
  if (process.env.CI) throw new Error(`${message}; CI must run the Sentinel tests`);
  console.warn(`Skipping Sentinel tests: ${message}`);
  return false;
}

/** A Redis node of the set: its port stays its own across a kill and a restart. */
export interface SentinelNode {
  port: number;
  dir: string;
  server: RedisServer | undefined;
}

/**
 * 1 primary and 1 replica (both AOF, fsync always) and 3 sentinels (quorum 2) on loopback, for
 * one test file. A primary is declared down after 1 s without answering.
 */
export interface SentinelSet {
  /** `store.redis.sentinel` for the gateway, passwords included. */
  config: { name: string; nodes: string[]; password: string; sentinelPassword: string };
  nodes: SentinelNode[];
  /** The node the sentinels call primary now. */
  primary(): Promise<SentinelNode>;
  /** SIGKILLs the primary, waits until the sentinels have promoted the replica, and returns the new primary. */
  killPrimaryAndFailOver(): Promise<{ old: SentinelNode; now: SentinelNode }>;
  /** Starts a killed node again as a replica of `of`; resolves once its link to it is up. */
  restartAsReplica(node: SentinelNode, of: SentinelNode): Promise<void>;
  stop(): Promise<void>;
}

export async function startSentinelSet(): Promise<SentinelSet> {
  const base = mkdtempSync(join(tmpdir(), 'gw-sentinel-'));
  const primaryDir = mkdtempSync(join(base, 'primary-'));
  const replicaDir = mkdtempSync(join(base, 'replica-'));
  const auth = ['--masterauth', REDIS_PASSWORD];
  const primary = await startRedisServer({ aofDir: primaryDir, requirePass: REDIS_PASSWORD, args: auth });
  const replica = await startRedisServer({ aofDir: replicaDir, requirePass: REDIS_PASSWORD, args: [...auth, '--replicaof', '127.0.0.1', String(primary.port)] });
  const nodes: SentinelNode[] = [
    { port: primary.port, dir: primaryDir, server: primary },
    { port: replica.port, dir: replicaDir, server: replica },
  ];
  await linkUp(replica.port);
  const sentinels: Array<{ port: number; child: ChildProcess }> = [];
  // Ports taken in a row may repeat once the probe's socket is closed: a repeated one would leave a
  // sentinel unstarted, and the others waiting for it.
  const taken = new Set([primary.port, replica.port]);
  for (let i = 0; i < 3; i++) {
    let port = await freePort();
    while (taken.has(port)) port = await freePort();
    taken.add(port);
    const conf = join(base, `sentinel-${i}.conf`);
    writeFileSync(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${base}`,
        `requirepass ${SENTINEL_PASSWORD}`,
        `sentinel sentinel-pass ${SENTINEL_PASSWORD}`,
        `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${primary.port} 2`,
        `sentinel auth-pass ${MASTER_NAME} ${REDIS_PASSWORD}`,
        `sentinel down-after-milliseconds ${MASTER_NAME} 1000`,
        `sentinel failover-timeout ${MASTER_NAME} 4000`,
        `sentinel parallel-syncs ${MASTER_NAME} 1`,
        '',
      ].join('\n'),
    );
    const child = spawn(SENTINEL_BIN, [conf], { stdio: 'ignore' });
    sentinels.push({ port, child });
  }
  const ask = async <T>(port: number, run: (r: Redis) => Promise<T>, password = SENTINEL_PASSWORD): Promise<T> => {
    const r = new Redis({ port, host: '127.0.0.1', password, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 500 });
    r.on('error', () => {});
    try {
      await r.connect();
      return await run(r);
    } finally {
      r.disconnect();
    }
  };
  const masterPort = async (sentinelPort: number): Promise<number> => {
    const addr = (await ask(sentinelPort, (r) => r.call('SENTINEL', 'get-master-addr-by-name', MASTER_NAME))) as [string, string] | null;
    return Number(addr?.[1]);
  };
  // Ready: every sentinel answers, knows the replica and the two other sentinels.
  for (const s of sentinels) {
    await waitFor(
      async () => {
        const others = (await ask(s.port, (r) => r.call('SENTINEL', 'sentinels', MASTER_NAME))) as unknown[];
        const replicas = (await ask(s.port, (r) => r.call('SENTINEL', 'replicas', MASTER_NAME))) as unknown[];
        return others.length === 2 && replicas.length === 1;
      },
      // Sentinels find each other by hellos every 2 s and the replica by INFO every 10 s; a loaded machine stretches both.
      { what: `sentinel on ${s.port} seeing the replica and the other two sentinels`, timeoutMs: 45_000, intervalMs: 100 },
    );
  }
  const byPort = (port: number) => nodes.find((n) => n.port === port)!;
  const set: SentinelSet = {
    config: { name: MASTER_NAME, nodes: sentinels.map((s) => `redis://127.0.0.1:${s.port}`), password: REDIS_PASSWORD, sentinelPassword: SENTINEL_PASSWORD },
    nodes,
    primary: async () => byPort(await masterPort(sentinels[0]!.port)),
    killPrimaryAndFailOver: async () => {
      const old = await set.primary();
      await old.server?.kill();
      old.server = undefined;
      // Every sentinel names the other node, and it says it is a master.
      const now = await waitFor(
        async () => {
          const ports = await Promise.all(sentinels.map((s) => masterPort(s.port).catch(() => 0)));
          if (!ports.every((p) => p !== old.port && p === ports[0])) return false;
          const role = await ask(ports[0]!, (r) => r.call('ROLE'), REDIS_PASSWORD).catch(() => undefined);
          return Array.isArray(role) && role[0] === 'master' ? byPort(ports[0]!) : false;
        },
        { what: 'the sentinels promoting the replica', timeoutMs: 30_000, intervalMs: 100 },
      );
      return { old, now };
    },
    restartAsReplica: async (node, of) => {
      node.server = await startRedisServer({ port: node.port, aofDir: node.dir, requirePass: REDIS_PASSWORD, args: [...auth, '--replicaof', '127.0.0.1', String(of.port)] });
      await linkUp(node.port);
      // Every sentinel sees it as a healthy replica again (so that it can be promoted next time).
      for (const s of sentinels) {
        await waitFor(
          async () => {
            const replicas = (await ask(s.port, (r) => r.call('SENTINEL', 'replicas', MASTER_NAME))) as string[][];
            return replicas.some((fields) => {
              const f = new Map<string, string>();
              for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i]!, fields[i + 1]!);
              return f.get('port') === String(node.port) && f.get('flags') === 'slave' && f.get('master-link-status') === 'ok';
            });
          },
          { what: `sentinel on ${s.port} seeing ${node.port} as a healthy replica`, timeoutMs: 30_000, intervalMs: 100 },
        );
      }
    },
    stop: async () => {
      await Promise.all(
        sentinels.map(
          (s) =>
            new Promise<void>((resolve) => {
              if (s.child.exitCode !== null || s.child.signalCode !== null) return resolve();
              s.child.once('exit', () => resolve());
              s.child.kill('SIGKILL');
            }),
        ),
      );
      await Promise.all(nodes.map((n) => n.server?.stop()));
    },
  };
  return set;
}

/** Waits until the replica on `port` has its link to its primary up (and the first sync done). */
async function linkUp(port: number): Promise<void> {
  await waitFor(
    async () => {
      const r = new Redis({ port, host: '127.0.0.1', password: REDIS_PASSWORD, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      r.on('error', () => {});
      try {
        await r.connect();
        const info = await r.info('replication');
        if (/master_link_status:up/.test(info) && !/master_sync_in_progress:1/.test(info)) return true;
        // Said on a timeout: where the replica is (its role, its master, the link).
        throw new Error(info.split('\r\n').filter((l) => /^(role|master_host|master_port|master_link_status|master_sync_in_progress|master_link_down_since_seconds)/.test(l)).join(' '));
      } finally {
        r.disconnect();
      }
    },
    { what: `the replica on ${port} in sync with its primary`, timeoutMs: 20_000, intervalMs: 50 },
  );
}
