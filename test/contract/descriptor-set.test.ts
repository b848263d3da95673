// gen/messenger.binpb is written by the local plugin src/codegen/protoc-gen-descriptor-set during
// `buf generate` (buf generate has no builtin that writes a descriptor set, and the freshness
// checks run `buf generate` alone). The plugin must write exactly what buf itself builds from
// the same module: every file with its imports and source info, in buf's order.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '../..');
const BUF = join(ROOT, 'node_modules/.bin/buf');

describe('gen/messenger.binpb', () => {
  it('is byte for byte what `buf build --as-file-descriptor-set` writes', () => {
    const built = execFileSync(BUF, ['build', '--as-file-descriptor-set', '-o', '-'], {
      cwd: ROOT,
      maxBuffer: 64 * 1024 * 1024,
    });
    const committed = readFileSync(join(ROOT, 'gen/messenger.binpb'));
    expect(committed.length).toBe(built.length);
    expect(committed.equals(built)).toBe(true);
  });
});
