import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { parseArgs } from 'node:util';
import { ConversationServiceClient, GetThreadOwnerRequest, PassThreadControlRequest, RequestThreadControlRequest, TakeThreadControlRequest } from '../../gen/messenger/v1/conversation';
import { PAGE_INBOX_APP_ID } from '../limits/graph-limits';
import { EXIT, EXIT_CODES_HELP } from './exit-codes';
import { reportFailedCall } from './report-call-error';
import { checkPageId } from './check-page-id';
import { withNpmHint } from './parse-flags';
import { UsageError } from './usage-error';

export const THREAD_USAGE = `Usage: npm run -s thread -- pass    --page PAGE_ID --to PSID [--app APP_ID (${PAGE_INBOX_APP_ID}, the Page Inbox)] [--metadata TEXT]
       npm run -s thread -- take    --page PAGE_ID --to PSID [--metadata TEXT]
       npm run -s thread -- request --page PAGE_ID --to PSID [--metadata TEXT]
       npm run -s thread -- owner   --page PAGE_ID --to PSID
Common flags: [--target HOST:PORT] [--api-key KEY] [--idempotency-key KEY] [--timeout-ms MS (15000)]

Conversation routing through the gateway (ConversationService): pass the conversation with a
person to another app (PassThreadControl), take it back (TakeThreadControl), ask its owner for it
(RequestThreadControl), or print which app owns it (GetThreadOwner). Prints the response as JSON
on stdout, or the error with its details decoded as JSON on stderr.
--target defaults to GATEWAY_TARGET, else 127.0.0.1:50051; --api-key to GATEWAY_API_KEY.

${EXIT_CODES_HELP}`;

const ACTIONS = ['pass', 'take', 'request', 'owner'] as const;
type Action = (typeof ACTIONS)[number];

/** `thread`: one routing call from the shell. Returns the exit code. */
export async function runThread(argv: string[]): Promise<number> {
  // The action is the one positional argument, so parseFlags (which refuses any) is not used;
  // its npm hint is.
  const flags = {
    page: { type: 'string' }, to: { type: 'string' }, app: { type: 'string' }, metadata: { type: 'string' },
    target: { type: 'string' }, 'api-key': { type: 'string' }, 'idempotency-key': { type: 'string' }, 'timeout-ms': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  } as const;
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: flags, strict: true });
  } catch (err) {
    throw new UsageError(withNpmHint('thread', (err as Error).message, flags, false));
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${THREAD_USAGE}\n`);
    return EXIT.OK;
  }
  const action = positionals[0] as Action | undefined;
  if (positionals.length !== 1 || !ACTIONS.includes(action!)) throw new UsageError(`give one action: ${ACTIONS.join(', ')}`);
  if (!values.page) throw new UsageError('--page: the Page id is required');
  checkPageId(values.page);
  if (!values.to) throw new UsageError("--to: the person's PSID is required");
  if (values.app !== undefined && action !== 'pass') throw new UsageError('--app goes with pass only');
  if ((values.metadata !== undefined || values['idempotency-key'] !== undefined) && action === 'owner') throw new UsageError('owner takes no --metadata or --idempotency-key');
  const timeoutMs = values['timeout-ms'] === undefined ? 15_000 : Number(values['timeout-ms']);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new UsageError('--timeout-ms: a positive number of milliseconds');
  const target = values.target ?? process.env.GATEWAY_TARGET ?? '127.0.0.1:50051';
  const metadata = new Metadata();
  const apiKey = values['api-key'] ?? process.env.GATEWAY_API_KEY;
  if (apiKey) metadata.set('authorization', `Bearer ${apiKey}`);
  const common = { pageId: values.page, recipientId: values.to, metadata: values.metadata ?? '', idempotencyKey: values['idempotency-key'] ?? '' };
  const client = new ConversationServiceClient(target, credentials.createInsecure());
  const options = { deadline: Date.now() + timeoutMs };
  try {
    const res = await new Promise<object>((resolve, reject) => {
      const done = (err: ServiceError | null, r?: object) => (err ? reject(err) : resolve(r!));
      if (action === 'pass') client.passThreadControl(PassThreadControlRequest.fromPartial({ ...common, targetAppId: values.app ?? PAGE_INBOX_APP_ID }), metadata, options, done);
      else if (action === 'take') client.takeThreadControl(TakeThreadControlRequest.fromPartial(common), metadata, options, done);
      else if (action === 'request') client.requestThreadControl(RequestThreadControlRequest.fromPartial(common), metadata, options, done);
      else client.getThreadOwner(GetThreadOwnerRequest.fromPartial({ pageId: common.pageId, recipientId: common.recipientId }), metadata, options, done);
    });
    process.stdout.write(`${JSON.stringify(res, null, 2)}\n`);
    return EXIT.OK;
  } catch (err) {
    return reportFailedCall(err, target);
  } finally {
    client.close();
  }
}
