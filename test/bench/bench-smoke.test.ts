import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '../..');
const TSX = join(ROOT, 'node_modules/.bin/tsx');
const RUNS = ['bare-rpc', 'noop', 'bare-http', 'http', 'gateway', 'gateway+tracing', 'sdk'];

/** Runs `tsx bench/run.ts --smoke ARGS` to completion (bounded) and returns its output and results JSON. */
async function smoke(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; json: Record<string, any> }> {
  const out = join(mkdtempSync(join(tmpdir(), 'bench-smoke-')), 'smoke.json');
  // --no-warm-start: the warm `npm start` uses the checkout's dist/, which test/deploy rebuilds meanwhile;
  // test/deploy runs that measurement itself (bench/lib/warm-start.ts).
  const child = spawn(TSX, ['bench/run.ts', '--smoke', '--no-warm-start', '--out', out, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGTERM'), 170_000);
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  clearTimeout(timer);
  let json: Record<string, any> = {};
  try {
    json = JSON.parse(readFileSync(out, 'utf8'));
  } catch {
    /* asserted below */
  }
  return { code, stdout, stderr, json };
}

function expectNumeric(x: unknown, what: string): void {
  expect(typeof x, what).toBe('number');
  expect(Number.isFinite(x), what).toBe(true);
}

function expectComplete(r: Awaited<ReturnType<typeof smoke>>, generator: string): void {
  expect(r.code, r.stderr.slice(-3000)).toBe(0);
  expect(r.stdout).toContain('| run | sends/s c=100 |');
  for (const name of RUNS) expect(r.stdout).toContain(`| ${name} |`);
  expect(r.json.kind).toBe('smoke');
  expect(r.json.load.generator).toBe(generator);
  for (const name of RUNS) {
    for (const k of ['sendsPerSec', 'p50c1Ms', 'p99c1Ms', 'p50c100Ms', 'p99c100Ms']) expectNumeric(r.json.runs[name]?.[k], `${name}.${k}`);
    expect(r.json.runs[name].sendsPerSec).toBeGreaterThan(0);
  }
  for (const k of ['gatewayOverComposition', 'tracingOverGateway', 'gatewayOverSdk']) expectNumeric(r.json.ratios[k], k);
  expectNumeric(r.json.figures.compositionLimitPerSec, 'compositionLimitPerSec');
  expectNumeric(r.json.figures.addedP50C1Ms, 'addedP50C1Ms');
  expectNumeric(r.json.figures.peakRssMb.gateway, 'peakRssMb.gateway');
  expectNumeric(r.json.figures.peakRssMb['gateway+tracing'], 'peakRssMb.gateway+tracing');
  for (const k of ['baselineMb', 'finalMb', 'growthMb', 'growthPct', 'trendMb', 'heapBaselineMb', 'heapFinalMb', 'heapTrendMb']) expectNumeric(r.json.figures.rssGrowth[k], `rssGrowth.${k}`);
  // The heap readings come from the gateway itself, through the inspector: a live heap of a few tens of MB.
  expect(r.json.figures.rssGrowth.heapBaselineMb).toBeGreaterThan(5);
  for (const k of ['bare-rpc', 'noop', 'bare-http', 'http', 'gateway', 'gateway+tracing']) expect(r.json.extra.cpuUsPerSend[k]).toBeGreaterThan(0);
  // The default config logs at info; the access line's cost is the same gateway at warn beside it.
  expect(r.json.settings.logLevel).toBe('info');
  expect(r.stdout).toContain('| the access log line: info − warn');
  // With h2load (the fallback's smoke run leaves them out, to stay short): the gateways at warn,
  // silent and with the conversation policy off, and the platform RPCs against a send.
  if (generator === 'h2load') {
    for (const k of ['gateway-warn', 'gateway-silent', 'gateway-policy-off']) expect(r.json.extra.cpuUsPerSend[k]).toBeGreaterThan(0);
    expectNumeric(r.json.extra.logLineCpuUs, 'logLineCpuUs');
    expectNumeric(r.json.extra.policyCheckCpuUs, 'policyCheckCpuUs');
    for (const name of ['PassThreadControl', 'GetUserProfile', 'ListPersonas']) expect(r.json.extra.platform[name].cpuUsPerCall).toBeGreaterThan(0);
  }
  for (const k of ['gatewayOverComposition', 'bareLegsOverGateway', 'tracingOverGateway']) expectNumeric(r.json.extra.cpuRatios[k], `cpuRatios.${k}`);
  for (const v of Object.values(r.json.targets)) expect(typeof v).toBe('boolean');
  // Tracing was really on and exported: the receiver got spans.
  expect(r.json.extra.otlp.spans).toBeGreaterThan(0);
  // Receiving: ingest, delivery and webhook -> consumer latency on the memory store (and Redis when installed), beside their parts' limits.
  const rv = r.json.receiving;
  expect(r.stdout).toContain('| gateway, memory store |');
  expect(r.stdout).toContain('| MemoryEventStore append alone |');
  for (const k of ['perSec', 'p50C1Ms']) expectNumeric(rv.bareHttp[k], `receiving.bareHttp.${k}`);
  for (const side of [rv.memory, ...(rv.redis ? [rv.redis] : [])]) {
    for (const k of ['ingestPerSec', 'ingestP50C1Ms', 'deliveryPerSec', 'ingestCpuUsPerEvent', 'deliveryCpuUsPerEvent', 'e2eP50Ms', 'e2eP99Ms', 'compositionPerSec', 'ingestOverComposition', 'deliveryOverComposition', 'ingestOverBareHttp']) expectNumeric(side[k], `receiving.${k}`);
    expectNumeric(side.append?.perSec, 'receiving.append.perSec');
    expect(side.ingestPerSec).toBeGreaterThan(0);
    expect(side.deliveryPerSec).toBeGreaterThan(0);
  }
  if (rv.redis) expectNumeric(rv.xadd.perSec, 'receiving.xadd.perSec');
}

function h2loadInstalled(): boolean {
  return require('node:child_process').spawnSync('h2load', ['--version']).status === 0;
}

// Completeness only: never a performance threshold (the machine is shared and noisy).
describe('benchmark smoke run (bench/run.ts --smoke)', () => {
  it('completes every run with the default load generator (h2load when installed), prints the table and writes every figure', async () => {
    const r = await smoke([]);
    expectComplete(r, h2loadInstalled() ? 'h2load' : 'grpc-js-fallback');
    if (!h2loadInstalled()) expect(r.stderr).toContain('FALLBACK');
  }, 180_000);

  it('completes with the grpc-js fallback load generator and says so', async () => {
    const r = await smoke(['--load', 'grpc-js']);
    expectComplete(r, 'grpc-js-fallback');
    expect(r.stderr).toContain('FALLBACK');
    expect(r.stdout).toContain('FALLBACK');
  }, 180_000);
});
