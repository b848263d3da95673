// What Graph validates on `POST /{page-id}/messages` and `/message_attachments`, as pure
// functions over the parsed body. The sandbox answers with their result, and fuzz tests use
// them to prove that every body the gateway builds is one Graph would accept.

import { MAX_UPLOAD_BYTES } from '../limits/graph-limits';
import { envelope, graphErrorFields, invalidParam, type GraphErrorBody, type GraphErrorFields } from './graph-errors';
import {
  type Check,
  isObject,
  knownKeys,
  missing,
  oneOf,
  optionalString,
  requireObject,
  requireString,
} from './json-checks';
import { checkMediaAttachment, checkMessage } from './validate-graph-message';

/** The file part of a multipart request, as the validator needs it. */
export interface UploadedFile {
  contentType: string;
  size: number;
}

const AUTH_KEYS = ['access_token', 'appsecret_proof', 'appsecret_time'];
const SEND_KEYS: ReadonlySet<string> = new Set([
  'recipient', 'messaging_type', 'message', 'sender_action', 'payload', 'notification_type', 'tag',
  'persona_id', 'reply_to', 'thread_control', 'suggestion_action', 'folder', ...AUTH_KEYS,
]);
const UPLOAD_KEYS: ReadonlySet<string> = new Set(['message', 'platform', ...AUTH_KEYS]);
/** Recipient keys that identify the person; exactly one per request. */
export const RECIPIENT_IDS = [
  'id', 'user_ref', 'post_id', 'comment_id', 'notification_messages_token', 'one_time_notif_token', 'phone_number',
] as const;
const RECIPIENT_KEYS: ReadonlySet<string> = new Set([...RECIPIENT_IDS, 'name']);
const SENDER_ACTIONS = ['mark_seen', 'typing_on', 'typing_off', 'react', 'unreact'];
const MESSAGING_TYPES = ['RESPONSE', 'UPDATE', 'MESSAGE_TAG', 'UTILITY'];
const TAGS = ['HUMAN_AGENT', 'CUSTOMER_FEEDBACK', 'ACCOUNT_UPDATE', 'CONFIRMED_EVENT_UPDATE', 'POST_PURCHASE_UPDATE'];
// Graph answers these with error 100 since 2026-04-27; utility messages replace them.
const DEPRECATED_TAGS: ReadonlySet<string> = new Set(['ACCOUNT_UPDATE', 'CONFIRMED_EVENT_UPDATE', 'POST_PURCHASE_UPDATE']);

/** Graph's error for a `/messages` body, or undefined when Graph would accept it. */
export function validateGraphSend(body: unknown, file?: UploadedFile): GraphErrorBody | undefined {
  const problem = checkSend(body, file);
  return problem && envelope(problem);
}

/** Graph's error for a `/message_attachments` body (and its file part), or undefined. */
export function validateGraphUpload(body: unknown, file?: UploadedFile): GraphErrorBody | undefined {
  const problem = checkUpload(body, file);
  return problem && envelope(problem);
}

/** The recipient identifier key used in a (valid) recipient object. */
export function recipientKey(recipient: Record<string, unknown>): (typeof RECIPIENT_IDS)[number] | undefined {
  return RECIPIENT_IDS.find((k) => recipient[k] !== undefined);
}

function checkSend(body: unknown, file: UploadedFile | undefined): Check {
  if (!isObject(body)) return missing('recipient');
  const problem = knownKeys(body, undefined, SEND_KEYS) ?? checkRecipient(body.recipient) ?? checkCommon(body);
  if (problem) return problem;
  const hasMessage = body.message !== undefined;
  const hasAction = body.sender_action !== undefined;
  if (hasMessage && hasAction) return graphErrorFields(100, 2018014);
  if (!hasMessage && !hasAction) return invalidParam('Must send either message or state');
  if (hasAction) return file ? invalidParam('Param filedata is not allowed with sender_action') : checkSenderAction(body);
  return checkMessage(body.message, file !== undefined) ?? checkTypeAndTag(body) ?? (file && checkFile(body.message, file));
}

