// Layering rules for src/ and gen/, checked by `npm run lint` (dependency-cruiser).
//
//   src/cli -> src/server -> src/service -> src/validate, src/graph, src/errors, src/delivery
//   src/cli -> src/server -> src/webhook -> src/events            (receiving)
//   src/cli -> src/server -> src/inbox -> src/sandbox, src/errors  (the sandbox inbox)
//
// An arrow may be skipped (cli may import service), never walked backwards. src/config,
// src/log and src/redaction may be imported by anyone; src/telemetry is a leaf (it may use
// src/redaction, itself a leaf); gen/ never imports src/.
// Type-only imports (`import type`, `import { type X }`) count like any other import: they
// are edges of the design even though tsc erases them (tsPreCompilationDeps: true).
'use strict';

/** A path regex for the given folders of src/. */
const src = (...folders) => `^src/(${folders.join('|')})/`;

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycle, type-only imports included.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      comment:
        'Every import resolves: an edge the cruiser cannot follow would slip past every other rule.',
      from: {},
      to: { couldNotResolve: true },
    },

    // Layer direction.
    {
      name: 'server-not-to-cli',
      severity: 'error',
      comment: 'src/server is below src/cli.',
      from: { path: src('server') },
      to: { path: src('cli') },
    },
    {
      name: 'service-not-to-server-or-cli',
      severity: 'error',
      comment: 'src/service is below src/server and src/cli.',
      from: { path: src('service') },
      to: { path: src('server', 'cli') },
    },
    {
      name: 'domain-not-to-service-server-cli',
      severity: 'error',
      comment: 'src/validate, src/graph, src/errors, src/delivery and src/events are below src/service and src/webhook.',
      from: { path: src('validate', 'graph', 'errors', 'delivery', 'events') },
      to: { path: src('service', 'webhook', 'server', 'cli') },
    },
    {
      name: 'webhook-not-to-server-cli-service',
      severity: 'error',
      comment: "src/webhook (Meta's side of receiving) is beside src/service, below src/server.",
      from: { path: src('webhook') },
      to: { path: src('service', 'server', 'cli') },
    },

    // Leaves.
    {
      name: 'telemetry-is-a-leaf',
      severity: 'error',
      comment: 'src/telemetry imports only its own folder, src/redaction, gen/ and packages.',
      from: { path: src('telemetry') },
      to: { path: '^src/', pathNot: src('telemetry', 'redaction') },
    },
    {
      name: 'redaction-is-a-leaf',
      severity: 'error',
      comment: 'src/redaction (what must never leave the process) is imported by anyone and imports no other folder of src/.',
      from: { path: src('redaction') },
      to: { path: '^src/', pathNot: src('redaction') },
    },
    {
      name: 'config-is-a-leaf',
      severity: 'error',
      comment: 'src/config is imported by anyone and imports no other folder of src/.',
      from: { path: src('config') },
      to: { path: '^src/', pathNot: src('config') },
    },
    {
      name: 'log-not-to-higher-layers',
      severity: 'error',
      comment: 'src/log is imported by anyone: it imports none of service, server, cli, graph, delivery.',
      from: { path: src('log') },
      to: { path: src('service', 'server', 'cli', 'graph', 'delivery') },
    },
    {
      name: 'sandbox-not-to-gateway',
      severity: 'error',
      comment: 'The fake Graph API does not depend on the gateway it fakes for.',
      from: { path: src('sandbox') },
      to: { path: src('service', 'server', 'cli') },
    },
    {
      name: 'sandbox-not-to-inbox',
      severity: 'error',
      comment: 'The sandbox tells the inbox what it answered through SandboxObserver; only its standalone entry point (main.ts) starts an inbox.',
      from: { path: src('sandbox'), pathNot: '^src/sandbox/main\\.ts$' },
      to: { path: src('inbox') },
    },
    {
      name: 'inbox-not-to-gateway',
      severity: 'error',
      comment: 'The inbox shows what the sandbox saw: it depends on the sandbox and the error mapping, not on the gateway.',
      from: { path: src('inbox') },
      to: { path: src('service', 'server', 'cli', 'webhook', 'events', 'delivery', 'graph') },
    },
    {
      name: 'inbox-web-is-browser-code',
      severity: 'error',
      comment: "The inbox's page (bundled for the browser) imports only its own folder and the inbox's data types.",
      from: { path: '^src/inbox/web/' },
      to: { path: '^src/', pathNot: '^src/inbox/(web/|inbox-types\\.ts$)' },
    },
    {
      name: 'gen-not-to-src',
      severity: 'error',
      comment: 'Generated code is imported, it never imports src/.',
      from: { path: '^gen/' },
      to: { path: '^src/' },
    },

    // Packages.
    {
      name: 'no-grpc-js-internals',
      severity: 'error',
      comment:
        "Import @grpc/grpc-js by its package name: files under its build/ are not its API and change in patch releases.",
      from: {},
      to: {
        path: 'node_modules/@grpc/grpc-js/build/',
        // What `import ... from '@grpc/grpc-js'` itself resolves to.
        pathNot: 'node_modules/@grpc/grpc-js/build/src/index\\.(js|d\\.ts)$',
      },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['require', 'node', 'default', 'types'],
      mainFields: ['main', 'types', 'typings'],
    },
    // The sandbox README and other non-code files are not modules.
    exclude: { path: '\\.(md|json|binpb)$' },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
