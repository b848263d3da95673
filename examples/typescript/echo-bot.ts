/**
 * An echo bot: consumes the gateway's events (EventService.StreamEvents) as a consumer group
 * and answers every message a person sends with SendMessage, then acks the event.
 *
 *   node_modules/.bin/tsx examples/typescript/echo-bot.ts --page 1001
 *
 * A text gets "echo: <text>", a tapped quick reply or postback button "got <payload>". The
 * event's traceparent (and tracestate) go with the reply as gRPC metadata, so the customer's
 * message, the webhook, this bot and the reply are one trace. One line per event on stdout.
 *
 * Routing (ConversationService): a person who writes "human", "agent" or "person" is told so and
 * the conversation is passed to the Page Inbox (PassThreadControl), where people answer in Meta
 * Business Suite. Meanwhile the bot gets the conversation's items as standby and stays quiet;
 * a postback tapped then (a standby postback carries no payload) takes the conversation back
 * (TakeThreadControl). The event id is the idempotency key: a redelivered event acts once.
 */
import { credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { parseArgs } from 'node:util';
import { MessagingType } from '../../gen/messenger/v1/enums';
import {
  EventServiceClient,
  StartPosition,
  type Event,
  type StreamEventsRequest,
  type StreamEventsResponse,
} from '../../gen/messenger/v1/events';
import { MessengerServiceClient, SendMessageRequest, type SendMessageResponse } from '../../gen/messenger/v1/service';
import { ConversationServiceClient, PassThreadControlRequest, TakeThreadControlRequest } from '../../gen/messenger/v1/conversation';
import { decodeStatusDetails } from '../../src/errors/decode-status-details';

const USAGE = `usage: echo-bot.ts [--target HOST:PORT] [--group GROUP] [--page PAGE_ID ...] [--once | --max-events N]
                   [--from-start] [--stream-deadline SECONDS] [--api-key KEY]`;
/** The command line's flags; exits with 2 on a usage error. */
function flags() {
  try {
    return parseArgs({
      options: {
        target: { type: 'string', default: process.env.GATEWAY_TARGET ?? '127.0.0.1:50051' },
        group: { type: 'string', default: 'echo-bot-typescript' },
        page: { type: 'string', multiple: true, default: [] },
        'max-events': { type: 'string', default: '0' },
        once: { type: 'boolean', default: false },
        'from-start': { type: 'boolean', default: false },
        'stream-deadline': { type: 'string', default: '3600' },
        'api-key': { type: 'string', default: process.env.GATEWAY_API_KEY },
      },
      strict: true,
    }).values;
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    process.exit(2);
  }
}
const args = flags();
const maxEvents = args.once ? 1 : Number(args['max-events']);
const streamDeadlineMs = Number(args['stream-deadline']) * 1000;
if (!Number.isInteger(maxEvents) || maxEvents < 0 || !(streamDeadlineMs > 0)) {
  console.error(USAGE);
  process.exit(2);
}
const { target, group, page: pages } = args;

// Replies: a 10 s deadline, UNAVAILABLE retried up to 3 attempts (as send-message.ts). The
// event stream is long-lived: its deadline is --stream-deadline, then it is reopened.
const serviceConfig = {
  methodConfig: [
    {
      name: [{ service: 'messenger.v1.MessengerService' }, { service: 'messenger.v1.ConversationService' }],
      timeout: '10s',
      retryPolicy: { maxAttempts: 3, initialBackoff: '0.2s', maxBackoff: '2s', backoffMultiplier: 2, retryableStatusCodes: ['UNAVAILABLE'] },
    },
  ],
};
const REPLY_DEADLINE_MS = 10_000;
const channelOptions = { 'grpc.service_config': JSON.stringify(serviceConfig) };
const events = new EventServiceClient(target, credentials.createInsecure(), channelOptions);
const messenger = new MessengerServiceClient(target, credentials.createInsecure(), channelOptions);
const conversations = new ConversationServiceClient(target, credentials.createInsecure(), channelOptions);

/** Meta's Page Inbox app: people answer there, in Meta Business Suite. */
const PAGE_INBOX_APP_ID = '263902037430900';
/** What a person writes to be handed to a person. */
const ASKS_FOR_A_PERSON = /^\s*(human|agent|person)\s*[.!?]*\s*$/i;

/** What the bot does with the conversation after its reply, if anything. */
type Routing = 'pass' | 'take' | undefined;

/** Whether the event hands the conversation over (pass) or takes it back (take). */
function routingOf(e: Event): Routing {
  if (e.standby) return e.kind?.$case === 'postback' ? 'take' : undefined;
  if (e.kind?.$case === 'message' && !e.kind.value.isEcho && ASKS_FOR_A_PERSON.test(e.kind.value.text)) return 'pass';
  return undefined;
}

/** Passes the conversation to the Page Inbox, or takes it back; the event id keys it, so a redelivery acts once. */
function route(e: Event, action: 'pass' | 'take'): Promise<void> {
  const md = authMetadata();
  if (e.traceparent) md.set('traceparent', e.traceparent);
  const options = { deadline: Date.now() + REPLY_DEADLINE_MS };
  const common = { pageId: e.pageId, recipientId: e.senderId, idempotencyKey: `${action}-${e.eventId}` };
  return new Promise((resolve, reject) => {
    const done = (err: ServiceError | null) => (err ? reject(err) : resolve());
    if (action === 'pass') conversations.passThreadControl(PassThreadControlRequest.fromPartial({ ...common, targetAppId: PAGE_INBOX_APP_ID, metadata: 'the customer asked for a person' }), md, options, done);
    else conversations.takeThreadControl(TakeThreadControlRequest.fromPartial({ ...common, metadata: 'the customer came back to the bot' }), md, options, done);
  });
}

function authMetadata(): Metadata {
  const md = new Metadata();
  if (args['api-key']) md.set('authorization', `Bearer ${args['api-key']}`);
  return md;
}

/** What the bot answers to an event, or undefined when it does not answer (not a person's message). */
function replyText(e: Event): string | undefined {
  const routing = routingOf(e);
  if (routing === 'pass') return 'A person will answer you here shortly.';
  if (routing === 'take') return 'The bot is back: write anything and it echoes.';
  // Another app (the Page Inbox) owns the conversation: a person is answering, the bot keeps out.
  if (e.standby) return undefined;
  switch (e.kind?.$case) {
    case 'message': {
      const m = e.kind.value;
      if (m.isEcho) return undefined; // the Page's own message: answering it would loop
      if (m.quickReplyPayload) return `got ${m.quickReplyPayload}`;
      return m.text ? `echo: ${m.text}` : undefined; // attachments only: nothing to echo
    }
    case 'postback':
      return `got ${e.kind.value.payload}`;
    default:
      return undefined;
  }
}

/** The proto name of the event's `kind` field (message, postback, read, message_edit, ...). */
function kindName(e: Event): string {
  if (e.kind?.$case === 'message' && e.kind.value.isEcho) return 'message_echo';
  return (e.kind?.$case ?? 'unknown').replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** A failed call's status and decoded details on one line, and how long to wait before the event is tried again (undefined: never). */
function decodeFailure(err: ServiceError): { details: string; retryDelayS?: number } {
  const parts = [status[err.code], JSON.stringify(err.details)];
  const d = decodeStatusDetails(err.metadata);
  let retryDelayS: number | undefined;
  if (d.errorInfo) parts.push(`reason=${d.errorInfo.reason}`);
  if (d.retryInfo?.retryDelay) {
    retryDelayS = Number(d.retryInfo.retryDelay.seconds) + d.retryInfo.retryDelay.nanos / 1e9;
    parts.push(`retry_delay=${retryDelayS}s`);
  }
  if (d.graphError) parts.push(`graph_code=${d.graphError.code} fbtrace_id=${d.graphError.fbtraceId}`);
  if (d.badRequest) parts.push(`violations=${JSON.stringify(d.badRequest.fieldViolations.map((v) => `${v.field}: ${v.description}`).join('; '))}`);
  if (d.errorInfo?.metadata.maybe_delivered === 'true') {
    parts.push('maybe_delivered=true');
    retryDelayS = undefined; // the reply may have gone out: a second one would be a duplicate
  }
  return { details: parts.join(' '), retryDelayS };
}

/** Sends the answer with the event's trace context as metadata, and a deadline. */
function reply(e: Event, text: string): Promise<SendMessageResponse> {
  const md = authMetadata();
  if (e.traceparent) md.set('traceparent', e.traceparent);
  if (e.tracestate) md.set('tracestate', e.tracestate);
  const req = SendMessageRequest.fromPartial({
    pageId: e.pageId,
    recipient: { identifier: { $case: 'id', value: e.senderId } },
    message: { content: { $case: 'text', value: text } },
    messagingType: MessagingType.MESSAGING_TYPE_RESPONSE,
  });
  return new Promise((resolve, reject) => {
    messenger.sendMessage(req, md, { deadline: Date.now() + REPLY_DEADLINE_MS }, (err, res) => (err ? reject(err) : resolve(res!)));
  });
}

/** Answers one event, prints its line, and returns the ack (or nack) to send. */
async function handle(res: StreamEventsResponse): Promise<StreamEventsRequest> {
  const e = res.event!;
  const attempt = res.deliveryAttempt > 1 ? ` attempt=${res.deliveryAttempt}` : '';
  const ack: StreamEventsRequest = { subscribe: undefined, ack: { eventIds: [e.eventId] }, nack: undefined };
  const text = replyText(e);
  if (text === undefined) {
    console.log(`skipped ${e.eventId} page=${e.pageId} from=${e.senderId} kind=${kindName(e)}${e.standby ? ' standby' : ''}${attempt}`);
    return ack;
  }
  const routing = routingOf(e);
  let sent: SendMessageResponse;
  try {
    // Taken back before the reply (the bot must own the conversation to answer it); passed after
    // it, so that the person reads why the bot goes quiet.
    if (routing === 'take') await route(e, 'take');
    sent = await reply(e, text);
    if (routing === 'pass') await route(e, 'pass');
  } catch (err) {
    if (typeof (err as ServiceError).code !== 'number') throw err;
    const { details, retryDelayS } = decodeFailure(err as ServiceError);
    if (retryDelayS === undefined) {
      // Retrying cannot help (or could send twice): log it and move the conversation on.
      console.log(`failed ${e.eventId} page=${e.pageId} to=${e.senderId}${attempt} ${details} -> acked`);
      return ack;
    }
    // The gateway says when trying again can help: the event comes back after that long (its
    // conversation waits meanwhile; past the gateway's maximum deliveries it is parked).
    console.log(`failed ${e.eventId} page=${e.pageId} to=${e.senderId}${attempt} ${details} -> nacked, redelivery in ${retryDelayS}s`);
    const seconds = Math.floor(retryDelayS);
    return { subscribe: undefined, ack: undefined, nack: { eventIds: [e.eventId], delay: { seconds: String(seconds), nanos: Math.round((retryDelayS - seconds) * 1e9) } } };
  }
  const parts = e.traceparent.split('-');
  const traceId = parts.length === 4 ? parts[1] : '-';
  // When the conversation's 24-hour window ends (the gateway's record as of this event): after
  // it, only a HUMAN_AGENT reply or a utility template goes out.
  const windowEnd = e.standardWindowEnd ? e.standardWindowEnd.toISOString() : '-';
  console.log(`replied ${e.eventId} page=${e.pageId} to=${sent.recipientId}${attempt} text=${JSON.stringify(text)} message_id=${sent.messageId} trace_id=${traceId} window_end=${windowEnd}`);
  if (routing === 'pass') console.log(`passed ${e.eventId} page=${e.pageId} to=${e.senderId} app=${PAGE_INBOX_APP_ID}`);
  if (routing === 'take') console.log(`took ${e.eventId} page=${e.pageId} to=${e.senderId}`);
  return ack;
}

let handled = 0;
let stopping = false;

/** One StreamEvents stream: 'done' when the bot is finished, 'again' when its deadline passed and a new one should open. */
function streamOnce(): Promise<'done' | 'again'> {
  const call = events.streamEvents(authMetadata(), { deadline: Date.now() + streamDeadlineMs });
  const stop = () => {
    stopping = true;
    call.cancel(); // unacked events go back to the group
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  call.write({
    subscribe: {
      consumerGroup: group, pageIds: pages, maxOutstanding: 0,
      start: args['from-start'] ? StartPosition.START_POSITION_EARLIEST : StartPosition.START_POSITION_LATEST, startTime: undefined,
    },
    ack: undefined, nack: undefined,
  });
  // The gateway answers the headers once the subscription is live.
  call.once('metadata', () => console.error(`echo bot on ${target} as group ${group}${pages.length ? ` for page(s) ${pages.join(', ')}` : ''}`));
  // One event at a time, in the order they arrive (each conversation's order is the gateway's).
  let queue = Promise.resolve();
  return new Promise((resolve, reject) => {
    call.on('data', (res: StreamEventsResponse) => {
      if (!res.event) return;
      queue = queue.then(async () => {
        if (call.writableEnded) return; // after --max-events: more events go back to the group
        call.write(await handle(res));
        handled += 1;
        if (maxEvents > 0 && handled >= maxEvents) call.end(); // half-close: the gateway applies the acks, then ends the stream
      }).catch(reject);
    });
    call.on('error', (err: ServiceError) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      if (stopping && err.code === status.CANCELLED) return resolve('done');
      if (err.code === status.DEADLINE_EXCEEDED) return resolve('again'); // unacked events go back to the group; subscribe again
      reject(err);
    });
    call.on('end', () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve('done'); // the gateway ended the stream (after our half-close, or it is shutting down)
    });
  });
}

async function main(): Promise<number> {
  try {
    while ((await streamOnce()) === 'again');
    return 0;
  } catch (err) {
    if (typeof (err as ServiceError).code !== 'number') throw err;
    console.error(`StreamEvents failed: ${decodeFailure(err as ServiceError).details}`);
    return 1;
  } finally {
    events.close();
    messenger.close();
    conversations.close();
  }
}

main().then((code) => process.exit(code));
