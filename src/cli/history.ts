import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { parseArgs } from 'node:util';
import { ConversationServiceClient } from '../../gen/messenger/v1/conversation';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  BackfillConversationRequest, BackfillState, BackfillStatusRequest, BackfillStatusResponse, HistoryMessage, ListMessagesRequest,
  type BackfillConversationResponse, type ListMessagesResponse,
} from '../../gen/messenger/v1/history';
import { EXIT, EXIT_CODES_HELP } from './exit-codes';
import { reportFailedCall } from './report-call-error';
import { checkPageId } from './check-page-id';
import { withNpmHint } from './parse-flags';
import { UsageError } from './usage-error';

export const HISTORY_USAGE = `Usage: npm run -s history -- --page PAGE_ID --person PSID [--limit N] [--backfill [--since ISO_TIME] [--wait]]
Common flags: [--target HOST:PORT] [--api-key KEY] [--timeout-ms MS (per call, 15000)]

Prints a conversation's past messages through the gateway (ConversationService.ListMessages,
newest first, every page), one JSON object per line on stdout; --limit stops after N messages.
With --backfill it queues BackfillConversation instead (the history goes into the event stream,
marked historical) and prints the backfill's id; with --wait it then follows BackfillStatus and
prints it once the backfill is over (exit 1 when it failed). Calls take the Page's Conversations
API budget (2 per second): a long conversation takes a while. When Instagram's limit cut the
history (only a conversation's 20 most recent messages), a line on stderr says so.
--target defaults to GATEWAY_TARGET, else 127.0.0.1:50051; --api-key to GATEWAY_API_KEY.

${EXIT_CODES_HELP}`;

/** How often --wait asks BackfillStatus (a read of the gateway's own record: no Graph call, no budget). */
const WAIT_POLL_MS = 500;

/** \`history\`: a conversation's messages as JSON lines, or its backfill queued. Returns the exit code. */
export async function runHistory(argv: string[]): Promise<number> {
  const flags = {
    page: { type: 'string' }, person: { type: 'string' }, limit: { type: 'string' }, backfill: { type: 'boolean' }, since: { type: 'string' }, wait: { type: 'boolean' },
    target: { type: 'string' }, 'api-key': { type: 'string' }, 'timeout-ms': { type: 'string' }, help: { type: 'boolean', short: 'h' },
  } as const;
  let values;
  try {
    values = parseArgs({ args: argv, options: flags, strict: true }).values;
  } catch (err) {
    throw new UsageError(withNpmHint('history', (err as Error).message, flags, false));
  }
  if (values.help) {
    process.stdout.write(`${HISTORY_USAGE}\n`);
    return EXIT.OK;
  }
  if (!values.page) throw new UsageError('--page: the Page id is required');
  checkPageId(values.page);
  if (!values.person || !/^\d{1,64}$/.test(values.person)) throw new UsageError("--person: the person's PSID (digits) is required");
  const limit = values.limit === undefined ? Infinity : Number(values.limit);
  if (!(limit >= 1) || (limit !== Infinity && !Number.isInteger(limit))) throw new UsageError('--limit: a positive number of messages');
  const since = values.since === undefined ? undefined : new Date(values.since);
  if (since && !Number.isFinite(since.getTime())) throw new UsageError('--since: an ISO time, e.g. 2026-01-31T00:00:00Z');
  if (since && !values.backfill) throw new UsageError('--since goes with --backfill');
  if (values.wait && !values.backfill) throw new UsageError('--wait goes with --backfill');
  const timeoutMs = values['timeout-ms'] === undefined ? 15_000 : Number(values['timeout-ms']);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new UsageError('--timeout-ms: a positive number of milliseconds');
  const target = values.target ?? process.env.GATEWAY_TARGET ?? '127.0.0.1:50051';
  const metadata = new Metadata();
  const apiKey = values['api-key'] ?? process.env.GATEWAY_API_KEY;
  if (apiKey) metadata.set('authorization', `Bearer ${apiKey}`);
  const client = new ConversationServiceClient(target, credentials.createInsecure());
  const options = () => ({ deadline: Date.now() + timeoutMs });
  try {
    if (values.backfill) {
      const res = await new Promise<BackfillConversationResponse>((resolve, reject) => {
        client.backfillConversation(BackfillConversationRequest.fromPartial({ pageId: values.page, personId: values.person, since }), metadata, options(), (err: ServiceError | null, r?: BackfillConversationResponse) => (err ? reject(err) : resolve(r!)));
      });
      process.stdout.write(`${JSON.stringify(res)}\n`);
      if (!values.wait) return EXIT.OK;
      for (;;) {
        await sleep(WAIT_POLL_MS);
        const st = await new Promise<BackfillStatusResponse>((resolve, reject) => {
          client.backfillStatus(BackfillStatusRequest.fromPartial({ pageId: values.page, backfillId: res.backfillId }), metadata, options(), (err: ServiceError | null, r?: BackfillStatusResponse) => (err ? reject(err) : resolve(r!)));
        });
        if (st.state === BackfillState.BACKFILL_STATE_RUNNING) continue;
        process.stdout.write(`${JSON.stringify(BackfillStatusResponse.toJSON(st))}\n`);
        if (st.historyLimited) process.stderr.write(`${limitedNote(0)}\n`);
        return st.state === BackfillState.BACKFILL_STATE_DONE ? EXIT.OK : EXIT.CALL_FAILED;
      }
    }
    let printed = 0;
    let pageToken = '';
    do {
      const page = await new Promise<ListMessagesResponse>((resolve, reject) => {
        const req = ListMessagesRequest.fromPartial({ pageId: values.page, personId: values.person, pageSize: 100, pageToken });
        client.listMessages(req, metadata, options(), (err: ServiceError | null, r?: ListMessagesResponse) => (err ? reject(err) : resolve(r!)));
      });
      for (const m of page.messages) {
        if (printed >= limit) return EXIT.OK;
        process.stdout.write(`${JSON.stringify(HistoryMessage.toJSON(m))}\n`);
        printed++;
      }
      // Said on stderr, so that stdout stays the messages: Instagram's limit is never hidden.
      if (page.historyLimited && page.nextPageToken === '') process.stderr.write(`${limitedNote(page.messageCount)}\n`);
      pageToken = page.nextPageToken;
    } while (pageToken !== '' && printed < limit);
    return EXIT.OK;
  } catch (err) {
    return reportFailedCall(err, target);
  } finally {
    client.close();
  }
}

function limitedNote(messageCount: number): string {
  const of = messageCount > 0 ? ` of its ${messageCount}` : '';
  return `history limited: Instagram returns only a conversation's 20 most recent messages${of}; the older ones cannot be read`;
}
