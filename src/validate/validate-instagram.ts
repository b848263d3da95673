// What an Instagram account may not send, checked before Graph (Meta's instagram-messaging
// send-message page): every rule here is reported as a violation of its field, so that one answer
// lists them all (NOT_SUPPORTED_ON_INSTAGRAM).

import { MediaType, MessageTag, MessagingType } from '../../gen/messenger/v1/enums';
import type { MediaAttachment, Message } from '../../gen/messenger/v1/message';
import type { SendMessageRequest, SendSenderActionRequest, UploadMetadata } from '../../gen/messenger/v1/service';
import { INSTAGRAM_MEDIA, INSTAGRAM_TEXT_MAX_BYTES } from '../limits/graph-limits';
import type { FieldViolation } from './field-violation';
import { ViolationList } from './violation-list';

const TEMPLATES_NOT_ON_INSTAGRAM: Readonly<Record<string, string>> = {
  receipt: 'receipt templates', media: 'media templates', coupon: 'coupon templates', customerFeedback: 'customer feedback templates',
};
const TEMPLATE_FIELD: Readonly<Record<string, string>> = { customerFeedback: 'customer_feedback' };

/** The Instagram kind of a media type, or undefined for an unset one (validation's). */
export function instagramMediaKind(type: MediaType): keyof typeof INSTAGRAM_MEDIA | undefined {
  switch (type) {
    case MediaType.MEDIA_TYPE_IMAGE: return 'image';
    case MediaType.MEDIA_TYPE_AUDIO: return 'audio';
    case MediaType.MEDIA_TYPE_VIDEO: return 'video';
    case MediaType.MEDIA_TYPE_FILE: return 'file';
    default: return undefined;
  }
}

/** Every rule of Instagram a SendMessageRequest breaks (its other rules are validateSendMessage's). */
export function instagramSendViolations(req: SendMessageRequest): FieldViolation[] {
  const out = new ViolationList();
  const r = req.recipient?.identifier;
  if (r !== undefined && r.$case !== 'id' && r.$case !== 'commentId') {
    out.add(`recipient.${snake(r.$case)}`, 'is not available on Instagram: send to an Instagram-scoped id (recipient.id) or reply privately to a comment (recipient.comment_id)');
  }
  if (req.message) checkInstagramMessage(out, 'message', req.message);
  if (req.messagingType === MessagingType.MESSAGING_TYPE_UTILITY) {
    out.add('messaging_type', 'MESSAGING_TYPE_UTILITY is not available on Instagram: utility messages exist for Messenger Pages only');
  }
  if (req.tag !== MessageTag.MESSAGE_TAG_UNSPECIFIED && req.tag !== MessageTag.MESSAGE_TAG_HUMAN_AGENT) {
    out.add('tag', `${MessageTag[req.tag] ?? req.tag} is not available on Instagram: MESSAGE_TAG_HUMAN_AGENT is Instagram's only tag`);
  }
  if (req.personaId !== '') out.add('persona_id', 'personas are not available on Instagram: Meta documents them for Messenger Pages only');
  return out.items;
}

/** Instagram's rules of a sender action: no personas. */
export function instagramSenderActionViolations(req: SendSenderActionRequest): FieldViolation[] {
  const out = new ViolationList();
  const r = req.recipient?.identifier;
  if (r !== undefined && r.$case !== 'id') out.add(`recipient.${snake(r.$case)}`, 'is not available on Instagram: a sender action goes to an Instagram-scoped id (recipient.id)');
  if (req.personaId !== '') out.add('persona_id', 'personas are not available on Instagram: Meta documents them for Messenger Pages only');
  return out.items;
}

/** What only Instagram has: refused for a Messenger Page. */
export function messengerSendViolations(req: SendMessageRequest): FieldViolation[] {
  const content = req.message?.content;
  if (content?.$case !== 'attachment') return [];
  const kind = content.value.kind;
  if (kind?.$case === 'sticker') return [{ field: 'message.attachment.sticker', description: 'is Instagram only (the like_heart sticker): this account is a Messenger Page' }];
  if (kind?.$case === 'mediaShare') return [{ field: 'message.attachment.media_share', description: 'is Instagram only (a shared post): this account is a Messenger Page' }];
  return [];
}

