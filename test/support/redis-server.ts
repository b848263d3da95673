import type { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { connectRedis } from '../../src/store/redis-connection';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { delimiter, join } from 'node:path';
import { waitFor } from './wait-for';

/** A throwaway redis-server on a free loopback port, for one test file. */
export interface RedisServer {
  url: string;
  port: number;
  /** Kills the server (SIGTERM, then SIGKILL) and waits for it to exit. */
  stop(): Promise<void>;
  /** Kills the server with SIGKILL (no chance to save anything) and waits for it to exit. */
  kill(): Promise<void>;
  /** Sends a signal (SIGSTOP freezes the server, SIGCONT thaws it). */
  signal(sig: NodeJS.Signals): void;
}

/** A persistent server: this port and directory, AOF fsynced on every write (so a restart with the same options finds everything acknowledged). */
export interface RedisServerOptions {
  port?: number;
  /** Directory of the append-only file; with it, `--appendonly yes --appendfsync always`. */
  aofDir?: string;
  /** `--requirepass`: clients must AUTH with it (the url then carries no password). */
  requirePass?: string;
  /** More options for redis-server (`--replicaof 127.0.0.1 6379`, …). */
  args?: readonly string[];
}

const INSTALL_HINT = 'install it with `apt-get install redis-server` (or set REDIS_SERVER_BIN)';

/** The redis-server binary: $REDIS_SERVER_BIN, /usr/bin/redis-server, or one on PATH. */
export function findRedisServer(): string | undefined {
  const candidates = [process.env.REDIS_SERVER_BIN, '/usr/bin/redis-server',
    ...(process.env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, 'redis-server'))];
  return candidates.find((c): c is string => c !== undefined && c !== '' && existsSync(c));
}

/**
 * Whether Redis tests can run here. Without redis-server they are skipped with a message, except on CI
 * (`CI` set), where a missing server is a broken setup and this throws so the test file fails.
 */
export function redisServerAvailable(): boolean {
  if (findRedisServer()) return true;
  const message = `redis-server not found: ${INSTALL_HINT}`;
  if (process.env.CI) throw new Error(`${message}; CI must run the Redis tests`);
  console.warn(`Skipping Redis tests: ${message}`);
  return false;
}

/** A redis-server with an append-only file (fsync on every write) that can be SIGKILLed and restarted on the same port and directory. */
export interface PersistentRedisServer extends RedisServer {
  /** Starts it again on the same port and directory; resolves once PING answers. */
  restart(): Promise<void>;
}

/** Starts redis-server with `--appendonly yes --appendfsync always` in `dir`. */
export async function startPersistentRedisServer(dir: string): Promise<PersistentRedisServer> {
  let server = await startRedisServer({ aofDir: dir });
  const port = server.port;
  return {
    url: server.url,
    port,
    stop: () => server.stop(),
    kill: () => server.kill(),
    signal: (sig) => server.signal(sig),
    restart: async () => {
      server = await startRedisServer({ port, aofDir: dir });
    },
  };
}

/** Starts redis-server on 127.0.0.1 (without persistence and on a free port unless told otherwise); resolves once PING answers. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const bin = findRedisServer();
  if (!bin) throw new Error(`redis-server not found: ${INSTALL_HINT}`);
  // A port taken between probing and binding makes the server exit: try a few ports.
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freePort());
    const persistence = options.aofDir ? ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', options.aofDir] : ['--appendonly', 'no'];
    const auth = options.requirePass === undefined ? [] : ['--requirepass', options.requirePass];
    const child = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence, ...auth, ...(options.args ?? [])], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    try {
      await waitForPing(port, child, 5_000);
      return {
        url: `redis://127.0.0.1:${port}`,
        port,
        stop: () => stopChild(child),
        signal: (sig) => void child.kill(sig),
        kill: () => {
          if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
          return new Promise<void>((resolve) => {
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          });
        },
      };
    } catch (err) {
      await stopChild(child);
      if (attempt >= 3 || options.port !== undefined) throw err;
    }
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPing(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const answer = await waitFor(async () => (child.exitCode !== null ? 'exited' : (await ping(port)) && 'pong'), {
    what: `redis-server answering PING on port ${port}`,
    timeoutMs,
    intervalMs: 25,
  });
  if (answer === 'exited') throw new Error(`redis-server exited with ${child.exitCode}: ${stderr.trim()}`);
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let answer = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      answer += chunk.toString();
      // A server that requires a password answers -NOAUTH: it is up all the same.
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG') || answer.startsWith('-NOAUTH'));
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 2_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * A redis-server for the enclosing describe block (started before its tests, stopped after),
 * and tracked connections to it, all closed with it.
 */
export function useRedisServer(): { url(): string; connection(): Promise<Redis> } {
  let server: RedisServer | undefined;
  const connections: Redis[] = [];
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await Promise.all(connections.map((c) => c.quit().catch(() => undefined)));
    await server?.stop();
  });
  return {
    url: () => server!.url,
    connection: async () => {
      const redis = await connectRedis(server!.url);
      connections.push(redis);
      return redis;
    },
  };
}
