import { MediaType } from '../../gen/messenger/v1/enums';
import {
  QuickReply_ContentType,
  type ImageSource,
  type MediaAttachment,
  type Message,
  type QuickReply,
} from '../../gen/messenger/v1/message';
import { UtilityComponent_ComponentType, type UtilityParameter, type UtilityTemplate } from '../../gen/messenger/v1/template';
import { unvalidated } from './to-graph-buttons';
import { toGraphTemplatePayload } from './to-graph-templates';
import type {
  GraphMediaAttachment,
  GraphMediaPayload,
  GraphMediaType,
  GraphMessage,
  GraphQuickReply,
  GraphUtilityParameter,
  GraphUtilityTemplate,
} from './to-graph-types';

/** `attachment.type` and the upload `type`, by MediaType. */
export const MEDIA_TYPE: Readonly<Partial<Record<MediaType, GraphMediaType>>> = {
  [MediaType.MEDIA_TYPE_IMAGE]: 'image',
  [MediaType.MEDIA_TYPE_AUDIO]: 'audio',
  [MediaType.MEDIA_TYPE_VIDEO]: 'video',
  [MediaType.MEDIA_TYPE_FILE]: 'file',
};

const CONTENT_TYPE: Readonly<Partial<Record<QuickReply_ContentType, GraphQuickReply['content_type']>>> = {
  [QuickReply_ContentType.CONTENT_TYPE_TEXT]: 'text',
  [QuickReply_ContentType.CONTENT_TYPE_USER_PHONE_NUMBER]: 'user_phone_number',
  [QuickReply_ContentType.CONTENT_TYPE_USER_EMAIL]: 'user_email',
};

type GraphComponentType = NonNullable<GraphUtilityTemplate['components']>[number]['type'];
const COMPONENT_TYPE: Readonly<Partial<Record<UtilityComponent_ComponentType, GraphComponentType>>> = {
  [UtilityComponent_ComponentType.COMPONENT_TYPE_HEADER]: 'header',
  [UtilityComponent_ComponentType.COMPONENT_TYPE_BODY]: 'body',
  [UtilityComponent_ComponentType.COMPONENT_TYPE_BUTTONS]: 'buttons',
};

/** `message`: the content, then `quick_replies` and `metadata` when set. */
export function toGraphMessage(m: Message): GraphMessage {
  const content = m.content ?? unvalidated('message content');
  let out: GraphMessage;
  switch (content.$case) {
    case 'text':
      out = { text: content.value };
      break;
    case 'attachment': {
      const kind = content.value.kind ?? unvalidated('message.attachment');
      switch (kind.$case) {
        case 'media':
          out = { attachment: mediaAttachment(kind.value) };
          break;
        case 'template':
          out = { attachment: { type: 'template', payload: toGraphTemplatePayload(kind.value, 'message.attachment.template') } };
          break;
        case 'sticker':
          // The only sticker of the contract: validation refuses an unset kind.
          out = { attachment: { type: 'like_heart' } };
          break;
        case 'mediaShare':
          out = { attachment: { type: 'MEDIA_SHARE', payload: { id: kind.value.postId } } };
          break;
      }
      break;
    }
    case 'attachments': {
      // Graph takes several images as a list of ordinary image attachments.
      const images = content.value.images;
      const attachments = new Array<GraphMediaAttachment>(images.length);
      for (let i = 0; i < images.length; i++) attachments[i] = { type: 'image', payload: imagePayload(images[i]) };
      out = { attachments };
      break;
    }
    case 'template':
      out = { template: toGraphUtilityTemplate(content.value) };
      break;
  }
  if (m.quickReplies.length > 0) out.quick_replies = m.quickReplies.map(quickReply);
  if (m.metadata !== '') out.metadata = m.metadata;
  return out;
}

function mediaAttachment(media: MediaAttachment): GraphMediaAttachment {
  const type = MEDIA_TYPE[media.type] ?? unvalidated('message.attachment.media.type');
  const source = media.source ?? unvalidated('message.attachment.media');
  const payload: GraphMediaPayload = source.$case === 'url' ? { url: source.value } : { attachment_id: source.value };
  if (media.isReusable) payload.is_reusable = true;
  return { type, payload };
}

function imagePayload(image: ImageSource): GraphMediaPayload {
  const source = image.source ?? unvalidated('message.attachments.images');
  return source.$case === 'url' ? { url: source.value } : { attachment_id: source.value };
}

function quickReply(qr: QuickReply): GraphQuickReply {
  const out: GraphQuickReply = { content_type: CONTENT_TYPE[qr.contentType] ?? unvalidated('quick reply content_type') };
  if (qr.title !== '') out.title = qr.title;
  if (qr.payload !== '') out.payload = qr.payload;
  if (qr.imageUrl !== '') out.image_url = qr.imageUrl;
  return out;
}

/** `message.template` of a utility message. */
export function toGraphUtilityTemplate(t: UtilityTemplate): GraphUtilityTemplate {
  const out: GraphUtilityTemplate = { name: t.name, language: { code: t.languageCode } };
  if (t.components.length > 0) {
    out.components = t.components.map((c) => {
      const type = COMPONENT_TYPE[c.type] ?? unvalidated('message.template component type');
      return c.parameters.length > 0 ? { type, parameters: c.parameters.map(utilityParameter) } : { type };
    });
  }
  return out;
}

function utilityParameter(p: UtilityParameter): GraphUtilityParameter {
  const kind = p.kind ?? unvalidated('message.template parameter');
  let out: GraphUtilityParameter;
  // Graph spells the button parameter types in upper case, the text type in lower case.
  switch (kind.$case) {
    case 'text':
      out = { type: 'text', text: kind.value };
      break;
    case 'postbackPayload':
      out = { type: 'POSTBACK', payload: kind.value };
      break;
    case 'urlSuffix':
      out = { type: 'URL', url: kind.value };
      break;
  }
  if (p.parameterName !== '') out.parameter_name = p.parameterName;
  return out;
}
