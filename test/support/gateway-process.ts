import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { credentials, makeClientConstructor, type Client, type ServiceError } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';

export const ROOT = join(__dirname, '../..');
export const TSX = join(ROOT, 'node_modules/.bin/tsx');
/** src/ under node itself with tsx's require hook (no tsx wrapper process eating signals): the code `npm start` builds and runs. */
export const NODE_TSX = [process.execPath, '--require', 'tsx/cjs'] as const;
export const MAIN = join(ROOT, 'src/cli/main.ts');

/** A free loopback port (bound then released). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** The gateway as its own process (from src/; test/deploy checks `npm start` and the image's built layout). */
export interface GatewayProcess {
  child: ChildProcessWithoutNullStreams;
  target: string;
  stdout: string[];
  stderr: string[];
  exited: Promise<number | null>;
}

/**
 * Spawns the gateway (`node --require tsx/cjs src/cli/main.ts ARGS`) on a free port and waits
 * for its "gateway ready" log line. A port taken between probing and binding (tests run in
 * parallel) is retried on another port.
 */
export async function spawnGateway(args: string[], env: NodeJS.ProcessEnv = {}, host = '127.0.0.1'): Promise<GatewayProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await spawnOnce(args, env, host, await freePort());
    } catch (err) {
      if (attempt >= 5 || !String((err as Error).message).includes('EADDRINUSE')) throw err;
    }
  }
}

async function spawnOnce(args: string[], env: NodeJS.ProcessEnv, host: string, port: number): Promise<GatewayProcess> {
  const child = spawn(NODE_TSX[0], [...NODE_TSX.slice(1), MAIN, ...args, '--listen', `${host}:${port}`], {
    cwd: ROOT,
    env: { ...process.env, ...env },
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (b: Buffer) => {
      const lines = b.toString('utf8').split('\n').filter(Boolean);
      stdout.push(...lines);
      if (lines.some((l) => l.includes('"gateway ready"'))) resolve();
    });
    child.stderr.on('data', (b: Buffer) => stderr.push(b.toString('utf8')));
    void exited.then((code) => reject(new Error(`gateway exited with ${code} before it was ready: ${stderr.join('')}${stdout.join('\n')}`)));
  });
  await ready;
  return { child, target: `127.0.0.1:${port}`, stdout, stderr, exited };
}

const HealthClient = makeClientConstructor(healthService, 'grpc.health.v1.Health') as unknown as new (target: string, creds: ReturnType<typeof credentials.createInsecure>) => Client & {
  Check(req: { service: string }, cb: (err: ServiceError | null, res?: { status: string | number }) => void): void;
};

/** `grpc.health.v1.Health/Check` of a service ('' = the server). */
export async function healthStatus(target: string, serviceName = ''): Promise<string | number> {
  const client = new HealthClient(target, credentials.createInsecure());
  try {
    return await new Promise((resolve, reject) => client.Check({ service: serviceName }, (err, res) => (err ? reject(err) : resolve(res!.status))));
  } finally {
    client.close();
  }
}

/** Kills a spawned gateway that is still running (SIGKILL) and waits for it: what tests do after each test. */
export async function killGateway(proc: GatewayProcess | undefined): Promise<void> {
  if (proc && proc.child.exitCode === null && proc.child.signalCode === null) {
    proc.child.kill('SIGKILL');
    await proc.exited;
  }
}
