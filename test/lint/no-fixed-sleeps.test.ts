// No test synchronises with a fixed sleep: a test waits on what the system says (a header, an
// event, a log line, a health status, a request arriving; see test/support/wait-for.ts), and
// "nothing more arrives" is shown by a mark posted last. This scans test/ for every timer and
// sleep and fails on one that is not in fixed-waits-allowed.ts, where each says why it stays.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALLOWED } from './fixed-waits-allowed';
import { check, filesUnder, FIXED_WAIT, fixedWaits } from './fixed-waits';

const ROOT = join(__dirname, '../..');
/** Files that spell the patterns out: the scanner, its allow-list, this test. */
const SELF = new Set(['test/lint/fixed-waits.ts', 'test/lint/fixed-waits-allowed.ts', 'test/lint/no-fixed-sleeps.test.ts']);

describe('no test synchronises with a fixed sleep', () => {
  it('finds the usual shapes of a sleep', () => {
    const shapes = [
      'await new Promise((r) => setTimeout(r, 100));',
      'await sleep(50);',
      "await setTimeout(100); // from 'node:timers/promises'",
      'await settle();',
      'expect(await inbox.quiet(100)).toEqual([]);',
      'await page.waitForTimeout(200);',
      'time.sleep(0.5)',
    ];
    for (const s of shapes) expect(FIXED_WAIT.some((re) => re.test(s)), s).toBe(true);
    expect(FIXED_WAIT.some((re) => re.test("await waitFor(() => seen.length > 0, { what: 'the event' });"))).toBe(false);
  });

  it('every timer or sleep in test/ is a listed one, with its reason', () => {
    const files = filesUnder(ROOT, join(ROOT, 'test')).filter((f) => !SELF.has(f));
    const { unlisted, miscounted } = check(fixedWaits(ROOT, files), ALLOWED);
    expect(unlisted, 'fixed waits: wait on a signal (test/support/wait-for.ts) or a mark instead, or list why time itself is tested').toEqual([]);
    expect(miscounted, 'allow-list entries that no longer match what is there').toEqual([]);
  });

  it('every allowed entry says why', () => {
    for (const a of ALLOWED) expect(a.reason.length, `${a.file}: ${a.line}`).toBeGreaterThan(10);
  });
});