function checkInstagramMessage(out: ViolationList, field: string, message: Message): void {
  const content = message.content;
  if (content?.$case === 'text') {
    const bytes = Buffer.byteLength(content.value, 'utf8');
    if (bytes > INSTAGRAM_TEXT_MAX_BYTES) out.add(`${field}.text`, `is ${bytes} bytes of UTF-8: Instagram takes at most ${INSTAGRAM_TEXT_MAX_BYTES}`);
  } else if (content?.$case === 'attachment') {
    const kind = content.value.kind;
    if (kind?.$case === 'template') {
      const t = kind.value.kind?.$case;
      if (t !== undefined && t in TEMPLATES_NOT_ON_INSTAGRAM) {
        out.add(`${field}.attachment.template.${TEMPLATE_FIELD[t] ?? t}`, `${TEMPLATES_NOT_ON_INSTAGRAM[t]} are not available on Instagram (generic, button and product templates are)`);
      }
    } else if (kind?.$case === 'media') {
      checkInstagramMedia(out, `${field}.attachment.media`, kind.value);
    }
  } else if (content?.$case === 'attachments') {
    for (let i = 0; i < content.value.images.length && i < 1_000; i++) {
      const source = content.value.images[i].source;
      if (source?.$case === 'url') checkFormat(out, `${field}.attachments.images[${i}].url`, 'image', source.value, false);
    }
  }
}

function checkInstagramMedia(out: ViolationList, field: string, media: MediaAttachment): void {
  const kind = instagramMediaKind(media.type);
  if (kind === undefined) return;
  if (!INSTAGRAM_MEDIA[kind].send) {
    out.add(`${field}.type`, `${MediaType[media.type]} is not available on Instagram: a message carries an image (png, jpeg), audio (aac, m4a, wav, mp4) or video (mp4, ogg, avi, mov, webm)`);
    return;
  }
  if (media.source?.$case === 'url') checkFormat(out, `${field}.url`, kind, media.source.value, false);
}

/**
 * The format a URL's or file name's extension names, refused when Instagram's table lacks it
 * for that media type. Without an extension nothing is known here: Graph decides.
 */
export function checkFormat(out: ViolationList, field: string, kind: keyof typeof INSTAGRAM_MEDIA, urlOrName: string, upload: boolean): void {
  const ext = extensionOf(urlOrName);
  if (ext === undefined) return;
  const allowed = upload ? INSTAGRAM_MEDIA[kind].uploadFormats : INSTAGRAM_MEDIA[kind].formats;
  if (!allowed.includes(ext)) out.add(field, `a .${ext} ${kind} is not available on Instagram: ${kind} formats are ${allowed.join(', ') || 'none'}`);
}

function extensionOf(urlOrName: string): string | undefined {
  let path = urlOrName;
  try {
    path = new URL(urlOrName).pathname;
  } catch {
    // a file name, not a URL
  }
  const m = /\.([A-Za-z0-9]{1,8})$/.exec(path);
  return m ? m[1].toLowerCase() : undefined;
}

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** Instagram's upload table: the type's formats (by file name or URL) and its largest size. */
export function instagramUploadViolations(meta: UploadMetadata): FieldViolation[] {
  const out = new ViolationList();
  const kind = instagramMediaKind(meta.type);
  if (kind === undefined) return out.items;
  const source = meta.source;
  if (source?.$case === 'url') checkFormat(out, 'metadata.url', kind, source.value, true);
  if (source?.$case === 'file') {
    checkFormat(out, 'metadata.file.filename', kind, source.value.filename, true);
    const size = source.value.size === undefined ? undefined : Number(source.value.size);
    const max = INSTAGRAM_MEDIA[kind].maxBytes;
    if (size !== undefined && size > max) out.add('metadata.file.size', `${size} bytes: an Instagram ${kind} is at most ${max} bytes`);
  }
  return out.items;
}

/** The largest file of an upload's type on Instagram (undefined: an unset type, validation's). */
export function instagramUploadMaxBytes(type: MediaType): number | undefined {
  const kind = instagramMediaKind(type);
  return kind === undefined ? undefined : INSTAGRAM_MEDIA[kind].maxBytes;
}
