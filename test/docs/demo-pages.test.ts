import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_INSTAGRAM_ACCOUNTS, DEMO_PAGES } from '../../src/sandbox/demo-pages';
import { runCli } from '../cli/run-cli';
import { ROOT, spawnGateway, type GatewayProcess } from '../support/gateway-process';

const READMES = ['README.md', 'examples/README.md', ...readdirSync(join(ROOT, 'examples'), { withFileTypes: true })
  .filter((e) => e.isDirectory()).map((e) => `examples/${e.name}/README.md`),
  ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const commandLines = (file: string) => readFileSync(join(ROOT, file), 'utf8').split('\n').map((l) => l.trim()).filter((l) => /^(npm run|\/usr\/bin\/python3|node_modules\/\.bin\/tsx|\.\/gopath)/.test(l));

/** Shell words of a command line, without its trailing `# comment`. */
function words(line: string): string[] {
  return [...line.replace(/\s+#.*$/, '').matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
}
const pageOf = (argv: string[]): string | undefined => {
  const i = argv.findIndex((w) => w === '--page' || w === '-page');
  return i < 0 ? undefined : argv[i + 1];
};

describe('the documented demos do not poison each other', () => {
  it('every documented error-613 demo uses the rate-limit demo page, 1002; the other demos do not (they use 1001, or a demo Instagram account)', () => {
    expect(DEMO_PAGES).toMatchObject({ '1001': expect.any(String), '1002': expect.stringMatching(/rate-limit/) });
    const demos = READMES.flatMap((f) => commandLines(f).map((l) => ({ f, argv: words(l) })));
    const rateLimited = demos.filter((d) => d.argv.some((w) => /^error-(613|4|17|32|341|80001|80002|80006)$/.test(w)));
    expect(rateLimited.map((d) => d.f)).toEqual(expect.arrayContaining(['README.md', 'examples/python/README.md', 'examples/go/README.md', 'examples/typescript/README.md']));
    for (const d of rateLimited) expect(pageOf(d.argv), `${d.f}: ${d.argv.join(' ')}`).toBe('1002');
    // The demo Instagram accounts are accounts of their own (the one through Page 1001 has buckets apart from the Page's).
    const general = ['1001', ...DEMO_INSTAGRAM_ACCOUNTS.map((a) => a.id)];
    for (const d of demos.filter((x) => !rateLimited.includes(x) && pageOf(x.argv) !== undefined)) expect(general, `${d.f}: ${d.argv.join(' ')}`).toContain(pageOf(d.argv));
  });

  describe("the README's Quick start, run in order on a sandbox gateway", () => {
    let gw: GatewayProcess;
    beforeAll(async () => {
      gw = await spawnGateway([]);
    });
    afterAll(async () => {
      gw.child.kill('SIGKILL');
      await gw.exited;
    });

    it('every runnable `npm run send` line answers as documented, and page 1001 still sends after the 613 demo', async () => {
      const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
      const quickStart = readme.slice(readme.indexOf('## Quick start on the sandbox'), readme.indexOf('## The API'));
      // Lines with placeholders (…) or files of your own are left out.
      const runnable = commandLines('README.md').filter((l) => quickStart.includes(l) && l.startsWith('npm run send -- ') && !/…|--json/.test(l));
      expect(runnable.length).toBeGreaterThanOrEqual(4);
      const codes: Record<string, number | null> = {};
      for (const line of runnable) {
        const r = await runCli(['send', '--target', gw.target, ...words(line).slice(4)]);
        codes[line] = r.code;
        expect(r.stderr, line).not.toMatch(/PAGE_PAUSED|PAGE_RATE_LIMITED/);
        if (/error-613/.test(line)) expect(JSON.parse(r.stderr), line).toMatchObject({ code: 'RESOURCE_EXHAUSTED', errorInfo: { reason: 'RATE_LIMITED' }, retryDelay: '15s' });
        else if (/--to error-/.test(line)) expect(r.code, line).toBe(1);
        else expect(r.code, `${line}\n${r.stderr}`).toBe(0);
      }
      const after = await runCli(['send', '--target', gw.target, '--page', '1001', '--to', '123', '--text', 'still fine']);
      expect(after.code, after.stderr).toBe(0);
    }, 60_000);
  });
});