function checkUpload(body: unknown, file: UploadedFile | undefined): Check {
  if (!isObject(body)) return missing('message');
  const message = body.message;
  const problem = knownKeys(body, undefined, UPLOAD_KEYS) ??
    (body.platform === undefined ? undefined : oneOf(body.platform, 'platform', ['instagram', 'messenger'], true)) ??
    requireObject(message, 'message') ??
    (isObject(message) ? knownKeys(message, 'message', new Set(['attachment'])) ?? checkMediaAttachment(message.attachment, 'message[attachment]', file !== undefined) : undefined) ??
    optionalString(body.appsecret_proof, 'appsecret_proof');
  if (problem) return problem;
  return file && checkFile(message, file);
}

function checkRecipient(recipient: unknown): Check {
  const shape = requireObject(recipient, 'recipient');
  if (shape || !isObject(recipient)) return shape;
  const unknown = knownKeys(recipient, 'recipient', RECIPIENT_KEYS);
  if (unknown) return unknown;
  const keys = RECIPIENT_IDS.filter((k) => recipient[k] !== undefined);
  if (keys.length === 0) return invalidParam(`Param recipient must contain one of {${RECIPIENT_IDS.join(', ')}}`);
  if (keys.length > 1) return invalidParam(`Param recipient must contain only one of {${RECIPIENT_IDS.join(', ')}} (got ${keys.join(', ')})`);
  const key = keys[0];
  const value = recipient[key];
  // Clients written in dynamic languages send the PSID as a JSON number; Graph takes it.
  const numericId = key === 'id' && typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
  if (!numericId) {
    const bad = requireString(value, `recipient[${key}]`);
    if (bad) return bad;
  }
  const name = recipient.name;
  if (name === undefined) return undefined;
  if (key !== 'phone_number') return invalidParam('Param recipient[name] is only allowed with recipient[phone_number]');
  return requireObject(name, 'recipient[name]') ?? (isObject(name)
    ? knownKeys(name, 'recipient[name]', new Set(['first_name', 'last_name'])) ??
      optionalString(name.first_name, 'recipient[name][first_name]') ?? optionalString(name.last_name, 'recipient[name][last_name]')
    : undefined);
}

/** Fields that mean the same for messages and sender actions. */
function checkCommon(body: Record<string, unknown>): Check {
  const enumOf = (key: string, allowed: readonly string[]): Check =>
    body[key] === undefined ? undefined : oneOf(body[key], key, allowed, true);
  const problem = enumOf('messaging_type', MESSAGING_TYPES) ??
    enumOf('notification_type', ['REGULAR', 'SILENT_PUSH', 'NO_PUSH']) ??
    enumOf('suggestion_action', ['ACCEPT', 'DISMISS', 'IMPRESSION']) ??
    enumOf('folder', ['PARTNERSHIP']) ??
    optionalString(body.appsecret_proof, 'appsecret_proof');
  if (problem) return problem;
  const persona = body.persona_id;
  if (persona !== undefined && !(typeof persona === 'string' && /^\d+$/.test(persona))) {
    return invalidParam('Param persona_id must be a valid ID string (e.g., "123")');
  }
  const replyTo = body.reply_to;
  if (replyTo !== undefined) {
    const bad = requireObject(replyTo, 'reply_to') ??
      (isObject(replyTo) ? knownKeys(replyTo, 'reply_to', new Set(['mid'])) ?? requireString(replyTo.mid, 'reply_to[mid]') : undefined);
    if (bad) return bad;
  }
  if (body.thread_control !== undefined && !isObject(body.thread_control)) return invalidParam('Param thread_control must be a JSON object');
  return undefined;
}

