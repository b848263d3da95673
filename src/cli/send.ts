import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { MessengerServiceClient, SendMessageRequest, SendSenderActionRequest } from '../../gen/messenger/v1/service';
import { EXIT, EXIT_CODES_HELP } from './exit-codes';
import { readInputText } from './read-input-text';
import { reportFailedCall } from './report-call-error';
import { parseSendFlags, sendCall, type SendCall } from './send-request';

export const SEND_USAGE = `Usage: npm run send -- --page PAGE_ID --to PSID (--text TEXT | --image URL) [--quick-reply TITLE[=PAYLOAD]]...
                      [--messaging-type response|update|message_tag|utility] [--tag TAG]
       npm run send -- --page PAGE_ID --to PSID --action mark_seen|typing_on|typing_off
       npm run send -- --page PAGE_ID --to PSID --action react --message-id MID --reaction EMOJI
       npm run send -- --page PAGE_ID --to PSID --action unreact --message-id MID
       npm run send -- --json FILE|-        a SendMessageRequest in proto JSON (- reads stdin), sent as written,
                                            or a SendSenderActionRequest (one with "action")
Common flags: [--target HOST:PORT] [--idempotency-key KEY] [--timeout-ms MS (15000)]

Sample requests of every kind (text, image, quick replies, each template, a sender action; a photo
to upload, a JSONL file for bulk) are in examples/requests/, for example:
  npm run send -- --json examples/requests/generic-template.json
Page ids are numeric. In a pipe, npm run -s send -- … keeps npm's banner off stdout.

Sends one message (SendMessage) or sender action (SendSenderAction) and prints the response as JSON
on stdout, or the error with its details decoded (ErrorInfo, GraphError, RetryInfo, BadRequest) as
JSON on stderr. messaging_type defaults to RESPONSE and is always set explicitly (the gateway refuses
a message without one); --json sends the request exactly as written.
--target defaults to GATEWAY_TARGET, else 127.0.0.1:50051.

${EXIT_CODES_HELP}`;

/** `send`: one message or sender action from the shell. Returns the exit code. */
export async function runSend(argv: string[]): Promise<number> {
  const flags = parseSendFlags(argv);
  if (flags.help) {
    process.stdout.write(`${SEND_USAGE}\n`);
    return EXIT.OK;
  }
  const call = sendCall(flags, flags.json === undefined ? undefined : await readInputText(flags.json));
  const client = new MessengerServiceClient(call.target, credentials.createInsecure());
  try {
    const res = await invoke(client, call);
    process.stdout.write(`${JSON.stringify(res, null, 2)}\n`);
    return EXIT.OK;
  } catch (err) {
    return reportFailedCall(err, call.target);
  } finally {
    client.close();
  }
}

function invoke(client: MessengerServiceClient, call: SendCall): Promise<object> {
  const options = { deadline: Date.now() + call.timeoutMs };
  return new Promise((resolve, reject) => {
    const done = (err: ServiceError | null, res?: object) => (err ? reject(err) : resolve(res!));
    if (call.kind === 'action') client.sendSenderAction(SendSenderActionRequest.fromPartial(call.request), new Metadata(), options, done);
    else client.sendMessage(SendMessageRequest.fromPartial(call.request), new Metadata(), options, done);
  });
}
