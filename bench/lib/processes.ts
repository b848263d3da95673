import { spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const ROOT = join(__dirname, '../..');

/** Every process the benchmark started; all are killed on exit, error or signal. */
const children = new Set<ChildProcess>();

function killAllSync(): void {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      try {
        c.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
  children.clear();
}
process.on('exit', killAllSync);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(sig, () => {
    killAllSync();
    process.exit(130);
  });
}

export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** `node [nodeArgs] -r tsx/cjs SCRIPT args`: the pid is the process doing the work (no tsx wrapper). */
export function spawnTs(script: string, args: string[], opts: { env?: NodeJS.ProcessEnv; nodeArgs?: string[]; stdio?: StdioOptions } = {}): ChildProcess {
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), '-r', 'tsx/cjs', script, ...args], {
    cwd: ROOT,
    env: opts.env ?? process.env,
    stdio: opts.stdio ?? ['pipe', 'pipe', 'pipe'],
  });
  return track(child);
}

/**
 * Compiles the gateway as `npm start` and the image do (`tsc`), into bench/results/build/ (not
 * dist/, which tests build at the same time), and returns the node arguments that start it the
 * way the image's ENTRYPOINT does. The benchmark measures that build, not src/ under tsx: tsx's
 * output (keepNames wrappers on every closure) cost ~12% more CPU per send (same-run A/B, ab.ts).
 */
export function buildGateway(root = ROOT): string[] {
  const out = join(root, 'bench/results/build');
  const r = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json', '--outDir', out], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tsc in ${root} failed: ${r.stdout}${r.stderr}`);
  return ['--enable-source-maps', '-r', join(out, 'src/telemetry/preload.js'), join(out, 'src/cli/main.js')];
}

/** User + system CPU seconds a process has used so far (Linux /proc; clock ticks of 1/100 s). */
export function cpuSeconds(pid: number): number {
  // The fields after the command name, which is in parentheses and may hold spaces.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((r) => child.once('exit', (code) => r(code)));
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    }),
  ]);
}
export { withTimeout };

/** Reads JSON lines from a child's stdout; resolves the first line for which `pick` returns a value. */
export function jsonLines(child: ChildProcess): { next<T>(pick: (o: Record<string, unknown>) => T | undefined, timeoutMs: number, what: string): Promise<T>; stderr: () => string } {
  const waiting: Array<(o: Record<string, unknown>) => boolean> = [];
  let err = '';
  child.stderr?.on('data', (b: Buffer) => {
    err += b.toString('utf8');
    if (err.length > 20_000) err = err.slice(-20_000);
  });
  const rl = createInterface({ input: child.stdout! });
  rl.on('line', (line) => {
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    for (let i = 0; i < waiting.length; i++) if (waiting[i](o)) waiting.splice(i--, 1);
  });
  return {
    stderr: () => err,
    next<T>(pick: (o: Record<string, unknown>) => T | undefined, timeoutMs: number, what: string): Promise<T> {
      const p = new Promise<T>((resolve, reject) => {
        waiting.push((o) => {
          const v = pick(o);
          if (v === undefined) return false;
          resolve(v);
          return true;
        });
        void exited(child).then((code) => reject(new Error(`${what}: process exited (${code}) ${err.slice(-2000)}`)));
      });
      return withTimeout(p, timeoutMs, what);
    },
  };
}

/** A helper server (fake Graph, noop, OTLP receiver) that prints `{"ready":true,"port":N}`. */
export async function startServer(script: string, args: string[], env?: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; port: number }> {
  const child = spawnTs(script, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = jsonLines(child);
  const port = await lines.next((o) => (o.ready ? Number(o.port) : undefined), 30_000, script);
  return { child, port };
}

/** Polls until a TCP connection to 127.0.0.1:port succeeds (at log level warn the gateway logs nothing when ready). */
export async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const { connect } = await import('node:net');
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`process exited (${child.exitCode}) before listening on ${port}`);
    const ok = await new Promise<boolean>((r) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), r(true)));
      s.once('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on ${port} after ${timeoutMs} ms`);
}

/** Polls a log file until it contains `needle` (the gateway writes its logs to a file, not a pipe). */
export async function waitForFile(path: string, needle: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    let text = '';
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      /* not yet */
    }
    if (text.includes(needle)) return;
    if (child.exitCode !== null) throw new Error(`process exited (${child.exitCode}) before "${needle}": ${text.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`"${needle}" not seen within ${timeoutMs} ms`);
}

export function openLog(path: string): number {
  return openSync(path, 'w');
}
export { closeSync };

/** SIGTERM, then SIGKILL after `graceMs`. */
export async function stop(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  try {
    await withTimeout(exited(child), graceMs, 'stop');
  } catch {
    child.kill('SIGKILL');
    await exited(child);
  }
}

/** VmRSS and VmHWM (peak) of a process, in MB; undefined once it is gone. */
export function rssOf(pid: number): { rssMb: number; hwmMb: number } | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN);
    return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}
