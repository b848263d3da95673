// The sandbox's demo images (src/sandbox/demo/), served by the sandbox itself so that the
// documentation's examples draw a real picture with no internet: the built gateway finds them in
// dist/src/sandbox/demo/ (copied there by scripts/build-inbox.js).

import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { sendJson } from './json-http';

/** The folder of the demo images, beside this module. */
export const DEMO_IMAGE_DIR = join(__dirname, 'demo');

/** The images there: only these names are ever read (no path from a request reaches the file system). */
export const DEMO_IMAGES: readonly string[] = ['cat.png'];

/** Answers `GET <prefix><name>` with the demo image of that name, or 404. */
export async function serveDemoImage(req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
  if (!DEMO_IMAGES.includes(name)) return sendJson(res, 404, { error: `no such demo image (there are: ${DEMO_IMAGES.join(', ')})` });
  let body: Buffer;
  try {
    body = await readFile(join(DEMO_IMAGE_DIR, name));
  } catch {
    return sendJson(res, 404, { error: `the demo image ${name} is missing from this build` });
  }
  res.writeHead(200, { 'content-type': 'image/png', 'content-length': body.length, 'cache-control': 'public, max-age=3600', 'x-content-type-options': 'nosniff' });
  res.end(req.method === 'HEAD' ? undefined : body);
}
