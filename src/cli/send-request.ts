import {
  MediaType,
  MessageTag,
  MessagingType,
  SenderAction,
  messageTagFromJSON,
  messagingTypeFromJSON,
  senderActionFromJSON,
} from '../../gen/messenger/v1/enums';
import { QuickReply_ContentType, type Message, type QuickReply } from '../../gen/messenger/v1/message';
import { SendMessageRequest, SendSenderActionRequest } from '../../gen/messenger/v1/service';
import { checkPageId } from './check-page-id';
import { parseFlags } from './parse-flags';
import { parseJsonInput } from './parse-json-input';
import { UsageError } from './usage-error';

/** What `send` calls: a message or a sender action, where, and how long it may take. */
export type SendCall =
  | { kind: 'message'; request: SendMessageRequest; target: string; timeoutMs: number }
  | { kind: 'action'; request: SendSenderActionRequest; target: string; timeoutMs: number };

export const SEND_OPTIONS = {
  target: { type: 'string' }, page: { type: 'string' }, to: { type: 'string' }, text: { type: 'string' },
  image: { type: 'string' }, 'quick-reply': { type: 'string', multiple: true }, action: { type: 'string' },
  reaction: { type: 'string' }, 'message-id': { type: 'string' }, 'messaging-type': { type: 'string' },
  tag: { type: 'string' }, 'idempotency-key': { type: 'string' }, json: { type: 'string' },
  'timeout-ms': { type: 'string' }, help: { type: 'boolean', short: 'h' },
} as const;

export type SendFlags = ReturnType<typeof parseSendFlags>;

/** The flags of `send` (unknown flags and stray arguments are usage errors). */
export function parseSendFlags(argv: string[]) {
  return parseFlags('send', argv, SEND_OPTIONS);
}

/** The message tags `--tag` takes, as written on the command line. */
const TAG_NAMES = Object.keys(MessageTag)
  .filter((k) => k.startsWith('MESSAGE_TAG_') && k !== 'MESSAGE_TAG_UNSPECIFIED')
  .map((k) => k.slice('MESSAGE_TAG_'.length).toLowerCase());


/**
 * The call the flags describe. `json` is the text of `--json` (a SendMessageRequest in proto JSON,
 * or a SendSenderActionRequest: one with `action`), sent as written; otherwise the flags build the request and messaging_type is RESPONSE unless given.
 */
