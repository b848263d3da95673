/**
 * A/B throughput of gateway checkouts in the same run, for judging one optimisation on a noisy
 * machine: one fake Graph (and OTLP receiver), one gateway per `--roots` directory (each a checkout
 * with src/ and node_modules/), h2load at c=100 against each in turn, `--rounds` times; prints
 * sends/s per round and the median ratio of each root to the first, and the same for the
 * gateway process's CPU time per send (user + system, from /proc; far less noisy than sends/s on a
 * shared machine, and what an optimisation of the gateway's own work changes).
 *
 *   tsx bench/ab.ts --roots /path/base,/path/new [--tracing] [--count 20000] [--rounds 5] [--cpu-prof] [--run dist|tsx]
 *
 * By default (`--run dist`) each root is built with `tsc` (into its bench/results/build/) and its
 * gateway started as `npm start` and the image start theirs; `--run tsx` runs src/ under tsx instead.
 * A root may carry its own mode: `--roots /repo@tsx,/repo@dist` compares the two ways to run one
 * checkout, and node flags and environment: `--roots /repo,/repo@dist@--max-semi-space-size=32`,
 * `--tracing --roots /repo,/repo@dist@OTEL_METRICS_EXPORTER=none` (space-separated; KEY=VALUE is env),
 * `--roots /repo@dist@log=warn,/repo@dist@log=info` (a gateway's `log.level`; default `--log-level`, else info as in the default config).
 *
 * With --cpu-prof each gateway writes a profile to bench/results/profiles/ on its graceful stop
 * (SIGTERM: it drains and exits 0); summarise with `tsx bench/profile-top.ts FILE`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { h2load } from './lib/h2load';
import { buildGateway, closeSync, cpuSeconds, openLog, ROOT, startServer, stop, track, waitForPort } from './lib/processes';
import { grpcFrame, GRAPH_VERSION, PAGE_ID, TOKEN } from './lib/requests';
import { median } from './lib/stats';

const { values: argv } = parseArgs({
  options: {
    roots: { type: 'string' },
    tracing: { type: 'boolean' },
    count: { type: 'string' },
    rounds: { type: 'string' },
    'cpu-prof': { type: 'boolean' },
    'log-level': { type: 'string' },
    run: { type: 'string' },
  },
});
/**
 * One `--roots` entry: `PATH[@MODE[@FLAGS]]`, FLAGS space-separated node flags, KEY=VALUE env and
 * `log=LEVEL` (that gateway's config `log.level`, so that one checkout runs at two levels side by side).
 */
