// docs/page-setup.md's shell examples run as written against a sandbox gateway process: each
// ```sh block (but the one starting the gateway) in bash, with the documented address replaced
// by the test gateway's.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, killGateway, ROOT, spawnGateway, type GatewayProcess } from '../support/gateway-process';

const DOC = readFileSync(join(ROOT, 'docs/page-setup.md'), 'utf8');
const blocks = [...DOC.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((b) => !b.includes('npm start'));

function bash(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-euo', 'pipefail', '-c', script], { cwd: ROOT, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('docs/page-setup.md', () => {
  let gw: GatewayProcess;
  beforeAll(async () => {
    gw = await spawnGateway(['--sandbox', '--inbox-listen', `127.0.0.1:${await freePort()}`, '--webhook-listen', `127.0.0.1:${await freePort()}`]);
  });
  afterAll(() => killGateway(gw));

  it('has the examples this test runs', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(6);
    expect(DOC).toContain('npm start -- --sandbox');
  });

  it('every shell example runs as written, in order, and says what the page says', async () => {
    const outputs: string[] = [];
    for (const block of blocks) {
      const script = block.replaceAll('127.0.0.1:50051', gw.target);
      const run = await bash(script, { GATEWAY_TARGET: gw.target });
      expect(run.code, `${block}\n${run.stderr}`).toBe(0);
      outputs.push(run.stdout + run.stderr);
    }
    const all = outputs.join('\n');
    expect(all).toContain('messenger.v1.PageService/CreatePersona');
    expect(all).toContain('"name": "Alice from support"');
    expect(all).toContain('"personaId"');
    expect(all).toContain('Hello {{user_first_name}}! How can we help?');
    expect(all).toContain('~ greeting');
    expect(all).toContain('"applied": true');
    expect(all).toContain('"status": "APPROVED"');
    expect(all).toContain('"name": "order_shipped"');
  }, 120_000);
});
