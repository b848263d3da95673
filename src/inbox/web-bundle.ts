import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The page's files: the HTML shell, the script (Preact and the app in one bundle) and the styles. */
export interface InboxAssets {
  html: Buffer;
  js: Buffer;
  css: Buffer;
}

/** The page's sources: web/ beside this module (src/inbox/web). */
export const WEB_SOURCE_DIR = join(__dirname, 'web');

/**
 * The page's files. A built gateway (dist/) serves the bundle its build step wrote beside this
 * module (`web/app.js`, see scripts/build-if-stale.js); run from source (tsx, vitest) there is no
 * such file, and the bundle is made in memory by esbuild (a devDependency) from web/app.tsx.
 * Nothing is fetched at run time: Preact is inside the bundle.
 */
export async function loadInboxAssets(dir = WEB_SOURCE_DIR): Promise<InboxAssets> {
  const [html, css] = await Promise.all([readFile(join(dir, 'index.html')), readFile(join(dir, 'app.css'))]);
  const built = join(dir, 'app.js');
  const js = existsSync(built) ? await readFile(built) : await bundleInboxScript(dir);
  return { html, js, css };
}

/** Bundles web/app.tsx with Preact into one minified script (in memory). */
export async function bundleInboxScript(dir = WEB_SOURCE_DIR): Promise<Buffer> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [join(dir, 'app.tsx')],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: ['es2020'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  return Buffer.from(result.outputFiles[0].contents);
}