function parseRoot(spec: string) {
  const [path, mode = argv.run ?? 'dist', flags = ''] = spec.split('@');
  if (mode !== 'tsx' && mode !== 'dist') throw new Error(`unknown run mode ${mode} (tsx, dist)`);
  const words = flags.split(' ').filter(Boolean);
  const logLevel = words.find((w) => w.startsWith('log='))?.slice('log='.length);
  const env = Object.fromEntries(words.filter((w) => /^\w+=/.test(w) && !w.startsWith('log=')).map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)]));
  return { path: resolve(path), mode, flags: words.filter((w) => w.startsWith('-')), env, logLevel, label: `${basename(path)}@${mode}${flags ? `@${flags}` : ''}` };
}
const roots = (argv.roots ?? ROOT).split(',').map(parseRoot);
const COUNT = Number(argv.count ?? 20_000);
const ROUNDS = Number(argv.rounds ?? 5);

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'gw-ab-'));
  const frame = join(tmp, 'send.frame');
  writeFileSync(frame, grpcFrame());
  const graph = await startServer('bench/servers/fake-graph.ts', []);
  const otlp = argv.tracing ? await startServer('bench/servers/otlp-receiver.ts', []) : undefined;
  const gateways: Array<{ root: string; label: string; child: ChildProcess; port: number }> = [];
  try {
    for (const [i, { path: root, mode, flags, env: rootEnv, logLevel, label }] of roots.entries()) {
      const config = join(tmp, `gw${i}.json`);
      writeFileSync(config, JSON.stringify({
        pages: [{ id: PAGE_ID, accessToken: TOKEN }],
        graph: { baseUrl: `http://127.0.0.1:${graph.port}`, version: GRAPH_VERSION },
        log: { level: logLevel ?? argv['log-level'] ?? 'info' },
        delivery: { rateLimit: { defaultPerSecond: 100_000, mediaPerSecond: 100_000 } },
      }));
      const { createServer } = await import('node:net');
      const srv = createServer();
      await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
      const port = (srv.address() as { port: number }).port;
      await new Promise((r) => srv.close(r));
      const nodeArgs: string[] = [...flags];
      if (argv['cpu-prof']) {
        const dir = join(ROOT, 'bench/results/profiles');
        mkdirSync(dir, { recursive: true });
        nodeArgs.push('--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-name', `ab-${i}-${label.replace(/\W+/g, '-')}${argv.tracing ? '-tracing' : ''}-${Date.now()}.cpuprofile`);
      }
      const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_')));
      if (otlp) Object.assign(env, { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${otlp.port}`, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_SERVICE_NAME: 'ab' });
      Object.assign(env, rootEnv);
      const out = openLog(join(tmp, `gw${i}.log`));
      const entry = mode === 'dist' ? buildGateway(root) : ['-r', 'tsx/cjs', 'src/cli/main.ts'];
      const child = track(spawn(process.execPath, [...nodeArgs, ...entry, '--config', config, '--listen', `127.0.0.1:${port}`], { cwd: root, env, stdio: ['ignore', out, out] }));
      closeSync(out);
      await waitForPort(port, child, 30_000);
      gateways.push({ root, label, child, port });
    }
    const run = (port: number, count: number) =>
      h2load({
        url: `http://127.0.0.1:${port}/messenger.v1.MessengerService/SendMessage`, count, clients: 4, streams: 25, bodyFile: frame,
        headers: ['content-type: application/grpc', 'te: trailers'], logFile: join(tmp, `h2-${port}.log`), timeoutMs: 180_000,
      });
    for (const g of gateways) await run(g.port, 5_000);
    const rates: number[][] = gateways.map(() => []);
    const cpu: number[][] = gateways.map(() => []);
    for (let r = 0; r < ROUNDS; r++) {
      // Alternate the order so that neither side always runs first.
      const order = r % 2 === 0 ? gateways.map((_, i) => i) : gateways.map((_, i) => gateways.length - 1 - i);
      for (const i of order) {
        const cpuBefore = cpuSeconds(gateways[i].child.pid!);
        const res = await run(gateways[i].port, COUNT);
        if (res.succeeded !== COUNT) throw new Error(`${gateways[i].label}: ${res.succeeded}/${COUNT}`);
        rates[i][r] = res.reqPerSec;
        // Let a tracing gateway export its queued spans before the next run, which they would slow
        // (the export's CPU is counted: it is part of what a traced send costs).
        if (argv.tracing) await new Promise((done) => setTimeout(done, 6_000));
        cpu[i][r] = ((cpuSeconds(gateways[i].child.pid!) - cpuBefore) * 1e6) / COUNT;
      }
      process.stderr.write(`round ${r + 1}: ${gateways.map((g, i) => `${g.label} ${Math.round(rates[i][r])}/s ${cpu[i][r].toFixed(1)} µs CPU/send`).join(', ')}\n`);
    }
    const lines = gateways.map((g, i) => {
      const ratio = median(rates[i].map((x, r) => x / rates[0][r]));
      const cpuRatio = median(cpu[i].map((x, r) => x / cpu[0][r]));
      return `${g.label}: median ${Math.round(median(rates[i]))}/s, ratio to first ${ratio.toFixed(3)} (per round ${rates[i].map((x, r) => (x / rates[0][r]).toFixed(2)).join(' ')}); `
        + `CPU/send median ${median(cpu[i]).toFixed(1)} µs, ratio to first ${cpuRatio.toFixed(3)} (per round ${cpu[i].map((x, r) => (x / cpu[0][r]).toFixed(2)).join(' ')})`;
    });
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    // SIGTERM and wait: the gateway drains and exits 0, which writes --cpu-prof profiles.
    await Promise.all(gateways.map((g) => stop(g.child, 20_000)));
    await Promise.all([graph, otlp].filter((s) => s !== undefined).map((s) => stop(s!.child)));
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`ab: FAILED: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
