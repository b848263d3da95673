// Standalone sandbox: `tsx src/cli/sandbox.ts [--port 8080] [--host 127.0.0.1] [--inbox-listen HOST:PORT]`.
// Prints one JSON log line with its URL, one with its inbox's, and stops cleanly on SIGINT/SIGTERM.
// Its inbox takes a free loopback port unless --inbox-listen names one: it starts beside a running
// gateway, whose own inbox holds 127.0.0.1:8025.
// It puts the sandbox and its inbox together, so it lives above both (the sandbox does not import the inbox).

import { parseArgs } from 'node:util';
import { createLogger, flushLogger } from '../log/logger';
import { DEMO_INSTAGRAM_ACCOUNTS, DEMO_PAGES, DEMO_SANDBOX_INSTAGRAM } from '../sandbox/demo-pages';
import { startSandbox } from '../sandbox/sandbox-server';
import { ConversationStore } from '../inbox/conversation-store';
import { startInboxServer } from '../inbox/inbox-server';
import { listenAddress } from '../config/load-config';
import { shownAddress } from '../server/listen-error';

const USAGE = 'usage: sandbox [--port PORT] [--host HOST] [--inbox-listen HOST:PORT (default: a free port on 127.0.0.1, printed at start)]';
/** A free port on loopback: the gateway's inbox (127.0.0.1:8025 by default) may be running. */
const FREE_INBOX_LISTEN = '127.0.0.1:0';

// The gateway's log format (pino: numeric level, epoch-ms time), so one tool reads both.
const logger = createLogger('info', undefined, 'messenger-sandbox');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { port: { type: 'string' }, host: { type: 'string' }, 'inbox-listen': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0-65535 (got ${values.port})`);

  const inboxListen = values['inbox-listen'];
  const listen = inboxListen === undefined ? FREE_INBOX_LISTEN : listenAddress(inboxListen, '--inbox-listen');
  const store = new ConversationStore();
  const sandbox = await startSandbox({ host: values.host, port, observer: store, instagram: { ...DEMO_SANDBOX_INSTAGRAM } });
  // The signal handlers come first: a SIGTERM while the inbox starts still stops cleanly.
  const starting = startInboxServer({ listen, store, chaos: sandbox.chaos, sandboxUrl: sandbox.url });
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    const inboxClosed = starting.then((inbox) => inbox.close(), () => undefined);
    void Promise.all([inboxClosed, sandbox.close()]).then(async () => {
      logger.info({ signal }, 'sandbox stopped');
      await flushLogger(logger);
      process.exit(0);
    });
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  let inbox;
  try {
    inbox = await starting;
  } catch (err) {
    if (stopping) return;
    await sandbox.close();
    // As the gateway says it: an IP address is named, a host name is not. Only --inbox-listen
    // names an address here (a free port cannot be busy).
    const code = (err as { code?: string }).code ?? 'the port cannot be bound';
    process.stderr.write(`cannot listen on ${shownAddress(listen)} (inbox listen): ${code}; choose another address with --inbox-listen HOST:PORT, or leave it out for a free port\n`);
    await flushLogger(logger);
    process.exit(2);
  }
  if (stopping) return;
  // Logged once both listen, so that whoever waits for the first line finds everything up.
  logger.info({ url: sandbox.url, instagramUrl: sandbox.instagramUrl, demoPages: DEMO_PAGES, demoInstagramAccounts: Object.fromEntries(DEMO_INSTAGRAM_ACCOUNTS.map((a) => [a.id, a.purpose])) }, 'sandbox listening: a fake Graph API, nothing is delivered to Messenger');
  logger.info({ inbox: inbox.url }, `sandbox inbox: every message sent, as Messenger shows it, at ${inbox.url}`);
}

main().catch(async (err: unknown) => {
  logger.error({ usage: USAGE }, err instanceof Error ? err.message : String(err));
  await flushLogger(logger);
  process.exit(1);
});
