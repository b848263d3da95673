import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BatchedLines } from '../../src/log/batched-stdout';
import { waitFor } from '../support/wait-for';

function file(): { path: string; fd: number } {
  const path = join(mkdtempSync(join(tmpdir(), 'batched-lines-')), 'out.log');
  return { path, fd: openSync(path, 'w') };
}

describe('BatchedLines', () => {
  it('writes every line once, in order, across full batches, multi-byte text and a line longer than a batch', () => {
    const { path, fd } = file();
    const lines = new BatchedLines(fd);
    const expected: string[] = [];
    for (let i = 0; i < 5_000; i++) {
      const line = i % 997 === 0 ? `${i} ${'x'.repeat(100_000)}\n` : `${i} héllo wörld ✓ 𝄞 ${'y'.repeat(i % 50)}\n`;
      expected.push(line);
      lines.write(line);
    }
    lines.flushSync();
    closeSync(fd);
    expect(readFileSync(path, 'utf8')).toBe(expected.join(''));
  });

  it('an idle logger writes its line without a flush', async () => {
    const { path, fd } = file();
    const lines = new BatchedLines(fd);
    lines.write('alone\n');
    await waitFor(() => readFileSync(path, 'utf8') === 'alone\n', { what: 'the line in the file' });
    closeSync(fd);
  });
});
