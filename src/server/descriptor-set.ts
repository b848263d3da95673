import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The FileDescriptorSet `buf generate` writes to gen/, found from src/ (tsx) and from dist/src/ (built). */
export function loadDescriptorSet(): Buffer {
  const candidates = [join(__dirname, '../../gen/messenger.binpb'), join(__dirname, '../../../gen/messenger.binpb')];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`gen/messenger.binpb not found (looked in ${candidates.join(', ')}): run npm run generate`);
  return readFileSync(found);
}
