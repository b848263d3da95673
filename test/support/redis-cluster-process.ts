/**
 * A throwaway Redis Cluster on loopback: 3 masters and 3 replicas (`redis-cli --cluster create
 * … --cluster-replicas 1`), started by a test file (redis-cluster.ts) or a benchmark and torn
 * down with it. No vitest here, so that benchmarks can start one too. A cluster node's bus
 * listens on its port + 10000, so nodes take ports of 55535 or less, each checked free together
 * with its bus port.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './wait-for';

/** One node of the cluster (master or replica as the cluster decides; it changes on failover). */
export interface ClusterNode {
  port: number;
  url: string;
  /** Kills the node with SIGKILL and waits for it to exit. */
  kill(): Promise<void>;
  /** Starts a killed node again on its port and directory (it rejoins from its nodes.conf). */
  restart(): Promise<void>;
}

export interface RedisClusterHandle {
  nodes: readonly ClusterNode[];
  /** `redis://127.0.0.1:port` of every node: what `store.redis.cluster.nodes` takes. */
  urls: string[];
  /** `CLUSTER INFO`'s field of the node on `port` (e.g. `cluster_state`). */
  info(port: number, field: string): string | undefined;
  /** Resolves once every live node says `cluster_state:ok` and sees `masters` masters with slots. */
  waitUntilOk(timeoutMs?: number): Promise<void>;
  /** The ports of the masters now (as the first live node sees them). */
  masters(): number[];
  stop(): Promise<void>;
}

export interface RedisClusterOptions {
  /** AOF with fsync on every write (default true: what a failover test needs). */
  appendOnly?: boolean;
  /** `cluster-node-timeout` in ms (default 2000): how soon a dead master is failed over. */
  nodeTimeoutMs?: number;
  /**
   * Scheduling priority of the nodes (os.setPriority; below 0 needs root, and is skipped
   * without): a benchmark timing Redis's commands on a busy machine keeps other processes from
   * preempting them mid-command.
   */
  priority?: number;
}

const MAX_NODE_PORT = 55_535;
const MIN_NODE_PORT = 20_000;

/** The redis-server binary: $REDIS_SERVER_BIN or /usr/bin/redis-server (as redis-server.ts finds it, without vitest). */
function findRedisServer(): string | undefined {
  return [process.env.REDIS_SERVER_BIN, '/usr/bin/redis-server'].find((c): c is string => c !== undefined && c !== '' && existsSync(c));
}

/** redis-cli beside redis-server (both come with Debian's redis-server / redis-tools). */
export function findRedisCli(): string | undefined {
  const server = findRedisServer();
  const candidates = [process.env.REDIS_CLI_BIN, '/usr/bin/redis-cli', server ? join(server, '..', 'redis-cli') : undefined];
  return candidates.find((c): c is string => c !== undefined && c !== '' && existsSync(c));
}

/** Whether a cluster can be started here (redis-server and redis-cli); on CI a missing one throws. */
export function redisClusterAvailable(): boolean {
  if (findRedisServer() && findRedisCli()) return true;
  const message = 'redis-server or redis-cli not found: install them with `apt-get install redis-server redis-tools`';
  if (process.env.CI) throw new Error(`${message}; CI must run the Redis Cluster tests`);
  console.warn(`Skipping Redis Cluster tests: ${message}`);
  return false;
}

