import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { MessengerServiceClient, SendMessageRequest, type SendMessageResponse } from '../../gen/messenger/v1/service';
import { okBody, startCountingGraph, type CountingGraph } from '../support/counting-graph';
import { textTo } from '../support/gateway-harness';
import { healthStatus, MAIN, ROOT, spawnGateway, TSX, type GatewayProcess, killGateway } from '../support/gateway-process';
import { waitFor } from '../support/wait-for';

let proc: GatewayProcess | undefined;
let graph: CountingGraph | undefined;
afterEach(async () => {
  await killGateway(proc);
  proc = undefined;
  await graph?.close();
  graph = undefined;
});

/**
 * A gateway process sending to a Graph in this process that answers after `delayMs`: the test
 * sees each send arrive there, so it knows when they are all in flight.
 */
async function gatewayWithSlowGraph(delayMs: number, config: Record<string, unknown> = {}): Promise<{ proc: GatewayProcess; graph: CountingGraph }> {
  graph = await startCountingGraph((i) => ({ ...okBody(i), delayMs }));
  const file = join(mkdtempSync(join(tmpdir(), 'gw-')), 'gateway.json');
  writeFileSync(file, JSON.stringify({ ...config, graph: { ...(config.graph as object), baseUrl: graph.url }, pages: [{ id: '1001', accessToken: 'EAAB-drain-token' }] }));
  proc = await spawnGateway(['--config', file]);
  return { proc, graph };
}

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(TSX, [MAIN, ...args], { cwd: ROOT, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

function sendVia(client: MessengerServiceClient, recipient: string): Promise<SendMessageResponse> {
  return new Promise((resolve, reject) =>
    client.sendMessage(SendMessageRequest.fromPartial(textTo(recipient)), new Metadata(), { deadline: Date.now() + 20_000 }, (err: ServiceError | null, res?: SendMessageResponse) => (err ? reject(err) : resolve(res!))),
  );
}

describe('the gateway process', () => {
  it('starts from a config file with --listen, says SANDBOX loudly, and health answers SERVING', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-'));
    const config = join(dir, 'gateway.json');
    writeFileSync(config, JSON.stringify({ graph: { version: 'v25.0' }, pages: [{ id: '1001', accessToken: '${E2E_TOKEN}' }], sandbox: true }));
    proc = await spawnGateway(['--config', config], { E2E_TOKEN: 'EAAB-process-token' });
    expect(await healthStatus(proc.target)).toBe('SERVING');
    expect(await healthStatus(proc.target, 'messenger.v1.MessengerService')).toBe('SERVING');
    expect(proc.stdout.join('\n')).toMatch(/SANDBOX MODE/);
    expect(proc.stdout.join('\n')).not.toContain('EAAB-process-token');
  });

  it('refuses a bad config naming the key, exit code 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-'));
    const config = join(dir, 'gateway.json');
    writeFileSync(config, JSON.stringify({ graph: { timeoutMs: 'soon' } }));
    const r = await run(['--config', config, '--listen', '127.0.0.1:0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('graph.timeoutMs');
  });

  it('a busy port: one line naming the address and --listen, exit 2 (no stack trace)', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as AddressInfo).port;
    try {
      const r = await run(['--listen', `127.0.0.1:${port}`]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toEqual([
        `cannot listen on 127.0.0.1:${port} (listen): the address is already in use (EADDRINUSE): another gateway, or another program, is listening there; ` +
          'choose another address with --listen HOST:PORT (or GATEWAY_LISTEN, or "listen" in the config)',
      ]);
    } finally {
      taken.close();
    }
  });

  it('refuses a non-loopback address without caller authentication (exit 2, saying why); --insecure starts it', async () => {
    const refused = await run(['--listen', '0.0.0.0:0']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/no caller authentication/);
    proc = await spawnGateway(['--insecure'], {}, '0.0.0.0');
    expect(proc.stdout.join('\n')).toMatch(/INSECURE/);
  });

  it('`send` prints the response, and the decoded details of an error', async () => {
    proc = await spawnGateway([]);
    const ok = await run(['send', '--target', proc.target, '--page', '1001', '--to', '123', '--text', 'hi']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ recipientId: '123', messageId: expect.stringMatching(/^m_/) });
    const bad = await run(['send', '--target', proc.target, '--page', '1001', '--to', 'error-551', '--text', 'hi']);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stderr)).toMatchObject({
      code: 'FAILED_PRECONDITION',
      errorInfo: { reason: 'RECIPIENT_UNAVAILABLE', domain: 'graph.facebook.com' },
      graphError: { code: 551 },
    });
  });

  it('SIGTERM drains: every in-flight send completes, new calls are refused, exit code 0', async () => {
    const { proc, graph } = await gatewayWithSlowGraph(1_500);
    const client = new MessengerServiceClient(proc.target, credentials.createInsecure());
    const inflight = Array.from({ length: 20 }, (_, i) => sendVia(client, `drain-${i}`));
    await waitFor(() => graph.requests.length === 20, { what: 'the 20 sends at Graph' });
    proc.child.kill('SIGTERM');
    const results = await Promise.allSettled(inflight);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(20);
    const late = await sendVia(client, '1').then(() => undefined, (e: ServiceError) => e);
    expect(late?.code).toBe(status.UNAVAILABLE);
    expect(await proc.exited).toBe(0);
    client.close();
    // Every log line is out before the exit, in the order written: the request, the 20 sends, "stopped" last.
    const lines = proc.stdout.map((l) => JSON.parse(l) as { msg?: string; time: number });
    const msgs = lines.map((l) => l.msg);
    expect(msgs.indexOf('shutdown requested')).toBeLessThan(msgs.indexOf('draining: no new calls, waiting for in-flight sends'));
    expect(msgs.at(-1)).toBe('stopped');
    expect(lines.map((l) => l.time)).toEqual(lines.map((l) => l.time).sort((a, b) => a - b));
  });

  it('SIGTERM during 1,000 in-flight sends loses none: every call gets its response', async () => {
    // Page rate limits off the way: this is about draining, not about Meta's limits.
    const { proc, graph } = await gatewayWithSlowGraph(1_000, { delivery: { rateLimit: { defaultPerSecond: 100000, maxQueue: 100000 } }, graph: { connections: 1000 }, shutdownGraceMs: 20000 });
    const client = new MessengerServiceClient(proc.target, credentials.createInsecure());
    const inflight = Array.from({ length: 1000 }, (_, i) => sendVia(client, `drain-${i}`));
    await waitFor(() => graph.requests.length === 1000, { what: 'the 1,000 sends at Graph', timeoutMs: 15_000 });
    proc.child.kill('SIGTERM');
    const results = await Promise.allSettled(inflight);
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(failed.map((f) => (f.reason as ServiceError).details).slice(0, 3)).toEqual([]);
    expect(await proc.exited).toBe(0);
    client.close();
  }, 60_000);
});
