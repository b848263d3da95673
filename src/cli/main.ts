// First: the OpenTelemetry SDK must run before the gateway is built (its handlers are traced only then).
import '../telemetry/preload';
import { parseArgs } from 'node:util';
import { generateApiKey, hashApiKey } from '../server/caller-auth';
import { tolerateClosedPipes } from './closed-pipes';
import { EXIT, EXIT_CODES_HELP } from './exit-codes';
import { npmBannerHint } from './npm-banner';
import { serve } from './serve';
import { UsageError } from './usage-error';

const USAGE = `messenger-gateway: a gRPC gateway to the Messenger Send API

Usage:
  messenger-gateway [serve] [--config FILE] [--listen HOST:PORT] [--webhook-listen HOST:PORT] [--inbox-listen HOST:PORT] [--sandbox] [--insecure]
  messenger-gateway hash-key          a new caller API key and the apiKeyHash to configure
  messenger-gateway send ...          one message or sender action (npm run send -- --help)
  messenger-gateway upload ...        upload a file, print its attachment id (npm run upload -- --help)
  messenger-gateway bulk ...          a JSONL file of messages over SendMessages (npm run bulk -- --help)
  messenger-gateway customer ...      play the customer: a signed webhook to the listener (npm run customer -- --help)
  messenger-gateway listen ...        print (and ack) events as they arrive on StreamEvents (npm run listen -- --help)
  messenger-gateway profile ...       the Messenger Profile as code: --diff, --apply (npm run profile -- --help)
  messenger-gateway persona ...       create, list, get, delete a Page's personas (npm run persona -- --help)
  messenger-gateway thread ...        conversation routing: pass, take, request, owner (npm run thread -- --help)
  messenger-gateway history ...       a conversation's past messages, or their backfill (npm run history -- --help)

Environment: GATEWAY_CONFIG (config file), GATEWAY_LISTEN (listen address), GATEWAY_WEBHOOK_LISTEN, GATEWAY_INBOX_LISTEN, GATEWAY_TARGET (the clients' target).
In sandbox mode the inbox (every message sent, as Messenger shows it) is served at --inbox-listen (default 127.0.0.1:8025).
Without configured pages, or with --sandbox, the gateway runs on its embedded fake Graph API.
serve exits 2 on a bad config or an address it cannot use (in use: choose another with --listen).

${EXIT_CODES_HELP}`;

/**
 * The client commands, each loaded when it runs: `serve` (what `npm start` runs) need not load
 * every client's modules first.
 */
const CLIENT_COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  send: (argv) => (require('./send') as typeof import('./send')).runSend(argv),
  upload: (argv) => (require('./upload') as typeof import('./upload')).runUpload(argv),
  bulk: (argv) => (require('./bulk') as typeof import('./bulk')).runBulk(argv),
  customer: (argv) => (require('./customer') as typeof import('./customer')).runCustomer(argv),
  listen: (argv) => (require('./listen') as typeof import('./listen')).runListen(argv),
  profile: (argv) => (require('./profile') as typeof import('./profile')).runProfile(argv),
  persona: (argv) => (require('./persona') as typeof import('./persona')).runPersona(argv),
  thread: (argv) => (require('./thread') as typeof import('./thread')).runThread(argv),
  history: (argv) => (require('./history') as typeof import('./history')).runHistory(argv),
};

/** The command line: `serve` (default), `hash-key`, or a client command. */
async function main(argv: string[]): Promise<void> {
  const command = argv[0] && !argv[0].startsWith('-') ? argv[0] : 'serve';
  const rest = command === argv[0] ? argv.slice(1) : argv;
  const client = CLIENT_COMMANDS[command];
  if (client) {
    tolerateClosedPipes();
    const hint = npmBannerHint(command);
    if (hint) process.stderr.write(hint);
    try {
      process.exitCode = await client(rest);
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      process.stderr.write(`${command}: ${err.message} (${command} --help for usage)\n`);
      process.exitCode = EXIT.USAGE;
    }
  } else if (command === 'serve') {
    let values;
    try {
      values = parseArgs({
        args: rest,
        options: {
          config: { type: 'string' }, listen: { type: 'string' }, 'webhook-listen': { type: 'string' }, 'inbox-listen': { type: 'string' }, sandbox: { type: 'boolean' }, insecure: { type: 'boolean' },
          help: { type: 'boolean', short: 'h' },
        },
      }).values;
    } catch (err) {
      process.stderr.write(`${(err as Error).message}\n\n${USAGE}\n`);
      process.exit(EXIT.USAGE);
    }
    if (values.help) return void process.stdout.write(`${USAGE}\n`);
    await serve({ configPath: values.config, listen: values.listen, webhookListen: values['webhook-listen'], inboxListen: values['inbox-listen'], sandbox: values.sandbox, insecure: values.insecure });
  } else if (command === 'hash-key') {
    // A new API key for a caller: the key goes to the caller, only its salted hash into the config.
    const key = generateApiKey();
    process.stdout.write(`${JSON.stringify({ apiKey: key, config: { apiKeyHash: hashApiKey(key) } }, null, 2)}\n`);
  } else {
    process.stderr.write(`unknown command ${command}\n\n${USAGE}\n`);
    process.exit(EXIT.USAGE);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
