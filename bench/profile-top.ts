/**
 * Top functions by self time in a V8 .cpuprofile (from `node --cpu-prof`, e.g. `bench/run.ts --cpu-prof`).
 *   tsx bench/profile-top.ts FILE.cpuprofile [--top 25] [--per N]
 * Percentages are of the busy (non-idle) time; the last list is inclusive time (self + callees)
 * of the gateway's own functions (src/), which says what a hot path costs in all. With `--per N`
 * (the sends or events the profiled process handled) the inclusive list gives µs of main-thread time
 * per one, which a same-run profile reads off directly where CPU per send moves with the machine's load.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number; children?: number[] }
interface Profile { nodes: Node[]; samples?: number[]; timeDeltas?: number[]; startTime: number; endTime: number }

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string' }, per: { type: 'string' } } });
const top = Number(values.top ?? 25);
const per = values.per === undefined ? undefined : Number(values.per);
for (const file of positionals) {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const selfUs = new Map<number, number>();
  // Attribute each sample's time delta to its node.
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) selfUs.set(samples[i], (selfUs.get(samples[i]) ?? 0) + (deltas[i + 1] ?? deltas[i] ?? 0));
  const byFn = new Map<string, number>();
  const byArea = new Map<string, number>();
  let total = 0;
  let idle = 0;
  // node_modules/<package>/... first (grpc-js has its own build/src/), else the repository's src/, gen/, bench/.
  const urlOf = (n: Node) => {
    const url = n.callFrame.url.replace(/^file:\/\//, '');
    return url.includes('/node_modules/') ? url.replace(/.*\/node_modules\//, 'node_modules/') : url.replace(/.*\/(src|gen|bench)\//, '$1/');
  };
  for (const n of p.nodes) {
    const us = selfUs.get(n.id) ?? 0;
    if (n.callFrame.functionName === '(idle)') {
      idle += us;
      continue;
    }
    total += us;
    const url = urlOf(n);
    const key = `${n.callFrame.functionName || '(anonymous)'}  ${url}${url ? `:${n.callFrame.lineNumber + 1}` : ''}`;
    byFn.set(key, (byFn.get(key) ?? 0) + us);
    const area = !url ? n.callFrame.functionName : url.startsWith('node_modules/') ? url.split('/').slice(0, url.startsWith('node_modules/@') ? 3 : 2).join('/') : url.startsWith('node:') ? 'node: (core)' : url.split('/')[0];
    byArea.set(area, (byArea.get(area) ?? 0) + us);
  }
  const pct = (us: number) => ((100 * us) / total).toFixed(1).padStart(5);
  process.stdout.write(`\n${file}: ${(total / 1e6).toFixed(2)} s busy, ${(idle / 1e6).toFixed(2)} s idle; percentages of busy time\n\nself time by area:\n`);
  for (const [k, us] of [...byArea].sort((a, b) => b[1] - a[1]).slice(0, 15)) process.stdout.write(`${pct(us)} %  ${k}\n`);
  process.stdout.write(`\nself time by function (top ${top}):\n`);
  for (const [k, us] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`${pct(us)} %  ${k}\n`);

  // Inclusive time of src/ functions: each node's subtree, counted once per function per stack.
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const incl = new Map<string, number>();
  for (const n of p.nodes) {
    const us = selfUs.get(n.id) ?? 0;
    if (!us || n.callFrame.functionName === '(idle)') continue;
    const seen = new Set<string>();
    for (let id: number | undefined = n.id; id !== undefined; id = parent.get(id)) {
      const m = byId.get(id)!;
      const url = urlOf(m);
      if (!url.startsWith('src/')) continue;
      const key = `${m.callFrame.functionName || '(anonymous)'}  ${url}:${m.callFrame.lineNumber + 1}`;
      if (seen.has(key)) continue;
      seen.add(key);
      incl.set(key, (incl.get(key) ?? 0) + us);
    }
  }
  process.stdout.write(`\ninclusive time of src/ functions (top ${top}):\n`);
  const perOne = (us: number) => (per ? `  ${(us / per).toFixed(2).padStart(6)} µs per one` : '');
  for (const [k, us] of [...incl].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`${pct(us)} %${perOne(us)}  ${k}\n`);
  if (per) process.stdout.write(`busy time per one: ${(total / per).toFixed(2)} µs\n`);
}
