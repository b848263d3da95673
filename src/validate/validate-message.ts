import type { Attachment, ImageAttachments, MediaAttachment, Message, QuickReply } from '../../gen/messenger/v1/message';
import { QuickReply_ContentType, Sticker_Kind } from '../../gen/messenger/v1/message';
import { MediaType } from '../../gen/messenger/v1/enums';
import { IMAGES_MAX, METADATA_LIMIT, QUICK_REPLIES_MAX, QUICK_REPLY_PAYLOAD_MAX, QUICK_REPLY_TITLE_MAX, TEXT_LIMIT } from '../limits/graph-limits';
import { checkCount, checkEnum, checkFewerChars, checkMaxChars, checkRequired, checkUrl, walkCount } from './field-checks';
import { checkTemplate } from './validate-template';
import { checkUtilityTemplate } from './validate-utility-template';
import type { ViolationList } from './violation-list';


/**
 * The `message` object on its own: content, quick replies and metadata. The rules that
 * tie it to messaging_type or tag live in validate-send-message.ts.
 */
export function checkMessage(out: ViolationList, field: string, message: Message): void {
  const content = message.content;
  if (content === undefined) {
    out.add(field, 'must set one kind of content: text, attachment, attachments or template');
  } else {
    switch (content.$case) {
      case 'text':
        if (checkRequired(out, `${field}.text`, content.value)) {
          checkFewerChars(out, `${field}.text`, content.value, TEXT_LIMIT);
        }
        break;
      case 'attachment':
        checkAttachment(out, `${field}.attachment`, content.value);
        break;
      case 'attachments':
        checkImages(out, `${field}.attachments`, content.value);
        break;
      case 'template':
        checkUtilityTemplate(out, `${field}.template`, content.value);
        break;
    }
  }
  checkCount(out, `${field}.quick_replies`, message.quickReplies.length, 0, QUICK_REPLIES_MAX, 'quick replies');
  for (let i = 0; i < walkCount(message.quickReplies); i++) {
    checkQuickReply(out, `${field}.quick_replies[${i}]`, message.quickReplies[i]);
  }
  checkFewerChars(out, `${field}.metadata`, message.metadata, METADATA_LIMIT);
}

function checkAttachment(out: ViolationList, field: string, attachment: Attachment): void {
  const kind = attachment.kind;
  if (kind === undefined) out.add(field, 'must set one kind: media, template, sticker or media_share');
  else if (kind.$case === 'media') checkMedia(out, `${field}.media`, kind.value);
  else if (kind.$case === 'template') checkTemplate(out, `${field}.template`, kind.value);
  else if (kind.$case === 'sticker') checkEnum(out, `${field}.sticker.kind`, Sticker_Kind, kind.value.kind, true);
  else if (!/^\d{1,32}$/.test(kind.value.postId)) out.add(`${field}.media_share.post_id`, kind.value.postId === '' ? 'is required: the numeric id of one of the account\'s posts' : 'must be the numeric id (1 to 32 digits) of one of the account\'s posts');
}

function checkMedia(out: ViolationList, field: string, media: MediaAttachment): void {
  checkEnum(out, `${field}.type`, MediaType, media.type, true);
  const source = media.source;
  if (source === undefined) {
    out.add(field, 'must set one of url or attachment_id');
  } else if (source.$case === 'url') {
    checkUrl(out, `${field}.url`, source.value, { required: true });
  } else {
    checkRequired(out, `${field}.attachment_id`, source.value);
  }
  // Graph keeps only media it fetched itself; an attachment id is already stored.
  if (media.isReusable && source?.$case !== 'url') {
    out.add(`${field}.is_reusable`, 'may be set only with url');
  }
}

function checkImages(out: ViolationList, field: string, attachments: ImageAttachments): void {
  const images = attachments.images;
  checkCount(out, `${field}.images`, images.length, 1, IMAGES_MAX, 'images');
  for (let i = 0; i < walkCount(images); i++) {
    const path = `${field}.images[${i}]`;
    const source = images[i].source;
    if (source === undefined) out.add(path, 'must set one of url or attachment_id');
    else if (source.$case === 'url') checkUrl(out, `${path}.url`, source.value, { required: true });
    else checkRequired(out, `${path}.attachment_id`, source.value);
  }
}

function checkQuickReply(out: ViolationList, field: string, qr: QuickReply): void {
  const known = checkEnum(out, `${field}.content_type`, QuickReply_ContentType, qr.contentType, true);
  checkMaxChars(out, `${field}.title`, qr.title, QUICK_REPLY_TITLE_MAX);
  checkMaxChars(out, `${field}.payload`, qr.payload, QUICK_REPLY_PAYLOAD_MAX);
  checkUrl(out, `${field}.image_url`, qr.imageUrl);
  if (!known) return;
  if (qr.contentType === QuickReply_ContentType.CONTENT_TYPE_TEXT) {
    // An icon can stand in for the title, and then the payload may be empty too.
    if (qr.imageUrl === '') {
      if (qr.title === '') out.add(`${field}.title`, 'is required for CONTENT_TYPE_TEXT unless image_url is set');
      if (qr.payload === '') out.add(`${field}.payload`, 'is required for CONTENT_TYPE_TEXT unless image_url is set');
    }
  } else {
    // Phone number and email quick replies are filled in by Messenger itself.
    const type = QuickReply_ContentType[qr.contentType];
    if (qr.title !== '') out.add(`${field}.title`, `must be unset for ${type}`);
    if (qr.payload !== '') out.add(`${field}.payload`, `must be unset for ${type}`);
    if (qr.imageUrl !== '') out.add(`${field}.image_url`, `must be unset for ${type}`);
  }
}
