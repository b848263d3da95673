import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, MAIN, NODE_TSX, ROOT } from '../support/gateway-process';
import { redisServerAvailable, startRedisServer } from '../support/redis-server';

const SECRET = 'S3cret-Value-0123456789abcdef';

/** Runs `serve` with a config until it exits. */
function serveWith(config: unknown, args: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-start-'));
  const file = join(dir, 'gateway.json');
  writeFileSync(file, JSON.stringify(config));
  return new Promise((resolve) => {
    const child = spawn(NODE_TSX[0], [...NODE_TSX.slice(1), MAIN, '--config', file, ...args], { cwd: ROOT, env: { ...process.env, STARTUP_SECRET: SECRET } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', (code) => {
      clearTimeout(kill);
      resolve({ code, stdout, stderr });
    });
  });
}

const page = { id: '1001', accessToken: 'EAAB-startup-token' };

/** Exit 2, exactly one line on stderr naming the key, no stack trace anywhere, no secret anywhere. */
function expectOneLine(r: { code: number | null; stdout: string; stderr: string }, key: string): string {
  expect(r.code, r.stderr + r.stdout).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toContain(key);
  for (const out of [r.stdout, r.stderr]) {
    expect(out).not.toMatch(/\n\s+at /);
    expect(out).not.toContain('\\n    at ');
    expect(out).not.toContain(SECRET);
  }
  return lines[0]!;
}

describe('startup failures: exit 2, one line naming the key, no stack, no secret', () => {
  it('unreachable Redis (the URL password is never printed)', async () => {
    const port = await freePort();
    const r = await serveWith({ pages: [page], store: { redis: { url: `redis://:\${STARTUP_SECRET}@127.0.0.1:${port}` } } }, ['--listen', '127.0.0.1:0']);
    const line = expectOneLine(r, 'store.redis.url');
    expect(line).toMatch(/did not answer|unreachable/);
  });

  it.skipIf(!redisServerAvailable())('a wrong Redis password says so (not "did not answer"), and is never printed', async () => {
    const redis = await startRedisServer({ requirePass: 'the-right-password-42' });
    try {
      const wrong = await serveWith({ pages: [page], store: { redis: { url: `redis://:\${STARTUP_SECRET}@127.0.0.1:${redis.port}` } } }, ['--listen', '127.0.0.1:0']);
      expect(expectOneLine(wrong, 'store.redis.url')).toMatch(/refused the password \(WRONGPASS\)/);
      const none = await serveWith({ pages: [page], store: { redis: { url: redis.url } } }, ['--listen', '127.0.0.1:0']);
      expect(expectOneLine(none, 'store.redis.url')).toMatch(/refused the password \(NOAUTH\)/);
    } finally {
      await redis.stop();
    }
  });

  it('a malformed Redis URL', async () => {
    const r = await serveWith({ pages: [page], store: { redis: { url: 'redis://:${STARTUP_SECRET}@127.0.0.1:99999999/x' } } }, ['--listen', '127.0.0.1:0']);
    expectOneLine(r, 'store.redis.url');
  });

  it('garbage PEM in the TLS files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-pem-'));
    writeFileSync(join(dir, 'cert.pem'), `-----BEGIN CERTIFICATE-----\n${SECRET}\n-----END CERTIFICATE-----\n`);
    writeFileSync(join(dir, 'key.pem'), `not a key ${SECRET}\n`);
    const r = await serveWith({ pages: [page], tls: { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') } }, ['--listen', '127.0.0.1:0']);
    expectOneLine(r, 'tls.');
  });

  it('a listen address that cannot be bound does not echo the address', async () => {
    const r = await serveWith({ pages: [page], listen: `${SECRET}.invalid:50051` });
    expectOneLine(r, 'listen');
  });

  it('graph.baseUrl and graph.version holding a secret by mistake are not echoed', async () => {
    expectOneLine(await serveWith({ pages: [page], graph: { baseUrl: '${STARTUP_SECRET}' } }, ['--listen', '127.0.0.1:0']), 'graph.baseUrl');
    expectOneLine(await serveWith({ pages: [page], graph: { version: '${STARTUP_SECRET}' } }, ['--listen', '127.0.0.1:0']), 'graph.version');
  });
});
