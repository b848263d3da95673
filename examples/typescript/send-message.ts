/**
 * Sends a typing indicator and a text message through the Messenger gRPC gateway with the
 * generated TypeScript client (gen/), and prints the rich error details when the gateway refuses.
 *
 *   node_modules/.bin/tsx examples/typescript/send-message.ts --to 1234567890 --text "Hello from TypeScript"
 */
import { credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { parseArgs } from 'node:util';
import { MessagingType, SenderAction } from '../../gen/messenger/v1/enums';
import { GraphErrorCode } from '../../gen/messenger/v1/errors';
import { MessengerServiceClient, SendMessageRequest, SendSenderActionRequest } from '../../gen/messenger/v1/service';
import { decodeStatusDetails } from '../../src/errors/decode-status-details';

const { values: args } = parseArgs({
  options: {
    target: { type: 'string', default: process.env.GATEWAY_TARGET ?? '127.0.0.1:50051' },
    page: { type: 'string', default: process.env.PAGE_ID ?? '1001' },
    to: { type: 'string' },
    text: { type: 'string', default: 'Hello from TypeScript' },
  },
});
if (!args.to) {
  console.error('usage: send-message.ts --to PSID [--text TEXT] [--target HOST:PORT] [--page PAGE_ID]');
  process.exit(2);
}

// Deadline and retries for every call: retry only UNAVAILABLE (the gateway or Graph was
// briefly unreachable), at most 3 attempts with exponential backoff. RetryInfo is read in printError.
const serviceConfig = {
  methodConfig: [
    {
      name: [{ service: 'messenger.v1.MessengerService' }],
      timeout: '10s',
      retryPolicy: {
        maxAttempts: 3,
        initialBackoff: '0.2s',
        maxBackoff: '2s',
        backoffMultiplier: 2,
        retryableStatusCodes: ['UNAVAILABLE'],
      },
    },
  ],
};
const client = new MessengerServiceClient(args.target, credentials.createInsecure(), {
  'grpc.service_config': JSON.stringify(serviceConfig),
});
const recipient = { identifier: { $case: 'id' as const, value: args.to } };
// Always set a deadline: the gateway gives Graph what is left of it.
const options = () => ({ deadline: Date.now() + 10_000 });

/** Calls a generated unary method as a promise. */
function call<Req, Res>(
  method: (req: Req, md: Metadata, opts: object, cb: (err: ServiceError | null, res?: Res) => void) => unknown,
  req: Req,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    method.call(client, req, new Metadata(), options(), (err, res) => (err ? reject(err) : resolve(res!)));
  });
}

/** Prints the gRPC status and the google.rpc.Status details from the grpc-status-details-bin trailer. */
function printError(rpc: string, err: ServiceError): void {
  console.log(`${rpc} failed: ${status[err.code]}: ${err.details}`);
  const d = decodeStatusDetails(err.metadata);
  if (d.errorInfo) {
    const meta = Object.keys(d.errorInfo.metadata).sort().map((k) => `${k}=${d.errorInfo!.metadata[k]}`);
    console.log(`  ErrorInfo: reason=${d.errorInfo.reason} domain=${d.errorInfo.domain} ${meta.join(' ')}`);
  }
  if (d.graphError) {
    const g = d.graphError;
    const name = GraphErrorCode[g.code] ?? '?';
    console.log(`  GraphError: code=${g.code} (${name}) error_subcode=${g.errorSubcode} type=${g.type} fbtrace_id=${g.fbtraceId}`);
  }
  if (d.retryInfo?.retryDelay) {
    const { seconds, nanos } = d.retryInfo.retryDelay;
    console.log(`  RetryInfo: retry after ${Number(seconds) + nanos / 1e9}s`);
  }
  for (const v of d.badRequest?.fieldViolations ?? []) console.log(`  BadRequest: ${v.field}: ${v.description}`);
}

async function main(): Promise<number> {
  let rpc = 'SendSenderAction';
  try {
    const action = await call(client.sendSenderAction, SendSenderActionRequest.fromPartial({
      pageId: args.page!,
      recipient,
      action: SenderAction.SENDER_ACTION_TYPING_ON,
    }));
    console.log(`SendSenderAction ok: action=TYPING_ON recipient_id=${action.recipientId}`);

    rpc = 'SendMessage';
    // fromPartial fills every field the example does not set (new fields included) with its default.
    const sent = await call(client.sendMessage, SendMessageRequest.fromPartial({
      pageId: args.page!,
      recipient,
      message: { content: { $case: 'text', value: args.text! } },
      messagingType: MessagingType.MESSAGING_TYPE_RESPONSE,
    }));
    console.log(`SendMessage ok: recipient_id=${sent.recipientId} message_id=${sent.messageId}`);
    return 0;
  } catch (err) {
    if (typeof (err as ServiceError).code !== 'number') throw err;
    printError(rpc, err as ServiceError);
    return 1;
  } finally {
    client.close();
  }
}

main().then((code) => process.exit(code));
