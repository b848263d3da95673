import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox-server';
import { killGateway, MAIN, NODE_TSX, ROOT, spawnGateway, type GatewayProcess } from '../support/gateway-process';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `src/cli/main.ts ARGS` as its own process (as `npm run send/upload/bulk` does), optionally feeding stdin. */
export function runCli(args: string[], input?: string, env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(NODE_TSX[0], [...NODE_TSX.slice(1), MAIN, ...args], { cwd: ROOT, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/**
 * A gateway process with one configured Page (1001, token `cli-token`) on its own sandbox, for
 * the client commands' tests: started before the file's tests, stopped after.
 */
export function useCliGateway(): { sandbox(): Sandbox; gateway(): GatewayProcess } {
  let sandbox: Sandbox;
  let gw: GatewayProcess;
  beforeAll(async () => {
    sandbox = await startSandbox({ pages: { '1001': { accessToken: 'cli-token' } } });
    const config = join(mkdtempSync(join(tmpdir(), 'cli-gw-')), 'gateway.json');
    writeFileSync(config, JSON.stringify({ graph: { baseUrl: sandbox.url }, pages: [{ id: '1001', accessToken: 'cli-token' }] }));
    gw = await spawnGateway(['--config', config]);
  });
  afterAll(async () => {
    await killGateway(gw);
    await sandbox.close();
  });
  return { sandbox: () => sandbox, gateway: () => gw };
}
