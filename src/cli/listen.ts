import { credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { EventServiceClient, Platform, ReceivedAttachmentType, StartPosition, type Event, type MessageEvent, type StreamEventsResponse } from '../../gen/messenger/v1/events';
import { checkPageId } from './check-page-id';
import { EXIT } from './exit-codes';
import { parseFlags } from './parse-flags';
import { callErrorReport, exitCodeOf } from './report-call-error';
import { UsageError } from './usage-error';

export const LISTEN_USAGE = `Usage: npm run listen -- --group GROUP [--page PAGE_ID ...] [--from-start] [--json] [--no-ack]
                        [--api-key KEY] [--target HOST:PORT]

Consumes StreamEvents as the consumer group GROUP: prints each event as it arrives (one line:
time, page, sender, kind, "(history)" for a backfilled past message, what it says, event id,
delivery attempt; --json: the whole Event) and
acks it once the line is written, as 'stripe listen' does. "listening" goes to stderr once the gateway
says the subscription is live. --from-start makes a new group begin with every retained event
(default: only events from now on). --no-ack prints without acking: the events come back after
the ack deadline. Ctrl-C, or a reader that goes away (… | head -1), ends the stream (unacked
events go back to the group). Page ids are numeric. --api-key defaults to GATEWAY_API_KEY.

Exit codes:
  0  ended by Ctrl-C or by the reader of stdout going away (or the gateway ended the stream cleanly)
  1  the gateway ended the stream with an error (printed on stderr)
  2  usage error
  3  gateway unreachable at --target`;

/** One line per event, for people. */
export function describeEvent(e: Event, attempt: number): string {
  const kind = e.kind?.$case ?? 'unknown';
  let what = '';
  switch (e.kind?.$case) {
    case 'message': {
      const m = e.kind.value;
      what = m.quickReplyPayload ? `${JSON.stringify(m.text)} (quick reply ${JSON.stringify(m.quickReplyPayload)})` : m.text ? JSON.stringify(m.text) : attachmentsOf(m);
      if (m.storyReply) what = `story reply (story ${m.storyReply.id}) ${what}`;
      if (m.isEcho) what = `echo ${what}`;
      break;
    }
    case 'messageDeleted':
      what = `unsent ${e.kind.value.mid}`;
      break;
    case 'postback':
      what = `payload ${JSON.stringify(e.kind.value.payload)}`;
      break;
    case 'reaction':
      what = `${e.kind.value.action === 1 ? 'react' : 'unreact'} ${e.kind.value.emoji || e.kind.value.reaction}`;
      break;
    case 'read':
      what = e.kind.value.mid ? `up to ${e.kind.value.mid}` : `up to ${e.kind.value.watermark?.toISOString() ?? '?'}`;
      break;
    case 'delivery':
      what = `${e.kind.value.mids.length} message(s)`;
      break;
    case 'backfillStarted':
      what = `backfill ${e.kind.value.backfillId}: history follows`;
      break;
    case 'backfillEnded': {
      const m = e.kind.value;
      what = `backfill ${m.backfillId}: ${m.error ? `failed: ${m.error}` : `${m.messagesStored} stored, ${m.messagesDuplicate} already there`}`;
      break;
    }
    default:
      break;
  }
  const time = (e.time ?? e.receivedTime)?.toISOString() ?? '';
  const where = e.platform === Platform.PLATFORM_INSTAGRAM ? 'instagram' : 'page';
  return `${time}  ${where} ${e.pageId}  from ${e.senderId}  ${kind}${e.standby ? ' (standby)' : ''}${e.historical ? ' (history)' : ''}  ${what}  ${e.eventId}${attempt > 1 ? `  attempt ${attempt}` : ''}`;
}

/** Story mentions and shared posts by name; a story's URL is not printed (its media must not be kept). */
function attachmentsOf(m: MessageEvent): string {
  if (m.attachments.some((a) => a.type === ReceivedAttachmentType.RECEIVED_ATTACHMENT_TYPE_STORY_MENTION)) return 'story mention';
  const post = m.attachments.find((a) => a.type === ReceivedAttachmentType.RECEIVED_ATTACHMENT_TYPE_SHARED_POST);
  if (post) return `shared post ${post.mediaId || post.url}`;
  return `${m.attachments.length} attachment(s)`;
}

/** `listen`: prints and acks the events of a consumer group until Ctrl-C. Returns the exit code. */
export async function runListen(argv: string[]): Promise<number> {
  const values = parseFlags('listen', argv, {
    group: { type: 'string' }, page: { type: 'string', multiple: true }, 'from-start': { type: 'boolean' }, json: { type: 'boolean' },
    'no-ack': { type: 'boolean' }, 'api-key': { type: 'string' }, target: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(`${LISTEN_USAGE}\n`);
    return EXIT.OK;
  }
  if (!values.group) throw new UsageError('--group: the consumer group is required');
  // A name here would fix the new group's Page scope to a Page that never sends anything.
  for (const page of values.page ?? []) checkPageId(page);
  const target = values.target ?? process.env.GATEWAY_TARGET ?? '127.0.0.1:50051';
  const client = new EventServiceClient(target, credentials.createInsecure());
  const metadata = new Metadata();
  // From the environment too, as the echo bots take it: a key given as a flag is echoed by npm's banner.
  const apiKey = values['api-key'] ?? process.env.GATEWAY_API_KEY;
  if (apiKey) metadata.set('authorization', `Bearer ${apiKey}`);
  const call = client.streamEvents(metadata);
  let stopping = false;
  const stop = () => {
    stopping = true;
    call.cancel();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // The reader of stdout went away: nothing printed from now on would be seen, so nothing more is acked.
  process.stdout.once('error', stop);
  call.write({
    subscribe: {
      consumerGroup: values.group, pageIds: values.page ?? [], maxOutstanding: 0,
      start: values['from-start'] ? StartPosition.START_POSITION_EARLIEST : StartPosition.START_POSITION_LATEST, startTime: undefined,
    },
    ack: undefined, nack: undefined,
  });
  // The gateway sends the response headers once the subscription is live (a new group exists from then on).
  call.once('metadata', () => {
    process.stderr.write(`listening on ${target} as group ${values.group}${values.page ? ` for page(s) ${values.page.join(', ')}` : ''} (Ctrl-C to stop)\n`);
  });
  const ack = !values['no-ack'];
  return await new Promise<number>((resolve) => {
    call.on('data', (res: StreamEventsResponse) => {
      if (!res.event) return;
      const eventId = res.event.eventId;
      const line = `${values.json ? JSON.stringify({ event: res.event, deliveryAttempt: res.deliveryAttempt }) : describeEvent(res.event, res.deliveryAttempt)}\n`;
      // Acked once written: an event whose line did not get out (the reader went away) goes back to the group.
      process.stdout.write(line, (err) => {
        if (!err && ack && !stopping) call.write({ subscribe: undefined, ack: { eventIds: [eventId] }, nack: undefined });
      });
    });
    call.on('error', (err: ServiceError) => {
      client.close();
      if (stopping && err.code === status.CANCELLED) return resolve(EXIT.OK);
      process.stderr.write(`${JSON.stringify(callErrorReport(err, target), null, 2)}\n`);
      resolve(exitCodeOf(err));
    });
    call.on('end', () => {
      client.close();
      resolve(EXIT.OK);
    });
  });
}
