// First: the OpenTelemetry SDK must run before the gateway is built (its handlers are traced only then).
import '../telemetry/preload';
import { parseArgs } from 'node:util';
import { send } from './send';
import { serve } from './serve';
import { generateApiKey, hashApiKey } from '../server/caller-auth';

const USAGE = `messenger-gateway: a gRPC gateway to the Messenger Send API

Usage:
  messenger-gateway [serve] [--config FILE] [--listen HOST:PORT] [--sandbox] [--insecure]
  messenger-gateway hash-key          a new caller API key and the apiKeyHash to configure
  messenger-gateway send --page PAGE_ID --to PSID (--text TEXT | --action typing_on|typing_off|mark_seen)
                         [--target HOST:PORT] [--messaging-type response|update] [--timeout-ms MS]

Environment: GATEWAY_CONFIG (config file), GATEWAY_LISTEN (listen address), GATEWAY_TARGET (send's target).
Without configured pages, or with --sandbox, the gateway runs on its embedded fake Graph API.`;

/** The command line: `serve` (default) or `send`. */
async function main(argv: string[]): Promise<void> {
  const command = argv[0] && !argv[0].startsWith('-') ? argv[0] : 'serve';
  const rest = command === argv[0] ? argv.slice(1) : argv;
  if (command === 'serve') {
    const { values } = parseArgs({
      args: rest,
      options: {
        config: { type: 'string' }, listen: { type: 'string' }, sandbox: { type: 'boolean' }, insecure: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) return void process.stdout.write(`${USAGE}\n`);
    await serve({ configPath: values.config, listen: values.listen, sandbox: values.sandbox, insecure: values.insecure });
  } else if (command === 'hash-key') {
    // A new API key for a caller: the key goes to the caller, only its salted hash into the config.
    const key = generateApiKey();
    process.stdout.write(`${JSON.stringify({ apiKey: key, config: { apiKeyHash: hashApiKey(key) } }, null, 2)}\n`);
  } else if (command === 'send') {
    const { values } = parseArgs({
      args: rest,
      options: {
        target: { type: 'string' }, page: { type: 'string' }, to: { type: 'string' }, text: { type: 'string' },
        action: { type: 'string' }, 'messaging-type': { type: 'string' }, 'timeout-ms': { type: 'string' },
      },
    });
    if (!values.page || !values.to || (values.text === undefined) === (values.action === undefined)) {
      process.stderr.write(`send needs --page, --to and one of --text or --action\n\n${USAGE}\n`);
      process.exit(2);
    }
    process.exitCode = await send({
      target: values.target ?? process.env.GATEWAY_TARGET ?? '127.0.0.1:50051',
      page: values.page,
      to: values.to,
      text: values.text,
      action: values.action,
      messagingType: values['messaging-type'] ?? 'response',
      timeoutMs: Number(values['timeout-ms'] ?? 15_000),
    });
  } else {
    process.stderr.write(`unknown command ${command}\n\n${USAGE}\n`);
    process.exit(2);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
