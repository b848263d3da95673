import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The FileDescriptorSet `buf generate` writes to gen/: the nearest gen/messenger.binpb above this
 * module, so it is found from src/ (tsx), from dist/src/ (npm start, the image) and from a build
 * in another output directory (the benchmark's).
 */
export function loadDescriptorSet(): Buffer {
  const looked: string[] = [];
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, 'gen/messenger.binpb');
    looked.push(candidate);
    if (existsSync(candidate)) return readFileSync(candidate);
    if (dirname(dir) === dir) break;
  }
  throw new Error(`gen/messenger.binpb not found (looked in ${looked.join(', ')}): run npm run generate`);
}
