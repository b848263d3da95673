// The layering lint (.dependency-cruiser.cjs) run by its CLI, as `npm run lint` runs it, on small
// fixture trees: it must fail on a cycle made only of `import type`, on an import against the
// layer direction (a lower domain folder importing a higher one included), on a folder in no
// layer and on a grpc-js internal, and pass on a tree that keeps the rules.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '../..');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
const CLI = join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
const dirs: string[] = [];

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Writes the files under a fresh directory of os.tmpdir(), with a tsconfig like the project's. */
function fixture(files: Record<string, string>, withNodeModules = false): string {
  const dir = mkdtempSync(join(tmpdir(), 'layering-'));
  dirs.push(dir);
  const all: Record<string, string> = {
    'tsconfig.json': JSON.stringify({
      compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', strict: true, types: [] },
      include: ['src/**/*.ts', 'gen/**/*.ts'],
    }),
    ...files,
  };
  for (const [path, text] of Object.entries(all)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  if (withNodeModules) symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

/** Runs the CLI the way `npm run lint` does, with the project's config, in the fixture. */
function depcruise(dir: string): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [CLI, 'src', 'gen', '--config', CONFIG, '--output-type', 'err-long'], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 20_000,
  });
  if (r.error) throw r.error;
  return { status: r.status, out: r.stdout + r.stderr };
}

/** A tree that keeps every rule: cli -> server -> service -> graph/errors, config and log leaves. */
const clean: Record<string, string> = {
  'src/config/config.ts': "export type Config = { listen: string };\n",
  'src/log/logger.ts': "import type { Config } from '../config/config';\nexport const log = (c: Config) => c.listen;\n",
  'src/errors/mapping.ts': "export const toStatus = (code: number) => code + 1;\n",
  'src/graph/client.ts': "import type { Config } from '../config/config';\nexport const send = (c: Config) => c.listen.length;\n",
  'src/telemetry/span.ts': "import type { Outcome } from './outcome';\nexport const end = (o: Outcome) => o.ok;\n",
  'src/telemetry/outcome.ts': "export type Outcome = { ok: boolean };\n",
  'src/service/handler.ts':
    "import { send } from '../graph/client';\nimport { toStatus } from '../errors/mapping';\nimport { end } from '../telemetry/span';\nexport const handle = () => end({ ok: toStatus(send({ listen: '' })) > 0 });\n",
  'src/server/wiring.ts': "import { handle } from '../service/handler';\nexport const wire = () => handle();\n",
  'src/cli/main.ts': "import { wire } from '../server/wiring';\nimport { log } from '../log/logger';\nwire();\nlog({ listen: '' });\n",
  'gen/messenger.ts': "export type Message = { text: string };\n",
};