function checkSenderAction(body: Record<string, unknown>): Check {
  const bad = oneOf(body.sender_action, 'sender_action', SENDER_ACTIONS.map((a) => a.toUpperCase()), true);
  if (bad || typeof body.sender_action !== 'string') return bad;
  const action = body.sender_action.toLowerCase();
  if (body.tag !== undefined) return invalidParam('Param tag is not allowed with sender_action');
  const payload = parseJsonString(body.payload);
  if (action !== 'react' && action !== 'unreact') {
    return payload === undefined ? undefined : invalidParam(`Param payload is only allowed with sender_action react or unreact`);
  }
  const shape = requireObject(payload, 'payload');
  if (shape || !isObject(payload)) return shape;
  const problem = knownKeys(payload, 'payload', new Set(['message_id', 'reaction'])) ?? requireString(payload.message_id, 'payload[message_id]');
  if (problem) return problem;
  return action === 'react' ? requireString(payload.reaction, 'payload[reaction]') : undefined;
}

/** The rules that tie messaging_type, tag and the kind of content together. */
function checkTypeAndTag(body: Record<string, unknown>): Check {
  const type = typeof body.messaging_type === 'string' ? body.messaging_type.toUpperCase() : undefined;
  const tag = body.tag;
  const message = isObject(body.message) ? body.message : {};
  if (tag !== undefined) {
    const bad = oneOf(tag, 'tag', TAGS, true);
    if (bad || typeof tag !== 'string') return bad;
    const upper = tag.toUpperCase();
    if (DEPRECATED_TAGS.has(upper)) {
      return invalidParam(`The tag ${upper} is deprecated and can no longer be used since April 27, 2026. Use utility messages instead.`);
    }
    // Leniency: a tag without messaging_type is taken as MESSAGE_TAG, as old clients send it.
    if (type !== undefined && type !== 'MESSAGE_TAG') return invalidParam(`Param tag is only allowed when messaging_type is MESSAGE_TAG (got ${type})`);
    if (upper === 'CUSTOMER_FEEDBACK' && templateType(message) !== 'customer_feedback') {
      return invalidParam('The tag CUSTOMER_FEEDBACK can only be used with the customer_feedback template');
    }
  } else if (type === 'MESSAGE_TAG') {
    return invalidParam('The parameter tag is required when messaging_type is MESSAGE_TAG');
  }
  const isUtility = message.template !== undefined;
  if (type === 'UTILITY' && !isUtility) return invalidParam('Utility messages (messaging_type UTILITY) require message[template]');
  if (type !== 'UTILITY' && isUtility) return invalidParam('Param message[template] is only allowed when messaging_type is UTILITY');
  return undefined;
}

/** Graph's checks of an uploaded file against the attachment type it is sent as. */
function checkFile(message: unknown, file: UploadedFile): Check {
  if (file.size > MAX_UPLOAD_BYTES) return graphErrorFields(100, 2018109);
  const attachment = isObject(message) ? message.attachment : undefined;
  const type = isObject(attachment) && typeof attachment.type === 'string' ? attachment.type.toLowerCase() : undefined;
  if (type === 'audio' && !/^audio\//i.test(file.contentType)) return graphErrorFields(100, 2018047);
  return undefined;
}

function templateType(message: Record<string, unknown>): unknown {
  const attachment = message.attachment;
  return isObject(attachment) && isObject(attachment.payload) ? attachment.payload.template_type : undefined;
}

/** The `payload.message_id` of a react or unreact (a body that passed validation), else undefined. */
export function reactionTarget(body: Record<string, unknown>): string | undefined {
  const action = typeof body.sender_action === 'string' ? body.sender_action.toLowerCase() : undefined;
  if (action !== 'react' && action !== 'unreact') return undefined;
  const payload = parseJsonString(body.payload);
  return isObject(payload) && typeof payload.message_id === 'string' ? payload.message_id : undefined;
}

/** Top-level `payload` is documented as a JSON string; a JSON body may nest the object. */
function parseJsonString(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

export type { GraphErrorBody, GraphErrorFields };
