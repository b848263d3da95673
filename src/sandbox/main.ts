// Standalone sandbox: `tsx src/sandbox/main.ts [--port 8080] [--host 127.0.0.1]`.
// Prints one JSON log line with its URL and stops cleanly on SIGINT/SIGTERM.

import { parseArgs } from 'node:util';
import { createLogger, flushLogger } from '../log/logger';
import { DEMO_PAGES } from './demo-pages';
import { startSandbox } from './sandbox-server';

const USAGE = 'usage: sandbox [--port PORT] [--host HOST]';

// The gateway's log format (pino: numeric level, epoch-ms time), so one tool reads both.
const logger = createLogger('info', undefined, 'messenger-sandbox');

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
  logger.info({ url: sandbox.url, demoPages: DEMO_PAGES }, 'sandbox listening: a fake Graph API, nothing is delivered to Messenger');

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    void sandbox.close().then(async () => {
      logger.info({ signal }, 'sandbox stopped');
      await flushLogger(logger);
      process.exit(0);
    });
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch(async (err: unknown) => {
  logger.error({ usage: USAGE }, err instanceof Error ? err.message : String(err));
  await flushLogger(logger);
  process.exit(1);
});