describe('the layering lint (.dependency-cruiser.cjs)', () => {
  it('passes a tree that keeps the rules', () => {
    const { status, out } = depcruise(fixture(clean));
    expect(out).toMatch(/no dependency violations found \(10 modules, 9 dependencies cruised\)/);
    expect(status).toBe(0);
  });

  it('fails on a cycle of two files that import each other with `import type` only', () => {
    const { status, out } = depcruise(
      fixture({
        ...clean,
        'src/graph/a.ts': "import type { B } from './b';\nexport type A = { b?: B };\n",
        'src/graph/b.ts': "import type { A } from './a';\nexport type B = { a?: A };\n",
      }),
    );
    expect(status).not.toBe(0);
    expect(out).toMatch(/error no-circular: src\/graph\/a\.ts → \s*src\/graph\/b\.ts →\s*src\/graph\/a\.ts/);
    expect(out).toMatch(/x 1 dependency violations/);
    expect(out).not.toMatch(/error (?!no-circular)/);
  });

  it('fails on an import against the layer direction, naming the rule and the edge', () => {
    const { status, out } = depcruise(
      fixture({
        ...clean,
        'src/service/uses-server.ts': "import type { wire } from '../server/wiring';\nexport type W = typeof wire;\n",
        'src/telemetry/uses-graph.ts': "import type { send } from '../graph/client';\nexport type S = typeof send;\n",
        'src/config/uses-errors.ts': "import { toStatus } from '../errors/mapping';\nexport const x = toStatus(1);\n",
        'gen/uses-src.ts': "import type { Config } from '../src/config/config';\nexport type C = Config;\n",
      }),
    );
    expect(status).not.toBe(0);
    expect(out).toContain('error service-not-to-server-or-cli: src/service/uses-server.ts → src/server/wiring.ts');
    expect(out).toContain('error telemetry-is-a-leaf: src/telemetry/uses-graph.ts → src/graph/client.ts');
    expect(out).toContain('error config-is-a-leaf: src/config/uses-errors.ts → src/errors/mapping.ts');
    expect(out).toContain('error gen-not-to-src: gen/uses-src.ts → src/config/config.ts');
    expect(out).not.toMatch(/no-circular/);
  });

  it('fails on a domain folder importing one above it in the order, naming the rule and the edge', () => {
    const { status, out } = depcruise(
      fixture({
        ...clean,
        'src/webhook/server.ts': "export const listen = (port: number) => port;\n",
        'src/graph/uses-errors.ts': "import type { toStatus } from '../errors/mapping';\nexport type T = typeof toStatus;\n",
        'src/events/uses-webhook.ts': "import { listen } from '../webhook/server';\nexport const l = listen(0);\n",
        // No exception for an entry point: one that starts the inbox lives in src/cli.
        'src/inbox/server.ts': "export const startInbox = () => 1;\n",
        'src/sandbox/main.ts': "import { startInbox } from '../inbox/server';\nstartInbox();\n",
      }),
    );
    expect(status).not.toBe(0);
    expect(out).toContain(
      'error graph-not-to-errors-or-delivery-or-events-or-conversations-or-webhook-or-sandbox-or-inbox-or-service-or-server-or-cli: src/graph/uses-errors.ts → src/errors/mapping.ts',
    );
    expect(out).toContain('error events-not-to-conversations-or-webhook-or-sandbox-or-inbox-or-service-or-server-or-cli: src/events/uses-webhook.ts → src/webhook/server.ts');
    expect(out).toContain('error sandbox-not-to-inbox-or-service-or-server-or-cli: src/sandbox/main.ts → src/inbox/server.ts');
    expect(out).toMatch(/x 3 dependency violations/);
  });

  it('fails on a folder of src/ that is in no layer, and on an import of it', () => {
    const { status, out } = depcruise(
      fixture({
        ...clean,
        'src/misc/helpers.ts': "import type { Config } from '../config/config';\nexport const id = (c: Config) => c;\n",
        'src/service/uses-misc.ts': "import { id } from '../misc/helpers';\nexport const x = id({ listen: '' });\n",
      }),
    );
    expect(status).not.toBe(0);
    expect(out).toContain('error folder-in-no-layer: src/misc/helpers.ts → src/config/config.ts');
    expect(out).toContain('error import-of-a-folder-in-no-layer: src/service/uses-misc.ts → src/misc/helpers.ts');
  });

  it('fails on an import of a grpc-js internal, not on the package itself', () => {
    const { status, out } = depcruise(
      fixture(
        {
          ...clean,
          'src/service/grpc.ts':
            "import { status } from '@grpc/grpc-js';\nimport type { ServerSurfaceCall } from '@grpc/grpc-js/build/src/server-call';\nexport const f = (c: ServerSurfaceCall) => (c.cancelled ? status.CANCELLED : status.OK);\n",
        },
        true,
      ),
    );
    expect(status).not.toBe(0);
    // node_modules is a symlink to the project's: the cruiser prints the real path.
    expect(out).toMatch(/error no-grpc-js-internals: src\/service\/grpc\.ts → \S*node_modules\/@grpc\/grpc-js\/build\/src\/server-call\.(js|d\.ts)/);
    expect(out.match(/^\s*error /gm)).toHaveLength(1);
  });
});