/** Starts 6 nodes and makes them a cluster of 3 masters with a replica each; resolves at cluster_state:ok. */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisClusterHandle> {
  const server = findRedisServer();
  const cli = findRedisCli();
  if (!server || !cli) throw new Error('redis-server and redis-cli are needed for a Redis Cluster');
  const root = mkdtempSync(join(tmpdir(), 'redis-cluster-'));
  const ports = await clusterPorts(6);
  const children = new Map<number, ChildProcess>();
  const start = async (port: number): Promise<void> => {
    const dir = join(root, String(port));
    spawnSync('mkdir', ['-p', dir]);
    const persistence = options.appendOnly === false ? ['--appendonly', 'no'] : ['--appendonly', 'yes', '--appendfsync', 'always'];
    const child = spawn(server, [
      '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
      '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', String(options.nodeTimeoutMs ?? 2_000),
      ...persistence,
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    children.set(port, child);
    if (options.priority !== undefined && child.pid !== undefined) {
      try {
        setPriority(child.pid, options.priority);
      } catch {
        // Not allowed (not root): the nodes run at the usual priority.
      }
    }
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const up = await waitFor(async () => (child.exitCode !== null ? 'exited' : (await pong(port)) && 'up'), { what: `cluster node ${port} answering PING`, timeoutMs: 5_000, intervalMs: 25 });
    if (up === 'exited') throw new Error(`cluster node ${port} exited with ${child.exitCode}: ${stderr.trim()}`);
  };
  const handle: RedisClusterHandle = {
    nodes: ports.map((port) => ({
      port,
      url: `redis://127.0.0.1:${port}`,
      kill: () => killChild(children.get(port)),
      restart: () => start(port),
    })),
    urls: ports.map((p) => `redis://127.0.0.1:${p}`),
    info: (port, field) => {
      const out = spawnSync(cli, ['-p', String(port), 'cluster', 'info'], { encoding: 'utf8', timeout: 2_000 }).stdout ?? '';
      return new RegExp(`^${field}:(\\S+)`, 'm').exec(out)?.[1];
    },
    masters: () => {
      for (const port of ports) {
        if (!alive(children.get(port))) continue;
        const out = spawnSync(cli, ['-p', String(port), 'cluster', 'nodes'], { encoding: 'utf8', timeout: 2_000 }).stdout ?? '';
        const masters = out.split('\n').map((l) => l.split(' ')).filter((f) => {
          const flags = (f[2] ?? '').split(',');
          return flags.includes('master') && !flags.includes('fail') && !flags.includes('fail?') && f.length > 8;
        });
        if (masters.length > 0) return masters.map((f) => Number(/:(\d+)@/.exec(f[1] ?? '')?.[1]));
      }
      return [];
    },
    waitUntilOk: async (timeoutMs = 20_000) => {
      await waitFor(
        () => ports.filter((p) => alive(children.get(p))).every((p) => handle.info(p, 'cluster_state') === 'ok' && handle.info(p, 'cluster_slots_ok') === '16384') && handle.masters().length === 3,
        { what: 'every live cluster node at cluster_state:ok with 3 masters', timeoutMs, intervalMs: 100 },
      );
    },
    stop: async () => {
      await Promise.all([...children.values()].map((c) => stopChild(c)));
      rmSync(root, { recursive: true, force: true });
    },
  };
  try {
    await Promise.all(ports.map(start));
    const created = spawnSync(cli, ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '1', '--cluster-yes'], { encoding: 'utf8', timeout: 30_000 });
    if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${(created.stdout ?? '').slice(-500)} ${(created.stderr ?? '').slice(-500)}`);
    await handle.waitUntilOk();
    // Replicas must have synced before a test kills a master and counts on its replica.
    await waitFor(() => ports.every((p) => handle.info(p, 'cluster_known_nodes') === '6'), { what: 'every node knowing all 6', timeoutMs: 20_000, intervalMs: 100 });
  } catch (err) {
    await handle.stop();
    throw err;
  }
  return handle;
}

/** n ports at most 55535 whose bus ports (+10000) are free too. */
async function clusterPorts(n: number): Promise<number[]> {
  const chosen: number[] = [];
  while (chosen.length < n) {
    const port = MIN_NODE_PORT + Math.floor(Math.random() * (MAX_NODE_PORT - MIN_NODE_PORT));
    if (chosen.includes(port) || chosen.includes(port + 10_000) || chosen.includes(port - 10_000)) continue;
    if ((await portFree(port)) && (await portFree(port + 10_000))) chosen.push(port);
  }
  return chosen;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

function pong(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (chunk) => done(chunk.toString().startsWith('+PONG')));
  });
}

function alive(child: ChildProcess | undefined): boolean {
  return child !== undefined && child.exitCode === null && child.signalCode === null;
}

function killChild(child: ChildProcess | undefined): Promise<void> {
  if (!alive(child)) return Promise.resolve();
  return new Promise<void>((resolve) => {
    child!.once('exit', () => resolve());
    child!.kill('SIGKILL');
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (!alive(child)) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 2_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
