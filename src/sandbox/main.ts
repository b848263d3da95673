// Standalone sandbox: `tsx src/sandbox/main.ts [--port 8080] [--host 127.0.0.1]`.
// Prints one JSON log line with its URL and stops cleanly on SIGINT/SIGTERM.

import { parseArgs } from 'node:util';
import { DEMO_PAGES } from './demo-pages';
import { startSandbox } from './sandbox-server';

const USAGE = 'usage: sandbox [--port PORT] [--host HOST]';

function log(fields: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...fields })}\n`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { port: { type: 'string' }, host: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0-65535 (got ${values.port})`);

  const sandbox = await startSandbox({ host: values.host, port });
  log({ level: 'info', msg: 'sandbox listening: a fake Graph API, nothing is delivered to Messenger', url: sandbox.url, demoPages: DEMO_PAGES });

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    void sandbox.close().then(() => {
      log({ level: 'info', msg: 'sandbox stopped', signal });
      process.exit(0);
    });
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  log({ level: 'error', msg: err instanceof Error ? err.message : String(err), usage: USAGE });
  process.exit(1);
});
