#!/usr/bin/env node
// `npm start`'s prestart: compiles src/ and gen/ to dist/ with tsc only when dist/ is stale, so a warm
// start costs a few directory listings (~50 ms) instead of a type-check (~3 s incremental, ~6 s full).
// dist/ is fresh when dist/.build-stamp records the same newest mtime and the same file list of
// src/, gen/, tsconfig.json, package.json and package-lock.json as now. A stale or missing stamp
// runs `tsc --incremental` (its build info in dist/, so a one-file change rebuilds faster) and
// writes the stamp only when tsc succeeds; a build says so on stderr when it starts and ends. `--force` always builds. After tsc, the sandbox inbox's page
// (src/inbox/web: Preact + app.tsx) is bundled by esbuild into dist/src/inbox/web/app.js, with its
// index.html and app.css beside it: the built gateway serves those files and needs nothing else.
'use strict';
const { spawnSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const { existsSync, readdirSync, readFileSync, statSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');
const STAMP = join(ROOT, 'dist/.build-stamp');
const INPUT_DIRS = ['src', 'gen'];
const INPUT_FILES = ['tsconfig.json', 'package.json', 'package-lock.json'];

/** Every input's path and the newest mtime among them. */
function inputs() {
  const files = INPUT_FILES.filter((f) => existsSync(join(ROOT, f)));
  const walk = (dir) => {
    for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const rel = `${dir}/${e.name}`;
      if (e.isDirectory()) walk(rel);
      else if (/\.(ts|tsx|css|html)$/.test(e.name)) files.push(rel);
    }
  };
  for (const d of INPUT_DIRS) walk(d);
  files.sort();
  let newest = 0;
  for (const f of files) newest = Math.max(newest, statSync(join(ROOT, f)).mtimeMs);
  return { newest, list: createHash('sha256').update(files.join('\n')).digest('hex') };
}

const now = inputs();
const stamp = existsSync(STAMP) ? readFileSync(STAMP, 'utf8') : '';
const wanted = JSON.stringify(now);
if (!process.argv.includes('--force') && stamp === wanted && existsSync(join(ROOT, 'dist/src/cli/main.js'))) process.exit(0);

// A build takes seconds (the first one ~6 s): say so on stderr, so that the wait is not silent
// and stdout stays the gateway's logs.
process.stderr.write(`${existsSync(join(ROOT, 'dist/src/cli/main.js')) ? 'src/ changed since the last build' : 'first start'}: compiling to dist/ (a few seconds)…\n`);
const started = Date.now();
const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json', '--incremental', '--tsBuildInfoFile', 'dist/.tsbuildinfo'], { cwd: ROOT, stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
const inbox = spawnSync(process.execPath, [join(ROOT, 'scripts/build-inbox.js')], { cwd: ROOT, stdio: 'inherit' });
if (inbox.status !== 0) process.exit(inbox.status ?? 1);
writeFileSync(STAMP, wanted);
process.stderr.write(`compiled in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
