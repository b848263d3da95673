import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL("..", import.meta.url).pathname,
    include: ['test/**/*.test.ts'],
    // What passing tests print (the polyglot clients' output, skip notes) stays out of the run's
    // output; a failing test's output is shown. `npx vitest run --silent=false …` shows it all.
    silent: 'passed-only',
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Gateways that tests spawn in sandbox mode run a webhook listener; test files run in
    // parallel, so each takes a free port instead of the default 127.0.0.1:8088 (and the inbox's 127.0.0.1:8025).
    env: { GATEWAY_WEBHOOK_LISTEN: '127.0.0.1:0', GATEWAY_INBOX_LISTEN: '127.0.0.1:0' },
  },
});
