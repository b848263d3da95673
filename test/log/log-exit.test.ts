import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { MessengerServiceClient, SendMessageRequest } from '../../gen/messenger/v1/service';
import { startCountingGraph, type CountingGraph } from '../support/counting-graph';
import { textTo } from '../support/gateway-harness';
import { killGateway, NODE_TSX, ROOT, spawnGateway, type GatewayProcess } from '../support/gateway-process';
import { waitFor, withDeadline } from '../support/wait-for';

/** Runs the fixture to its end and returns its exit code and stdout lines. */
async function runFixture(how: string): Promise<{ code: number | null; lines: string[]; stderr: string }> {
  const child = spawn(NODE_TSX[0], [...NODE_TSX.slice(1), join(__dirname, 'fixtures/log-then-end.ts'), how], { cwd: ROOT });
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
  child.stderr.on('data', (b: Buffer) => (err += b.toString('utf8')));
  const code = await withDeadline(new Promise<number | null>((r) => child.once('close', (c) => r(c))), 30_000, `the fixture (${how}) to end`);
  return { code, lines: out.split('\n').filter(Boolean), stderr: err };
}

/** Every numbered line 0..9999 once, in order, then the last line. */
function expectEveryLine(lines: string[]): void {
  const parsed = lines.map((l) => JSON.parse(l) as { n?: number; msg: string; lines?: number });
  const numbered = parsed.filter((p) => p.msg === 'numbered').map((p) => p.n);
  expect(numbered).toHaveLength(10_000);
  expect(numbered.every((x, i) => x === i)).toBe(true);
  expect(parsed.at(-1)).toMatchObject({ msg: 'last line', lines: 10_000 });
}

describe('stdout log lines are written in batches, and none is lost when the process ends', () => {
  it('process.exit in the turn that logged: every line is written, in order', async () => {
    const r = await runFixture('exit');
    expect(r.code).toBe(3);
    expectEveryLine(r.lines);
  });

  it('an uncaught exception: every line is written before the stack', async () => {
    const r = await runFixture('throw');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('boom');
    expectEveryLine(r.lines);
  });

  it('an unhandled rejection: every line is written', async () => {
    const r = await runFixture('reject');
    expect(r.code).toBe(1);
    expectEveryLine(r.lines);
  });
});

describe('SIGTERM with sends in flight', () => {
  let graph: CountingGraph | undefined;
  let proc: GatewayProcess | undefined;
  afterEach(async () => {
    await killGateway(proc);
    await graph?.close();
    proc = undefined;
    graph = undefined;
  });

  it('the gateway drains them and every send line is written before it exits 0', async () => {
    // Graph answers late, so that every send is still in flight when SIGTERM comes.
    graph = await startCountingGraph((i) => ({ status: 200, body: { recipient_id: '42', message_id: `m_${i}` }, delayMs: 300 }));
    const dir = mkdtempSync(join(tmpdir(), 'gw-log-exit-'));
    const config = join(dir, 'gateway.json');
    writeFileSync(config, JSON.stringify({
      pages: [{ id: '1001', accessToken: 'EAAB-log-exit-test-token-1234' }],
      graph: { baseUrl: graph.url },
      shutdownDelayMs: 0,
      delivery: { rateLimit: { defaultPerSecond: 100_000, mediaPerSecond: 100_000 } },
    }));
    proc = await spawnGateway(['--config', config]);
    const SENDS = 200;
    const client = new MessengerServiceClient(proc.target, credentials.createInsecure());
    const answers = Array.from({ length: SENDS }, (_, i) => new Promise<ServiceError | null>((resolve) =>
      client.sendMessage(SendMessageRequest.fromPartial(textTo(String(i + 1))), new Metadata(), { deadline: Date.now() + 20_000 }, (err) => resolve(err)),
    ));
    await waitFor(() => graph!.requests.length === SENDS, { what: `${SENDS} sends at the Graph`, timeoutMs: 20_000 });
    proc.child.kill('SIGTERM');
    const errors = await Promise.all(answers);
    client.close();
    expect(errors.filter((e) => e !== null)).toEqual([]);
    expect(await withDeadline(proc.exited, 20_000, 'the gateway to exit')).toBe(0);
    await waitFor(() => proc!.child.stdout.readableEnded || proc!.child.stdout.destroyed, { what: 'the end of stdout' });
    const sendLines = proc.stdout.filter((l) => l.includes('"msg":"send"'));
    expect(sendLines).toHaveLength(SENDS);
    expect(proc.stdout.some((l) => l.includes('"shutdown requested"'))).toBe(true);
  });
});
