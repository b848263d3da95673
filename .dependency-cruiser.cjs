// Layering rules for src/ and gen/, checked by `npm run lint` (dependency-cruiser).
//
// Every folder of src/ is either a leaf or a domain folder, each with its purpose below.
// Domain folders stand in one order, bottom to top: a domain folder may import any folder
// below it and any leaf, never one above it. A leaf imports only the leaves listed for it.
// The rules are generated from these two lists; a folder in neither fails the lint.
// Type-only imports (`import type`, `import { type X }`) count like any other import: they
// are edges of the design even though tsc erases them (tsPreCompilationDeps: true).
// gen/ (generated code) is imported by anyone and never imports src/.
'use strict';

/** Leaves: imported by any folder; each imports only the leaves listed for it. */
const LEAVES = {
  redaction: { imports: [], purpose: 'the secrets that must never leave the process in logs, spans or errors, and how they are blanked' },
  limits: { imports: [], purpose: "limits the gateway does not choose: Graph's Send API limits, the range of a protobuf Timestamp" },
  call: { imports: [], purpose: 'the bounds of one call (deadline, cancellation) that every layer working for it respects' },
  store: { imports: [], purpose: 'what the stores share: the Redis connection, Lua scripts run by SHA, the one store-unavailable error' },
  config: { imports: ['limits'], purpose: "the gateway's configuration: its types, defaults, loading and checks" },
  log: { imports: ['config', 'redaction'], purpose: 'the JSON logger (pino) and grpc-js log lines routed into it' },
  telemetry: { imports: ['redaction'], purpose: 'OpenTelemetry: the SDK start, spans, metrics and the OTLP exporters' },
  codegen: { imports: [], purpose: 'a buf plugin run by `npm run generate`, not part of the gateway at run time' },
};

/** Domain folders, bottom to top: each may import the ones before it, never one after it. */
const DOMAIN_ORDER = [
  ['validate', 'checks a request against the API and Graph before anything is sent'],
  ['graph', "the Graph API client: a request as Graph's JSON, the HTTP call, its outcome as data, Page credentials"],
  ['errors', 'why a call failed, as data; the Graph error catalogue and its mapping; the gRPC status encoding'],
  ['delivery', 'sending once: page rate limits, idempotency stores, retries, the outcome outbox'],
  ['events', 'the event store behind StreamEvents (memory and Redis Streams)'],
  ['conversations', "each conversation's record (messaging windows, thread owner) from stored events and the gateway's calls, and the send policy checked before Graph"],
  ['webhook', "Meta's webhook: signature check, parsing into events, appending them to the store"],
  ['sandbox', 'a fake Graph API for development and tests, with its chaos switches'],
  ['inbox', "the sandbox's inbox: a web page of every message sent, as Messenger shows it"],
  ['service', 'the RPC handlers of MessengerService and EventService'],
  ['server', 'the gRPC server and its wiring: access checks, reflection, the webhook and event store, the inbox'],
  ['cli', 'the entry points: the gateway, the standalone sandbox, the send/upload/bulk/customer/listen clients'],
];

/** A path regex for the given folders of src/. */
const src = (...folders) => `^src/(${folders.join('|')})/`;

const DOMAIN = DOMAIN_ORDER.map(([folder]) => folder);
const ALL_FOLDERS = [...Object.keys(LEAVES), ...DOMAIN];

/** A domain folder imports no folder above it (the rule is named after what it forbids). */
const domainRules = DOMAIN.slice(0, -1).map((folder, i) => {
  const above = DOMAIN.slice(i + 1);
  return {
    name: `${folder}-not-to-${above.join('-or-')}`,
    severity: 'error',
    comment: `src/${folder}: ${DOMAIN_ORDER[i][1]}. It is below ${above.map((f) => `src/${f}`).join(', ')}.`,
    from: { path: src(folder) },
    to: { path: src(...above) },
  };
});

/** A leaf imports only its own folder and the leaves listed for it. */
const leafRules = Object.entries(LEAVES).map(([folder, { imports, purpose }]) => ({
  name: `${folder}-is-a-leaf`,
  severity: 'error',
  comment: `src/${folder}: ${purpose}. A leaf: it imports ${imports.length === 0 ? 'no other folder of src/' : `no folder of src/ but ${imports.map((f) => `src/${f}`).join(', ')}`}.`,
  from: { path: src(folder) },
  to: { path: '^src/', pathNot: src(folder, ...imports) },
}));

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

    // Layer order and leaves, generated from DOMAIN_ORDER and LEAVES.
    ...domainRules,
    ...leafRules,
    {
      name: 'folder-in-no-layer',
      severity: 'error',
      comment: 'Every folder of src/ is in LEAVES or DOMAIN_ORDER: one in neither would escape every layer rule.',
      from: { path: '^src/', pathNot: src(...ALL_FOLDERS) },
      to: {},
    },
    {
      name: 'import-of-a-folder-in-no-layer',
      severity: 'error',
      comment: 'Every folder of src/ is in LEAVES or DOMAIN_ORDER: one in neither would escape every layer rule.',
      from: {},
      to: { path: '^src/', pathNot: src(...ALL_FOLDERS) },
    },

    // Beside the gateway: below src/service in the order, but not built on the gateway's own layers.
    {
      name: 'sandbox-not-to-gateway',
      severity: 'error',
      comment:
        "The fake Graph API does not depend on the gateway it fakes for (its Graph client, validation, delivery, events): the tests that prove the gateway's requests are ones Graph accepts would prove nothing.",
      from: { path: src('sandbox') },
      to: { path: src('validate', 'graph', 'delivery', 'events') },
    },
    {
      name: 'inbox-not-to-gateway',
      severity: 'error',
      comment: 'The inbox shows what the sandbox saw: it depends on the sandbox and the error mapping, not on the gateway.',
      from: { path: src('inbox') },
      to: { path: src('validate', 'graph', 'delivery', 'events', 'webhook') },
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
