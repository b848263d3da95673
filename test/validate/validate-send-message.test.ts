import { describe, expect, it } from 'vitest';
import { MediaType, MessageTag, MessagingType } from '../../gen/messenger/v1/enums';
import { QuickReply_ContentType } from '../../gen/messenger/v1/message';
import type { SendMessageRequest } from '../../gen/messenger/v1/service';
import { validateSendMessage } from '../../src/validate/validate-send-message';
import { isPageConfigured, sendMessage, unknownEnum, VALID_MESSAGES, withMessage, withTemplate } from './requests';

const validate = (req: SendMessageRequest) => validateSendMessage(req, isPageConfigured);
const text = (value: string) => ({ content: { $case: 'text' as const, value } });
const media = (value: object) => ({ content: { $case: 'attachment' as const, value: { kind: { $case: 'media' as const, value } } } });

describe('validateSendMessage accepts', () => {
  it.each(Object.entries(VALID_MESSAGES))('%s', (_name, req) => {
    expect(validate(req)).toEqual([]);
  });

  it('text of 1999 code points, even when emoji make it longer in UTF-16', () => {
    expect(validate(withMessage(text('😊'.repeat(1999))))).toEqual([]);
  });
});

// Each case: a request that breaks one rule, and the one violation expected.
const cases: [string, SendMessageRequest, string, string | RegExp][] = [
  ['messaging_type unset (Meta requires it)', withMessage(text('hi'), { messagingType: MessagingType.MESSAGING_TYPE_UNSPECIFIED }), 'messaging_type',
    /^is required: one of MESSAGING_TYPE_RESPONSE .*MESSAGING_TYPE_UPDATE .*MESSAGING_TYPE_MESSAGE_TAG .*MESSAGING_TYPE_UTILITY /],
  ['page_id missing', sendMessage({ pageId: '', message: text('hi') }), 'page_id', 'is required'],
  ['page_id unknown', sendMessage({ pageId: '999', message: text('hi') }), 'page_id', 'page 999 is not configured in this gateway'],
  ['page_id of 40,000 characters, not echoed', sendMessage({ pageId: '9'.repeat(40_000), message: text('hi') }), 'page_id', 'must be a Page id of at most 20 digits (got 40000 characters)'],
  ['recipient missing', sendMessage({ recipient: undefined, message: text('hi') }), 'recipient', 'is required'],
  ['recipient without identifier', sendMessage({ recipient: {}, message: text('hi') }), 'recipient', /must set one identifier/],
  ['recipient id empty', sendMessage({ recipient: { identifier: { $case: 'id', value: '' } }, message: text('hi') }), 'recipient.id', 'is required'],
  ['recipient user_ref empty', sendMessage({ recipient: { identifier: { $case: 'userRef', value: '' } }, message: text('hi') }), 'recipient.user_ref', 'is required'],
  ['recipient one_time_notif_token empty', sendMessage({ recipient: { identifier: { $case: 'oneTimeNotifToken', value: '' } }, message: text('hi') }), 'recipient.one_time_notif_token', 'is required'],
  ['recipient id of a megabyte', sendMessage({ recipient: { identifier: { $case: 'id', value: '😀'.repeat(250_000) } }, message: text('hi') }), 'recipient.id', /at most 256 characters/],
  ['recipient post_id of 300 digits', sendMessage({ recipient: { identifier: { $case: 'postId', value: '7'.repeat(300) } }, message: text('hi') }), 'recipient.post_id', /at most 256 characters/],
  ['phone recipient without number', sendMessage({ recipient: { identifier: { $case: 'phoneNumber', value: { firstName: 'Ada' } } }, message: text('hi') }), 'recipient.phone_number.phone_number', 'is required'],
  ['message missing', sendMessage({}), 'message', 'is required'],
  ['message without content', withMessage({}), 'message', /must set one kind of content/],
  ['text empty', withMessage(text('')), 'message.text', 'is required'],
  ['text of 2000 characters', withMessage(text('a'.repeat(2000))), 'message.text', 'must be fewer than 2000 characters (got 2000)'],
  ['text of 2301 characters', withMessage(text('é'.repeat(2301))), 'message.text', 'must be fewer than 2000 characters (got 2301)'],
  ['metadata of 1000 characters', withMessage({ ...text('hi'), metadata: 'm'.repeat(1000) }), 'message.metadata', 'must be fewer than 1000 characters (got 1000)'],
  ['14 quick replies', withMessage({ ...text('hi'), quickReplies: Array.from({ length: 14 }, () => ({ contentType: 2 })) }), 'message.quick_replies', 'at most 13 quick replies (got 14)'],
  ['quick reply without content_type', withMessage({ ...text('hi'), quickReplies: [{ title: 'a', payload: 'b' }] }), 'message.quick_replies[0].content_type', 'is required'],
  ['quick reply with unknown content_type', withMessage({ ...text('hi'), quickReplies: [{ contentType: unknownEnum(9) }] }), 'message.quick_replies[0].content_type', 'must be a known value (got 9)'],
  ['text quick reply without title', withMessage({ ...text('hi'), quickReplies: [{ contentType: 1, payload: 'P' }] }), 'message.quick_replies[0].title', /is required for CONTENT_TYPE_TEXT/],
  ['text quick reply without payload', withMessage({ ...text('hi'), quickReplies: [{ contentType: 1, title: 'T' }] }), 'message.quick_replies[0].payload', /is required for CONTENT_TYPE_TEXT/],
  ['quick reply title of 21', withMessage({ ...text('hi'), quickReplies: [{ contentType: 1, title: 't'.repeat(21), payload: 'P' }] }), 'message.quick_replies[0].title', 'must be at most 20 characters (got 21)'],
  ['quick reply payload of 1001', withMessage({ ...text('hi'), quickReplies: [{ contentType: 1, title: 'T', payload: 'p'.repeat(1001) }] }), 'message.quick_replies[0].payload', 'must be at most 1000 characters (got 1001)'],
  ['quick reply image_url not a URL', withMessage({ ...text('hi'), quickReplies: [{ contentType: 1, imageUrl: 'red.png' }] }), 'message.quick_replies[0].image_url', 'must be an absolute http(s) URL'],
  ['email quick reply with title', withMessage({ ...text('hi'), quickReplies: [{ contentType: QuickReply_ContentType.CONTENT_TYPE_USER_EMAIL, title: 'Mail' }] }), 'message.quick_replies[0].title', 'must be unset for CONTENT_TYPE_USER_EMAIL'],
  ['unknown messaging_type', withMessage(text('hi'), { messagingType: MessagingType.UNRECOGNIZED }), 'messaging_type', 'must be a known value (got -1)'],
  ['out-of-range messaging_type', withMessage(text('hi'), { messagingType: unknownEnum(17) }), 'messaging_type', 'must be a known value (got 17)'],
  ['unknown notification_type', withMessage(text('hi'), { notificationType: -1 }), 'notification_type', 'must be a known value (got -1)'],
  ['unknown tag', withMessage(text('hi'), { messagingType: 3, tag: unknownEnum(42) }), 'tag', 'must be a known value (got 42)'],
  ['MESSAGE_TAG without tag', withMessage(text('hi'), { messagingType: MessagingType.MESSAGING_TYPE_MESSAGE_TAG }), 'tag', 'is required when messaging_type is MESSAGING_TYPE_MESSAGE_TAG'],
  ['tag with RESPONSE', withMessage(text('hi'), { tag: MessageTag.MESSAGE_TAG_HUMAN_AGENT }), 'tag', 'must be unset unless messaging_type is MESSAGING_TYPE_MESSAGE_TAG'],
  ['CUSTOMER_FEEDBACK tag on text', withMessage(text('hi'), { messagingType: 3, tag: MessageTag.MESSAGE_TAG_CUSTOMER_FEEDBACK }), 'tag', /only with a customer_feedback template/],
  ['utility template without UTILITY', withMessage({ content: { $case: 'template', value: { name: 'n', languageCode: 'en_US' } } }), 'message.template', 'must be unset unless messaging_type is MESSAGING_TYPE_UTILITY'],
  ['UTILITY without template', withMessage(text('hi'), { messagingType: MessagingType.MESSAGING_TYPE_UTILITY }), 'message.template', 'is required when messaging_type is MESSAGING_TYPE_UTILITY'],
  ['persona_id not numeric', withMessage(text('hi'), { personaId: 'bob' }), 'persona_id', /numeric/],
  ['reply_to with whitespace', withMessage(text('hi'), { replyTo: 'm_1 m_2' }), 'reply_to', /without whitespace/],
  ['thread_control with NaN', withMessage(text('hi'), { threadControl: { priority: Number.NaN } }), 'thread_control.priority', /finite/],
  // media
  ['attachment without kind', withMessage({ content: { $case: 'attachment', value: {} } }), 'message.attachment', /media, template, sticker or media_share/],
  ['media without type', withMessage(media({ source: { $case: 'url', value: 'https://e.com/a.png' } })), 'message.attachment.media.type', 'is required'],
  ['media with unknown type', withMessage(media({ type: -1, source: { $case: 'url', value: 'https://e.com/a.png' } })), 'message.attachment.media.type', 'must be a known value (got -1)'],
  ['media without source', withMessage(media({ type: MediaType.MEDIA_TYPE_IMAGE })), 'message.attachment.media', 'must set one of url or attachment_id'],
  ['media url not http', withMessage(media({ type: 1, source: { $case: 'url', value: 'ftp://e.com/a.png' } })), 'message.attachment.media.url', 'must be an absolute http(s) URL'],
  ['media url relative', withMessage(media({ type: 1, source: { $case: 'url', value: '/a.png' } })), 'message.attachment.media.url', 'must be an absolute http(s) URL'],
  ['media attachment_id empty', withMessage(media({ type: 1, source: { $case: 'attachmentId', value: '' } })), 'message.attachment.media.attachment_id', 'is required'],
  ['is_reusable with attachment_id', withMessage(media({ type: 1, source: { $case: 'attachmentId', value: '1' }, isReusable: true })), 'message.attachment.media.is_reusable', 'may be set only with url'],
  ['attachments empty', withMessage({ content: { $case: 'attachments', value: { images: [] } } }), 'message.attachments.images', 'at least 1 image is required'],
  ['31 attachments', withMessage({ content: { $case: 'attachments', value: { images: Array.from({ length: 31 }, () => ({ source: { $case: 'attachmentId' as const, value: '1' } })) } } }), 'message.attachments.images', 'at most 30 images (got 31)'],
  ['attachment image without source', withMessage({ content: { $case: 'attachments', value: { images: [{ source: { $case: 'url', value: 'https://e.com/1.png' } }, {}] } } }), 'message.attachments.images[1]', 'must set one of url or attachment_id'],
  // utility template
  ['utility template without name', withMessage({ content: { $case: 'template', value: { languageCode: 'en_US' } } }, { messagingType: 4 }), 'message.template.name', 'is required'],
  ['utility template without language', withMessage({ content: { $case: 'template', value: { name: 'n' } } }, { messagingType: 4 }), 'message.template.language_code', 'is required'],
  ['utility component without type', withMessage({ content: { $case: 'template', value: { name: 'n', languageCode: 'en', components: [{}] } } }, { messagingType: 4 }), 'message.template.components[0].type', 'is required'],
  ['utility parameter without kind', withMessage({ content: { $case: 'template', value: { name: 'n', languageCode: 'en', components: [{ type: 2, parameters: [{ parameterName: 'x' }] }] } } }, { messagingType: 4 }), 'message.template.components[0].parameters[0]', /must set one kind/],
  ['utility parameter empty text', withMessage({ content: { $case: 'template', value: { name: 'n', languageCode: 'en', components: [{ type: 2, parameters: [{ kind: { $case: 'text', value: '' } }] }] } } }, { messagingType: 4 }), 'message.template.components[0].parameters[0].text', 'is required'],
  // templates
  ['template without kind', withTemplate({}), 'message.attachment.template', /must set one kind/],
  ['generic without elements', withTemplate({ kind: { $case: 'generic', value: {} } }), 'message.attachment.template.generic.elements', 'at least 1 element is required'],
  ['generic with 11 elements', withTemplate({ kind: { $case: 'generic', value: { elements: Array.from({ length: 11 }, () => ({ title: 't', subtitle: 's' })) } } }), 'message.attachment.template.generic.elements', 'at most 10 elements (got 11)'],
  ['generic element without title', withTemplate({ kind: { $case: 'generic', value: { elements: [{ subtitle: 's' }] } } }), 'message.attachment.template.generic.elements[0].title', 'is required'],
  ['generic element title of 81', withTemplate({ kind: { $case: 'generic', value: { elements: [{ title: 't'.repeat(81), subtitle: 's' }] } } }), 'message.attachment.template.generic.elements[0].title', 'must be at most 80 characters (got 81)'],
  ['generic element subtitle of 81', withTemplate({ kind: { $case: 'generic', value: { elements: [{ title: 't', subtitle: 's'.repeat(81) }] } } }), 'message.attachment.template.generic.elements[0].subtitle', 'must be at most 80 characters (got 81)'],
  ['generic element with only a title', withTemplate({ kind: { $case: 'generic', value: { elements: [{ title: 't' }] } } }), 'message.attachment.template.generic.elements[0]', /at least one of subtitle/],
  ['generic element with 4 buttons', withTemplate({ kind: { $case: 'generic', value: { elements: [{ title: 't', buttons: Array.from({ length: 4 }, () => ({ kind: { $case: 'accountUnlink' as const, value: {} } })) }] } } }), 'message.attachment.template.generic.elements[0].buttons', 'at most 3 buttons (got 4)'],
  ['generic default_action without url', withTemplate({ kind: { $case: 'generic', value: { elements: [{ title: 't', defaultAction: {} }] } } }), 'message.attachment.template.generic.elements[0].default_action.url', 'is required'],
  ['generic unknown image_aspect_ratio', withTemplate({ kind: { $case: 'generic', value: { elements: [{ title: 't', subtitle: 's' }], imageAspectRatio: unknownEnum(7) } } }), 'message.attachment.template.generic.image_aspect_ratio', 'must be a known value (got 7)'],
  ['button template without text', withTemplate({ kind: { $case: 'button', value: { buttons: [{ kind: { $case: 'accountUnlink', value: {} } }] } } }), 'message.attachment.template.button.text', 'is required'],
  ['button template text of 641', withTemplate({ kind: { $case: 'button', value: { text: 'x'.repeat(641), buttons: [{ kind: { $case: 'accountUnlink', value: {} } }] } } }), 'message.attachment.template.button.text', 'must be at most 640 characters (got 641)'],
  ['button template without buttons', withTemplate({ kind: { $case: 'button', value: { text: 'x' } } }), 'message.attachment.template.button.buttons', 'at least 1 button is required'],
  ['media template without element', withTemplate({ kind: { $case: 'media', value: {} } }), 'message.attachment.template.media.element', 'is required'],
  ['media element without media_type', withTemplate({ kind: { $case: 'media', value: { element: { source: { $case: 'attachmentId', value: '1' } } } } }), 'message.attachment.template.media.element.media_type', 'is required'],
  ['media element without source', withTemplate({ kind: { $case: 'media', value: { element: { mediaType: 1 } } } }), 'message.attachment.template.media.element', 'must set one of url or attachment_id'],
  ['receipt currency of 4 letters', withTemplate({ kind: { $case: 'receipt', value: { recipientName: 'a', orderNumber: '1', currency: 'USDT', paymentMethod: 'v', summary: { totalCost: 1 } } } }), 'message.attachment.template.receipt.currency', /three-letter/],
  ['receipt without summary', withTemplate({ kind: { $case: 'receipt', value: { recipientName: 'a', orderNumber: '1', currency: 'USD', paymentMethod: 'v' } } }), 'message.attachment.template.receipt.summary', 'is required'],
  ['receipt element without title', withTemplate({ kind: { $case: 'receipt', value: { recipientName: 'a', orderNumber: '1', currency: 'USD', paymentMethod: 'v', summary: { totalCost: 1 }, elements: [{ price: 1 }] } } }), 'message.attachment.template.receipt.elements[0].title', 'is required'],
  ['receipt with 101 elements', withTemplate({ kind: { $case: 'receipt', value: { recipientName: 'a', orderNumber: '1', currency: 'USD', paymentMethod: 'v', summary: { totalCost: 1 }, elements: Array.from({ length: 101 }, () => ({ title: 't' })) } } }), 'message.attachment.template.receipt.elements', 'at most 100 elements (got 101)'],
  ['product without ids', withTemplate({ kind: { $case: 'product', value: {} } }), 'message.attachment.template.product.product_ids', 'at least 1 product id is required'],
  ['product with 11 ids', withTemplate({ kind: { $case: 'product', value: { productIds: Array.from({ length: 11 }, (_, i) => String(i)) } } }), 'message.attachment.template.product.product_ids', 'at most 10 product ids (got 11)'],
  ['coupon without code', withTemplate({ kind: { $case: 'coupon', value: { title: 't' } } }), 'message.attachment.template.coupon.coupon_code', 'is required'],
  ['coupon without title', withTemplate({ kind: { $case: 'coupon', value: { couponCode: 'c' } } }), 'message.attachment.template.coupon.title', 'is required'],
];

describe('validateSendMessage refuses', () => {
  it.each(cases)('%s', (_name, req, field, description) => {
    const violations = validate(req);
    expect(violations).toHaveLength(1);
    expect(violations[0].field).toBe(field);
    if (typeof description === 'string') expect(violations[0].description).toBe(description);
    else expect(violations[0].description).toMatch(description);
  });
});
