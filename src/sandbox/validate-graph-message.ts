// The `message` object of a send: content (text, attachment, attachments, utility template),
// quick replies and metadata, as Graph checks them.

import { IMAGES_MAX, METADATA_LIMIT, QUICK_REPLIES_MAX, QUICK_REPLY_PAYLOAD_MAX, QUICK_REPLY_TITLE_MAX, TEXT_LIMIT } from '../limits/graph-limits';
import { invalidParam } from './graph-errors';
import { type Check, chars, each, isObject, knownKeys, missing, oneOf, optionalArray, optionalBoolean, optionalString, requireArray, requireObject, requireString, optionalUrl } from './json-checks';
import { checkTemplatePayload } from './validate-graph-template';

const CONTENT_KEYS = ['text', 'attachment', 'attachments', 'template'] as const;
const MESSAGE_KEYS: ReadonlySet<string> = new Set([...CONTENT_KEYS, 'quick_replies', 'metadata']);
/** The attachment types that carry media (everything but `template`). */
export const MEDIA_TYPES = ['image', 'audio', 'video', 'file'] as const;

/** The kind of content a valid message carries. */
export type ContentKind = (typeof CONTENT_KEYS)[number];

/** Checks `message`; `hasFile` says a multipart `filedata` part supplies the media. */
export function checkMessage(message: unknown, hasFile: boolean): Check {
  const shape = requireObject(message, 'message');
  if (shape || !isObject(message)) return shape;
  const unknown = knownKeys(message, 'message', MESSAGE_KEYS);
  if (unknown) return unknown;
  const kinds = CONTENT_KEYS.filter((k) => message[k] !== undefined);
  if (kinds.length === 0) return invalidParam('Message cannot be empty, must provide valid attachment or text');
  if (kinds.length > 1) return invalidParam(`Only one of message[text], message[attachment], message[attachments] or message[template] may be set (got ${kinds.join(', ')})`);
  if (hasFile && kinds[0] !== 'attachment') return invalidParam('An uploaded file (filedata) needs a media message[attachment]');
  return checkContent(message, kinds[0], hasFile) ??
    checkMetadata(message.metadata) ??
    optionalArray(message.quick_replies, 'message[quick_replies]', 0, QUICK_REPLIES_MAX) ??
    each(message.quick_replies, 'message[quick_replies]', checkQuickReply);
}

/** A media attachment `{type, payload: {url | attachment_id, is_reusable?}}`. */
export function checkMediaAttachment(attachment: unknown, name: string, hasFile: boolean, types: readonly string[] = MEDIA_TYPES): Check {
  const shape = requireObject(attachment, name);
  if (shape || !isObject(attachment)) return shape;
  if (attachment.type === undefined) return missing(`${name}[type]`);
  return oneOf(attachment.type, `${name}[type]`, types, true) ?? checkMediaPayload(attachment.payload, `${name}[payload]`, hasFile);
}

function checkContent(message: Record<string, unknown>, kind: ContentKind, hasFile: boolean): Check {
  switch (kind) {
    case 'text': {
      const text = message.text;
      if (typeof text !== 'string') return invalidParam('Param message[text] must be a string');
      if (text === '') return invalidParam('Message cannot be empty, must provide valid attachment or text');
      if (chars(text) >= TEXT_LIMIT) return invalidParam(`Length of param message[text] must be less than ${TEXT_LIMIT} characters`);
      return undefined;
    }
    case 'attachment':
      return checkAttachment(message.attachment, hasFile);
    case 'attachments':
      return requireArray(message.attachments, 'message[attachments]', 1, IMAGES_MAX) ??
        each(message.attachments, 'message[attachments]', (a, n) => checkMediaAttachment(a, n, false, ['image']));
    case 'template':
      return checkUtilityTemplate(message.template);
  }
}

function checkAttachment(attachment: unknown, hasFile: boolean): Check {
  const name = 'message[attachment]';
  const shape = requireObject(attachment, name);
  if (shape || !isObject(attachment)) return shape;
  if (typeof attachment.type === 'string' && attachment.type.toLowerCase() === 'template') {
    if (hasFile) return invalidParam('An uploaded file (filedata) needs a media message[attachment]');
    return checkTemplatePayload(attachment.payload, `${name}[payload]`);
  }
  return checkMediaAttachment(attachment, name, hasFile, [...MEDIA_TYPES, 'template']);
}

