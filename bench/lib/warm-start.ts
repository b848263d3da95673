import { spawn } from 'node:child_process';
import { ROOT, stop, track, withTimeout } from './processes';
import { median, round } from './stats';

/** Warm `npm start` → "gateway ready" times: what a developer waits for when dist/ is fresh. */
export interface WarmStart {
  /** Each measured start, in ms from spawning `npm start` to the "gateway ready" log line. */
  readyMs: number[];
  medianMs: number;
}

/** Time of one `npm start` to "gateway ready" (port 0: any free port), then SIGTERM to npm. */
async function startOnce(): Promise<number> {
  const started = performance.now();
  const child = track(spawn('npm', ['start', '--', '--listen', '127.0.0.1:0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
  try {
    let out = '';
    await withTimeout(new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.includes('"gateway ready"')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`npm start exited ${code} before "gateway ready": ${out.slice(-500)}`)));
    }), 120_000, 'npm start');
    return performance.now() - started;
  } finally {
    await stop(child, 10_000);
  }
}

/** One start to make dist/ fresh (it builds if it must; not counted), then `rounds` warm starts. */
export async function measureWarmStart(rounds: number): Promise<WarmStart> {
  await startOnce();
  const readyMs: number[] = [];
  for (let i = 0; i < rounds; i++) readyMs.push(round(await startOnce(), 0));
  return { readyMs, medianMs: round(median(readyMs), 0) };
}
