import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, useCliGateway } from './run-cli';

const cli = useCliGateway();
const dir = mkdtempSync(join(tmpdir(), 'cli-bulk-'));


describe('npm run upload', () => {
  it('streams the file and prints its attachment id; type and content type from the extension', async () => {
    const file = join(dir, 'photo.png');
    writeFileSync(file, Buffer.alloc(200_000, 7));
    const r = await runCli(['upload', '--target', cli.gateway().target, '--page', '1001', '--file', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ attachmentId: expect.stringMatching(/^\d+$/) });
    const req = cli.sandbox().received.at(-1)!;
    expect(req.path).toMatch(/\/1001\/message_attachments$/);
    expect(req.file).toMatchObject({ field: 'filedata', filename: 'photo.png', contentType: 'image/png', size: 200_000 });
    expect(req.body).toMatchObject({ message: { attachment: { type: 'image' } } });
  });

  it('a Graph error (here a magic file name) is printed decoded: exit 1; a missing file: exit 2', async () => {
    const file = join(dir, 'error-551.pdf');
    writeFileSync(file, 'x');
    const r = await runCli(['upload', '--target', cli.gateway().target, '--page', '1001', '--file', file, '--type', 'file']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stderr)).toMatchObject({ code: 'FAILED_PRECONDITION', errorInfo: { reason: 'RECIPIENT_UNAVAILABLE' } });
    const missing = await runCli(['upload', '--target', cli.gateway().target, '--page', '1001', '--file', join(dir, 'nope.png')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read .*nope\.png \(ENOENT\)/);
  });

  it('--help prints the usage with the exit codes', async () => {
    const r = await runCli(['upload', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--page PAGE_ID --file PATH \[--type image\|video\|audio\|file\]/);
    expect(r.stdout).toMatch(/3 +gateway unreachable/);
  });
});

describe('npm run bulk', () => {
  const line = (to: string, text = 'hi') => JSON.stringify({ page_id: '1001', recipient: { id: to }, messaging_type: 'MESSAGING_TYPE_RESPONSE', message: { text } });

  it('sends every line over one stream; request_id = line number; summary with failures by reason; exit 1 when any failed', async () => {
    const file = join(dir, 'messages.jsonl');
    writeFileSync(file, [line('1'), line('2'), '', line('error-551'), line('3'), line('error-551', 'again')].join('\n') + '\n');
    const before = cli.sandbox().received.length;
    const r = await runCli(['bulk', '--target', cli.gateway().target, '--jsonl', file]);
    expect(r.code).toBe(1);
    const summary = JSON.parse(r.stdout) as { seconds: number };
    expect(summary).toMatchObject({ messages: 5, sent: 3, failed: 2, failedByReason: { RECIPIENT_UNAVAILABLE: 2 }, notAnswered: 0 });
    expect(summary.seconds).toBeGreaterThan(0);
    const failures = r.stderr.trim().split('\n').map((l) => JSON.parse(l) as { line: number; code: string; errorInfo: { reason: string } });
    expect(failures.map((f) => f.line).sort()).toEqual([4, 6]);
    for (const f of failures) expect(f).toMatchObject({ code: 'FAILED_PRECONDITION', errorInfo: { reason: 'RECIPIENT_UNAVAILABLE' }, graphError: { code: 551 } });
    expect(cli.sandbox().received.length - before).toBe(5);
  });

  it('exit 0 when all are sent; reads stdin with --jsonl -', async () => {
    const r = await runCli(['bulk', '--target', cli.gateway().target, '--jsonl', '-'], `${line('7')}\n${line('8')}`);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ messages: 2, sent: 2, failed: 0, failedByReason: {} });
  });

  it('a bad line is a usage error naming its line and column, and nothing is sent: exit 2', async () => {
    const before = cli.sandbox().received.length;
    const r = await runCli(['bulk', '--target', cli.gateway().target, '--jsonl', '-'], `${line('1')}\n\n{"page_id": "1001", "recipient": {"id": "2"}}}\n`);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^bulk: -: not valid JSON: line 3, column 46: expected the end of the text after the value, found "}"/);
    expect(cli.sandbox().received.length).toBe(before);
  });

  it('prints progress on stderr during a long run', async () => {
    // One recipient: its messages go out in order, one after another (3 x 1.1 s).
    const slow = Array.from({ length: 3 }, (_, i) => line('delay-1100', `m${i}`)).join('\n');
    const r = await runCli(['bulk', '--target', cli.gateway().target, '--jsonl', '-'], slow);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^bulk: \d+\/3 answered \(\d+ sent, 0 failed\), \d+\/s$/m);
  });
});
