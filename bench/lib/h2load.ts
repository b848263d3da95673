import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { track, exited, withTimeout } from './processes';
import { sortNumeric } from './stats';

export function h2loadAvailable(): boolean {
  const r = spawnSync('h2load', ['--version'], { encoding: 'utf8' });
  return r.status === 0;
}

export interface H2loadResult {
  reqPerSec: number;
  succeeded: number;
  failed: number;
  dataBytes: number;
  /** Ascending, microseconds, from --log-file. */
  latenciesUs: Float64Array;
  raw: string;
}

/**
 * `h2load -n N` at `clients x streams` concurrency with a fixed body; per-request times from
 * --log-file. gRPC (h2c) unless `h1` (HTTP/1.1 to the fake Graph).
 */
export async function h2load(opts: {
  url: string;
  count: number;
  clients: number;
  streams: number;
  bodyFile: string;
  headers: string[];
  logFile: string;
  h1?: boolean;
  timeoutMs: number;
}): Promise<H2loadResult> {
  const args = ['-n', String(opts.count), '-c', String(opts.clients), '-m', String(opts.streams), '-t', '1', '-d', opts.bodyFile, '--log-file', opts.logFile];
  for (const h of opts.headers) args.push('-H', h);
  if (opts.h1) args.push('--h1');
  args.push(opts.url);
  const child = track(spawn('h2load', args, { stdio: ['ignore', 'pipe', 'pipe'] }));
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString('utf8')));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString('utf8')));
  let code: number | null;
  try {
    code = await withTimeout(exited(child), opts.timeoutMs, 'h2load');
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  if (code !== 0) throw new Error(`h2load exited ${code}: ${out}`);
  const rps = /finished in [^,]+, ([\d.]+) req\/s/.exec(out);
  const req = /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(out);
  const data = /\((\d+)\) data/.exec(out);
  if (!rps || !req || !data) throw new Error(`cannot parse h2load output: ${out}`);
  const lines = readFileSync(opts.logFile, 'utf8').split('\n');
  rmSync(opts.logFile, { force: true });
  const lat: number[] = [];
  for (const l of lines) {
    const cols = l.split('\t');
    if (cols.length >= 3) lat.push(Number(cols[2]));
  }
  return {
    reqPerSec: Number(rps[1]),
    succeeded: Number(req[4]),
    failed: Number(req[5]) + Number(req[6]) + Number(req[7]) + (Number(req[1]) - Number(req[3])),
    dataBytes: Number(data[1]),
    latenciesUs: sortNumeric(lat),
    raw: out,
  };
}