function checkMediaPayload(payload: unknown, name: string, hasFile: boolean): Check {
  if (payload === undefined && hasFile) return undefined;
  const shape = requireObject(payload, name);
  if (shape || !isObject(payload)) return shape;
  const reusable = optionalBoolean(payload.is_reusable, `${name}[is_reusable]`);
  if (reusable) return reusable;
  const hasUrl = payload.url !== undefined;
  const hasId = payload.attachment_id !== undefined;
  if (hasFile) {
    return hasUrl || hasId ? invalidParam(`Param ${name} must not set url or attachment_id when a file is uploaded`) : undefined;
  }
  if (!hasUrl && !hasId) return invalidParam(`Param ${name} requires one of url or attachment_id`);
  if (hasUrl && hasId) return invalidParam(`Param ${name} must set only one of url or attachment_id`);
  if (hasId) {
    const id = payload.attachment_id;
    const ok = (typeof id === 'string' && id !== '') || (typeof id === 'number' && Number.isSafeInteger(id));
    return ok ? undefined : invalidParam(`Param ${name}[attachment_id] must be a valid attachment id`);
  }
  const url = payload.url;
  const problem = requireString(url, `${name}[url]`);
  if (problem) return problem;
  return typeof url === 'string' && /^https?:\/\/[^\s/]+/i.test(url) ? undefined : invalidParam(`Param ${name}[url] must be a valid URL`);
}

function checkMetadata(metadata: unknown): Check {
  if (metadata === undefined) return undefined;
  if (typeof metadata !== 'string') return invalidParam('Param message[metadata] must be a string');
  if (chars(metadata) >= METADATA_LIMIT) return invalidParam(`Length of param message[metadata] must be less than ${METADATA_LIMIT} characters`);
  return undefined;
}

function checkQuickReply(qr: unknown, name: string): Check {
  const shape = requireObject(qr, name);
  if (shape || !isObject(qr)) return shape;
  if (qr.content_type === undefined) return missing(`${name}[content_type]`);
  const type = oneOf(qr.content_type, `${name}[content_type]`, ['text', 'user_phone_number', 'user_email']);
  if (type || qr.content_type !== 'text') return type;
  const payload = typeof qr.payload === 'number' ? String(qr.payload) : qr.payload;
  const problem = optionalUrl(qr.image_url, `${name}[image_url]`) ??
    optionalString(qr.title, `${name}[title]`, QUICK_REPLY_TITLE_MAX) ??
    optionalString(payload, `${name}[payload]`, QUICK_REPLY_PAYLOAD_MAX);
  if (problem) return problem;
  // An icon can stand in for the title, and then the payload may be empty too.
  if (!qr.image_url) {
    if (!qr.title) return missing(`${name}[title]`);
    if (payload === undefined || payload === '') return missing(`${name}[payload]`);
  }
  return undefined;
}

function checkUtilityTemplate(template: unknown): Check {
  const name = 'message[template]';
  const shape = requireObject(template, name);
  if (shape || !isObject(template)) return shape;
  const language = template.language;
  return requireString(template.name, `${name}[name]`) ??
    requireObject(language, `${name}[language]`) ??
    (isObject(language) ? requireString(language.code, `${name}[language][code]`) : undefined) ??
    optionalArray(template.components, `${name}[components]`, 0, Number.MAX_SAFE_INTEGER) ??
    each(template.components, `${name}[components]`, checkComponent);
}

function checkComponent(component: unknown, name: string): Check {
  const shape = requireObject(component, name);
  if (shape || !isObject(component)) return shape;
  if (component.type === undefined) return missing(`${name}[type]`);
  return oneOf(component.type, `${name}[type]`, ['header', 'body', 'title', 'buttons'], true) ??
    optionalArray(component.parameters, `${name}[parameters]`, 0, Number.MAX_SAFE_INTEGER) ??
    each(component.parameters, `${name}[parameters]`, checkParameter);
}

function checkParameter(parameter: unknown, name: string): Check {
  const shape = requireObject(parameter, name);
  if (shape || !isObject(parameter)) return shape;
  if (parameter.type === undefined) return missing(`${name}[type]`);
  const type = oneOf(parameter.type, `${name}[type]`, ['text', 'postback', 'url'], true);
  if (type || typeof parameter.type !== 'string') return type;
  const field = ({ text: 'text', postback: 'payload', url: 'url' } as const)[parameter.type.toLowerCase() as 'text' | 'postback' | 'url'];
  return requireString(parameter[field], `${name}[${field}]`) ?? optionalString(parameter.parameter_name, `${name}[parameter_name]`);
}
