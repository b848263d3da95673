import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/run-cli';
import { killGateway, ROOT, spawnGateway, type GatewayProcess } from '../support/gateway-process';

// examples/requests/ holds a request of each kind; the README and docs/ run them. Both are checked
// against a real gateway on its sandbox, so that a sample the gateway would refuse cannot ship.
const SAMPLES = join(ROOT, 'examples/requests');
const DOCS = ['README.md', 'examples/README.md', 'examples/requests/README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
/** The flags whose value is a file the command reads. */
const FILE_FLAGS = /--(json|file|jsonl) (\S+)/;

/** Every documented command line (`npm run …`, comments cut) that reads a file or pipes into jq. */
function fileCommands(): { doc: string; line: string; file?: string }[] {
  return DOCS.flatMap((doc) => readFileSync(join(ROOT, doc), 'utf8').split('\n')
    .map((l) => l.trim().replace(/\s+#.*$/, ''))
    .filter((l) => /^npm run /.test(l))
    .flatMap((line) => {
      const m = FILE_FLAGS.exec(line);
      if (m && m[2] !== '-') return [{ doc, line, file: m[2] }];
      return /\| jq /.test(line) && !line.includes('…') ? [{ doc, line }] : [];
    }));
}

function sh(line: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const clean = Object.fromEntries(Object.entries({ ...process.env, ...env }).filter(([k]) => !k.startsWith('npm_')));
    const child = spawn('sh', ['-c', line], { cwd: ROOT, env: clean, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

let gw: GatewayProcess;
beforeAll(async () => {
  gw = await spawnGateway([]);
});
afterAll(() => killGateway(gw));

describe('examples/requests', () => {
  const json = readdirSync(SAMPLES).filter((f) => f.endsWith('.json')).sort();

  it('holds a request of each kind: text, image, quick replies, every template of the proto, a sender action, a photo, a JSONL file', () => {
    const templates = [...readFileSync(join(ROOT, 'proto/messenger/v1/template.proto'), 'utf8')
      .slice(0, readFileSync(join(ROOT, 'proto/messenger/v1/template.proto'), 'utf8').indexOf('message Button'))
      .matchAll(/^\s+\w+Template (\w+) = \d+;/gm)].map((m) => m[1].replace(/_/g, '-'));
    expect(templates.length).toBeGreaterThanOrEqual(7);
    const expected = ['text.json', 'image.json', 'quick-replies.json', 'sender-action.json', 'utility-template.json', ...templates.map((t) => `${t}-template.json`)];
    expect(json).toEqual(expect.arrayContaining(expected));
    expect(readFileSync(join(SAMPLES, 'photo.png')).subarray(1, 4).toString()).toBe('PNG');
    expect(existsSync(join(SAMPLES, 'messages.jsonl'))).toBe(true);
  });

  it.each(json)('%s is accepted by the gateway (send --json)', async (file) => {
    const r = await runCli(['send', '--target', gw.target, '--json', join(SAMPLES, file)]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ recipientId: '123' });
  });

  it('messages.jsonl: every line sent (bulk), photo.png uploaded', async () => {
    const bulk = await runCli(['bulk', '--target', gw.target, '--jsonl', join(SAMPLES, 'messages.jsonl')]);
    expect(bulk.code, bulk.stderr).toBe(0);
    const lines = readFileSync(join(SAMPLES, 'messages.jsonl'), 'utf8').split('\n').filter((l) => l.trim()).length;
    expect(JSON.parse(bulk.stdout)).toMatchObject({ messages: lines, sent: lines, failed: 0 });
    const upload = await runCli(['upload', '--target', gw.target, '--page', '1001', '--file', join(SAMPLES, 'photo.png')]);
    expect(upload.code, upload.stderr).toBe(0);
    expect(JSON.parse(upload.stdout)).toEqual({ attachmentId: expect.stringMatching(/^\d+$/) });
  });
});

describe('every README and docs command that names a file, or pipes into jq, runs as written', () => {
  it('the README names a sample for --json, --file and --jsonl', () => {
    const readme = fileCommands().filter((c) => c.doc === 'README.md').map((c) => c.line);
    for (const flag of ['--json', '--file', '--jsonl']) expect(readme.some((l) => l.includes(`${flag} examples/requests/`)), flag).toBe(true);
    expect(readme.some((l) => /^npm run -s send -- .*\| jq -r \.messageId$/.test(l))).toBe(true);
  });

  it.each(fileCommands().map((c) => [`${c.doc}: ${c.line}`, c] as const))('%s', async (_name, c) => {
    if (c.file) expect(existsSync(join(ROOT, c.file)), `${c.doc} names ${c.file}, which does not exist`).toBe(true);
    const r = await sh(c.line, { GATEWAY_TARGET: gw.target });
    expect(r.code, `${c.line}\n${r.stderr}`).toBe(0);
    // jq got only the command's JSON (npm's banner would have made it fail), and found the field.
    if (c.line.includes('| jq')) expect(r.stdout.trim()).not.toMatch(/^(null)?$/);
  }, 30_000);
});