export function sendCall(f: SendFlags, json?: string): SendCall {
  const target = f.target ?? process.env.GATEWAY_TARGET ?? '127.0.0.1:50051';
  const timeoutMs = f['timeout-ms'] === undefined ? 15_000 : Number(f['timeout-ms']);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new UsageError(`--timeout-ms must be a positive integer (got ${f['timeout-ms']})`);
  const idempotencyKey = f['idempotency-key'] ?? '';

  if (json !== undefined) {
    const others = (['page', 'to', 'text', 'image', 'quick-reply', 'action', 'reaction', 'message-id', 'messaging-type', 'tag'] as const).filter((k) => f[k] !== undefined);
    if (others.length) throw new UsageError(`--json gives the whole request: drop --${others.join(', --')}`);
    const parsed = parseJsonInput(json, '--json');
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new UsageError('--json: must be a JSON object (a SendMessageRequest or a SendSenderActionRequest)');
    // A sender action is the request with an `action` (SendMessageRequest has none).
    if ('action' in parsed) {
      const request = SendSenderActionRequest.fromJSON(parsed);
      if (idempotencyKey) request.idempotencyKey = idempotencyKey;
      return { kind: 'action', request, target, timeoutMs };
    }
    const request = SendMessageRequest.fromJSON(parsed);
    if (idempotencyKey) request.idempotencyKey = idempotencyKey;
    return { kind: 'message', request, target, timeoutMs };
  }

  if (!f.page || !f.to) throw new UsageError('send needs --page and --to (or --json FILE)');
  checkPageId(f.page);
  const recipient = { identifier: { $case: 'id' as const, value: f.to } };
  if (f.action !== undefined) {
    const misplaced = (['text', 'image', 'quick-reply', 'messaging-type', 'tag'] as const).filter((k) => f[k] !== undefined);
    if (misplaced.length) throw new UsageError(`--action sends a sender action, not a message: drop --${misplaced.join(', --')}`);
    const action = senderActionFromJSON(`SENDER_ACTION_${f.action.toUpperCase()}`);
    if (action === SenderAction.UNRECOGNIZED || action === SenderAction.SENDER_ACTION_UNSPECIFIED) {
      throw new UsageError(`unknown --action ${f.action} (mark_seen, typing_on, typing_off, react, unreact)`);
    }
    const reacts = action === SenderAction.SENDER_ACTION_REACT || action === SenderAction.SENDER_ACTION_UNREACT;
    if (!reacts && (f.reaction !== undefined || f['message-id'] !== undefined)) throw new UsageError('--reaction and --message-id go with --action react or unreact');
    if (reacts && !f['message-id']) throw new UsageError(`--action ${f.action} needs --message-id MID (the message reacted to)`);
    if (action === SenderAction.SENDER_ACTION_REACT && !f.reaction) throw new UsageError('--action react needs --reaction EMOJI');
    const payload = reacts ? { messageId: f['message-id'] ?? '', reaction: f.reaction ?? '' } : undefined;
    return { kind: 'action', request: SendSenderActionRequest.fromPartial({ pageId: f.page, recipient, action, payload, idempotencyKey }), target, timeoutMs };
  }

  if (f.reaction !== undefined || f['message-id'] !== undefined) throw new UsageError('--reaction and --message-id go with --action react or unreact');
  if ((f.text === undefined) === (f.image === undefined)) throw new UsageError('send needs one of --text, --image or --action (a message has text or an attachment, not both)');
  const messagingType = f['messaging-type'] === undefined ? MessagingType.MESSAGING_TYPE_RESPONSE : messagingTypeOf(f['messaging-type']);
  let tag = MessageTag.MESSAGE_TAG_UNSPECIFIED;
  if (f.tag !== undefined) {
    tag = messageTagFromJSON(f.tag.toUpperCase().startsWith('MESSAGE_TAG_') ? f.tag.toUpperCase() : `MESSAGE_TAG_${f.tag.toUpperCase()}`);
    if (tag === MessageTag.UNRECOGNIZED || tag === MessageTag.MESSAGE_TAG_UNSPECIFIED) throw new UsageError(`unknown --tag ${f.tag} (one of ${TAG_NAMES.join(', ')})`);
  }
  const content: Message['content'] = f.text !== undefined
    ? { $case: 'text', value: f.text }
    : { $case: 'attachment', value: { kind: { $case: 'media', value: { type: MediaType.MEDIA_TYPE_IMAGE, source: { $case: 'url', value: f.image ?? '' }, isReusable: false } } } };
  const quickReplies = (f['quick-reply'] ?? []).map(quickReply);
  return {
    kind: 'message',
    request: SendMessageRequest.fromPartial({ pageId: f.page, recipient, messagingType, tag, idempotencyKey, message: { content, quickReplies } }),
    target,
    timeoutMs,
  };
}

/** `response`, `UPDATE`, `message_tag`, `MESSAGING_TYPE_UTILITY`, …: one of the four values. */
function messagingTypeOf(value: string): MessagingType {
  const upper = value.toUpperCase().replace(/-/g, '_');
  const t = messagingTypeFromJSON(upper.startsWith('MESSAGING_TYPE_') ? upper : `MESSAGING_TYPE_${upper}`);
  if (t === MessagingType.UNRECOGNIZED || t === MessagingType.MESSAGING_TYPE_UNSPECIFIED) {
    throw new UsageError(`unknown --messaging-type ${value} (response, update, message_tag, utility)`);
  }
  return t;
}

/** `TITLE` or `TITLE=PAYLOAD` (the payload is the title when not given). */
function quickReply(spec: string): QuickReply {
  const eq = spec.indexOf('=');
  const title = eq < 0 ? spec : spec.slice(0, eq);
  const payload = eq < 0 ? spec : spec.slice(eq + 1);
  if (!title) throw new UsageError(`--quick-reply ${JSON.stringify(spec)}: needs a title (TITLE or TITLE=PAYLOAD)`);
  return { contentType: QuickReply_ContentType.CONTENT_TYPE_TEXT, title, payload, imageUrl: '' };
}
