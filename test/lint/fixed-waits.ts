// Finding timers and sleeps in test files: what test/lint/no-fixed-sleeps.test.ts checks against its allow-list.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** What a timer or a sleep looks like in the languages test/ holds. */
export const FIXED_WAIT: RegExp[] = [
  /\bsetTimeout\s*\(/,
  /\bsetInterval\s*\(/,
  /\bsleep\s*\(/,
  /\bdelay\s*\(/,
  /\bsettle\s*\(\s*\)/,
  /\.quiet\s*\(/,
  /\btimePasses\s*\(/,
  /timers\/promises/,
  /\bwaitForTimeout\s*\(/,
  /\bAtomics\.wait\s*\(/,
];

/** One listed timer or sleep, and why it is not a wait for something to happen. */
export interface Allowed {
  file: string;
  /** Text of the line (a part of it is enough). */
  line: string;
  /** How many lines of the file it matches (so that a copy of an allowed line is not allowed by it). */
  count: number;
  reason: string;
}

export interface Hit {
  file: string;
  lineNo: number;
  text: string;
}

/** Every source file under `dir` (recursively), as paths relative to `root`. */
export function filesUnder(root: string, dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : filesUnder(root, path);
    return /\.(ts|mts|cts|js|mjs|py|go)$/.test(e.name) ? [relative(root, path)] : [];
  });
}

/** Every line of `files` (relative to `root`) that holds a timer or a sleep. */
export function fixedWaits(root: string, files: string[]): Hit[] {
  return files.flatMap((file) =>
    readFileSync(join(root, file), 'utf8')
      .split('\n')
      .flatMap((text, i) => (FIXED_WAIT.some((re) => re.test(text)) ? [{ file, lineNo: i + 1, text: text.trim() }] : [])),
  );
}

/** The hits no entry allows, and the entries whose count does not match what is there. */
export function check(hits: Hit[], allowed: Allowed[]): { unlisted: string[]; miscounted: string[] } {
  const unlisted = hits.filter((h) => !allowed.some((a) => a.file === h.file && h.text.includes(a.line))).map((h) => `${h.file}:${h.lineNo}: ${h.text}`);
  const miscounted = allowed
    .map((a) => ({ a, n: hits.filter((h) => h.file === a.file && h.text.includes(a.line)).length }))
    .filter(({ a, n }) => n !== a.count)
    .map(({ a, n }) => `${a.file}: "${a.line}" allowed ${a.count} time(s), found ${n}`);
  return { unlisted, miscounted };
}
