#!/usr/bin/env node
// Bundles the sandbox inbox's page for the built gateway (run by build-if-stale.js after tsc, and by
// the Dockerfile): esbuild turns src/inbox/web/app.tsx and Preact into dist/src/inbox/web/app.js, and
// index.html and app.css are copied beside it, where dist/src/inbox/web-bundle.js looks for them.
// The sandbox's demo images (src/sandbox/demo) are copied to dist/src/sandbox/demo, where
// dist/src/sandbox/demo-images.js serves them from.
'use strict';
const { copyFileSync, mkdirSync, readdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');
const SOURCE = join(ROOT, 'src/inbox/web');
const OUT = join(ROOT, 'dist/src/inbox/web');

(async () => {
  // The same bundling as at run time from source (web-bundle.ts, compiled by tsc just before).
  const { bundleInboxScript } = require(join(ROOT, 'dist/src/inbox/web-bundle.js'));
  const js = await bundleInboxScript(SOURCE);
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, 'app.js'), js);
  for (const f of ['index.html', 'app.css']) copyFileSync(join(SOURCE, f), join(OUT, f));
  const demoOut = join(ROOT, 'dist/src/sandbox/demo');
  mkdirSync(demoOut, { recursive: true });
  for (const f of readdirSync(join(ROOT, 'src/sandbox/demo'))) copyFileSync(join(ROOT, 'src/sandbox/demo', f), join(demoOut, f));
})().catch((err) => {
  process.stderr.write(`build-inbox: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
