import { describe, expect, it } from 'vitest';
import { MediaType, MessageTag, MessagingType, NotificationType, SenderAction } from '../../gen/messenger/v1/enums';
import { QuickReply_ContentType } from '../../gen/messenger/v1/message';
import type { DeepPartial } from '../../gen/messenger/v1/service';
import type { Button } from '../../gen/messenger/v1/template';
import {
  structToJson,
  toGraphMessageBody,
  toGraphSenderActionBody,
  toGraphUploadMessage,
  type GraphAttachment,
} from '../../src/graph/to-graph';
import {
  BUTTONS,
  RECIPIENTS,
  sendSenderAction,
  TEMPLATES,
  uploadMetadata,
  VALID_MESSAGES,
  withMessage,
  withTemplate,
} from '../validate/requests';

const text = { content: { $case: 'text' as const, value: 'Hi' } };
const attachmentOf = (template: Parameters<typeof withTemplate>[0]): GraphAttachment => {
  const message = toGraphMessageBody(withTemplate(template)).message;
  if (!('attachment' in message)) throw new Error('no attachment');
  return message.attachment;
};
const buttonJson = (button: DeepPartial<Button>) => {
  const attachment = attachmentOf({ kind: { $case: 'button', value: { text: 't', buttons: [button] } } });
  if (attachment.type !== 'template' || attachment.payload.template_type !== 'button') throw new Error('not a button template');
  return attachment.payload.buttons[0];
};

/** Every key of a JSON tree, for "nothing empty was sent" checks. */
function emptyValues(value: unknown, path = '$'): string[] {
  if (value === '' || value === 0 || value === false || value === undefined) return [path];
  if (Array.isArray(value)) return value.length === 0 ? [path] : value.flatMap((v, i) => emptyValues(v, `${path}[${i}]`));
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([k, v]) => emptyValues(v, `${path}.${k}`));
  }
  return [];
}

describe('toGraphMessageBody: top level', () => {
  it('sends the minimal request with nothing unset', () => {
    const req = withMessage(text, { messagingType: MessagingType.MESSAGING_TYPE_UNSPECIFIED });
    expect(toGraphMessageBody(req)).toStrictEqual({ recipient: { id: '24681357' }, message: { text: 'Hi' } });
  });

  it('sends every top-level option under Graph names, in a fixed key order', () => {
    const req = withMessage(text, {
      messagingType: MessagingType.MESSAGING_TYPE_MESSAGE_TAG,
      notificationType: NotificationType.NOTIFICATION_TYPE_SILENT_PUSH,
      tag: MessageTag.MESSAGE_TAG_HUMAN_AGENT,
      personaId: '555',
      replyTo: 'm_1',
      threadControl: { app_id: '263902037430900', priority: 2, nested: { list: [1, 'a', true, null] } },
    });
    const body = toGraphMessageBody(req);
    expect(body).toStrictEqual({
      recipient: { id: '24681357' },
      messaging_type: 'MESSAGE_TAG',
      notification_type: 'SILENT_PUSH',
      tag: 'HUMAN_AGENT',
      message: { text: 'Hi' },
      persona_id: '555',
      reply_to: { mid: 'm_1' },
      thread_control: { app_id: '263902037430900', priority: 2, nested: { list: [1, 'a', true, null] } },
    });
    expect(JSON.stringify(body)).toBe(JSON.stringify(toGraphMessageBody(req)));
    expect(Object.keys(body)).toEqual([
      'recipient', 'message', 'messaging_type', 'notification_type', 'tag', 'persona_id', 'reply_to', 'thread_control',
    ]);
  });

  it.each<[MessagingType, string]>([
    [MessagingType.MESSAGING_TYPE_RESPONSE, 'RESPONSE'],
    [MessagingType.MESSAGING_TYPE_UPDATE, 'UPDATE'],
    [MessagingType.MESSAGING_TYPE_MESSAGE_TAG, 'MESSAGE_TAG'],
    [MessagingType.MESSAGING_TYPE_UTILITY, 'UTILITY'],
  ])('messaging_type %i is %s', (messagingType, expected) => {
    expect(toGraphMessageBody(withMessage(text, { messagingType })).messaging_type).toBe(expected);
  });

  it.each<[NotificationType, string | undefined]>([
    [NotificationType.NOTIFICATION_TYPE_UNSPECIFIED, undefined],
    [NotificationType.NOTIFICATION_TYPE_REGULAR, 'REGULAR'],
    [NotificationType.NOTIFICATION_TYPE_SILENT_PUSH, 'SILENT_PUSH'],
    [NotificationType.NOTIFICATION_TYPE_NO_PUSH, 'NO_PUSH'],
  ])('notification_type %i is %s', (notificationType, expected) => {
    const body = toGraphMessageBody(withMessage(text, { notificationType }));
    expect(body.notification_type).toBe(expected);
    expect('notification_type' in body).toBe(expected !== undefined);
  });

  it.each<[MessageTag, string]>([
    [MessageTag.MESSAGE_TAG_HUMAN_AGENT, 'HUMAN_AGENT'],
    [MessageTag.MESSAGE_TAG_CUSTOMER_FEEDBACK, 'CUSTOMER_FEEDBACK'],
    [MessageTag.MESSAGE_TAG_ACCOUNT_UPDATE, 'ACCOUNT_UPDATE'],
    [MessageTag.MESSAGE_TAG_CONFIRMED_EVENT_UPDATE, 'CONFIRMED_EVENT_UPDATE'],
    [MessageTag.MESSAGE_TAG_POST_PURCHASE_UPDATE, 'POST_PURCHASE_UPDATE'],
  ])('tag %i is %s', (tag, expected) => {
    expect(toGraphMessageBody(withMessage(text, { messagingType: 3, tag })).tag).toBe(expected);
  });

  it('thread_control drops the undefined of an unset Value and sends NaN as null', () => {
    expect(structToJson({ a: undefined, b: Number.NaN, c: [undefined], d: { e: 'x' } })).toStrictEqual({ b: null, c: [null], d: { e: 'x' } });
  });
});

describe('toGraphMessageBody: recipients', () => {
  const expected: Record<string, object> = {
    id: { id: '24681357' },
    user_ref: { user_ref: 'ref-1' },
    post_id: { post_id: '1001_42' },
    comment_id: { comment_id: '42_7' },
    notification_messages_token: { notification_messages_token: 'tok-1' },
    one_time_notif_token: { one_time_notif_token: 'otn-1' },
    phone_number: { phone_number: '+1(212)555-2368', name: { first_name: 'Ada', last_name: 'L' } },
    phone_number_bare: { phone_number: '+12125552368' },
  };
  it.each(Object.entries(RECIPIENTS))('%s', (name, recipient) => {
    expect(toGraphMessageBody(withMessage(text, { recipient })).recipient).toStrictEqual(expected[name]);
  });

  it('a phone recipient with only a last name sends only last_name', () => {
    const recipient = { identifier: { $case: 'phoneNumber' as const, value: { phoneNumber: '+1', lastName: 'L' } } };
    expect(toGraphMessageBody(withMessage(text, { recipient })).recipient).toStrictEqual({ phone_number: '+1', name: { last_name: 'L' } });
  });
});

describe('toGraphMessageBody: message content', () => {
  it('text with quick replies of every kind and metadata', () => {
    expect(toGraphMessageBody(VALID_MESSAGES['text with quick replies and metadata']).message).toStrictEqual({
      text: 'Pick one',
      quick_replies: [
        { content_type: 'text', title: 'Red', payload: 'RED', image_url: 'https://example.com/red.png' },
        { content_type: 'text', image_url: 'https://example.com/green.png' },
        { content_type: 'user_phone_number' },
        { content_type: 'user_email' },
      ],
      metadata: 'order-42',
    });
  });

  it('a text quick reply without image', () => {
    const req = withMessage({ ...text, quickReplies: [{ contentType: QuickReply_ContentType.CONTENT_TYPE_TEXT, title: 'Yes', payload: 'Y' }] });
    expect(toGraphMessageBody(req).message).toStrictEqual({ text: 'Hi', quick_replies: [{ content_type: 'text', title: 'Yes', payload: 'Y' }] });
  });

  it('media by url, reusable', () => {
    expect(toGraphMessageBody(VALID_MESSAGES['media by url']).message).toStrictEqual({
      attachment: { type: 'image', payload: { url: 'https://example.com/a.png', is_reusable: true } },
    });
  });

  it('media by attachment id, is_reusable omitted', () => {
    expect(toGraphMessageBody(VALID_MESSAGES['media by attachment id']).message).toStrictEqual({
      attachment: { type: 'file', payload: { attachment_id: '1857777774821032' } },
    });
  });

  it.each<[MediaType, string]>([
    [MediaType.MEDIA_TYPE_IMAGE, 'image'],
    [MediaType.MEDIA_TYPE_AUDIO, 'audio'],
    [MediaType.MEDIA_TYPE_VIDEO, 'video'],
    [MediaType.MEDIA_TYPE_FILE, 'file'],
  ])('media type %i is %s', (type, expected) => {
    const req = withMessage({ content: { $case: 'attachment', value: { kind: { $case: 'media', value: { type, source: { $case: 'url', value: 'https://e.com/x' } } } } } });
    expect(toGraphMessageBody(req).message).toStrictEqual({ attachment: { type: expected, payload: { url: 'https://e.com/x' } } });
  });

  it('several images as attachments', () => {
    expect(toGraphMessageBody(VALID_MESSAGES.attachments).message).toStrictEqual({
      attachments: [
        { type: 'image', payload: { url: 'https://example.com/1.png' } },
        { type: 'image', payload: { attachment_id: '42' } },
      ],
    });
  });

  it('a utility template with every parameter kind', () => {
    const body = toGraphMessageBody(VALID_MESSAGES.utility);
    expect(body.messaging_type).toBe('UTILITY');
    expect(body.message).toStrictEqual({
      template: {
        name: 'order_update',
        language: { code: 'en_US' },
        components: [
          { type: 'body', parameters: [{ type: 'text', text: 'Ada', parameter_name: 'name' }] },
          { type: 'buttons', parameters: [{ type: 'POSTBACK', payload: 'TRACK' }, { type: 'URL', url: 'o/42' }] },
          { type: 'header' },
        ],
      },
    });
  });

  it('a utility template without components sends no components', () => {
    const req = withMessage({ content: { $case: 'template', value: { name: 'n', languageCode: 'en' } } }, { messagingType: 4 });
    expect(toGraphMessageBody(req).message).toStrictEqual({ template: { name: 'n', language: { code: 'en' } } });
  });
});

describe('toGraphMessageBody: templates', () => {
  it('generic', () => {
    expect(attachmentOf(TEMPLATES.generic)).toStrictEqual({
      type: 'template',
      payload: {
        template_type: 'generic',
        elements: [
          {
            title: 'Shirt',
            subtitle: 'Blue',
            image_url: 'https://example.com/shirt.png',
            default_action: { type: 'web_url', url: 'https://example.com/shirt', webview_height_ratio: 'tall' },
            buttons: [
              {
                type: 'web_url', title: 'Open', url: 'https://example.com/shop', webview_height_ratio: 'compact',
                messenger_extensions: true, fallback_url: 'https://example.com/fallback', webview_share_button: 'hide',
              },
              { type: 'web_url', title: 'Plain', url: 'http://example.com' },
              { type: 'postback', title: 'Start', payload: 'START' },
            ],
          },
          { title: 'Hat', subtitle: 'Red' },
        ],
        sharable: true,
        image_aspect_ratio: 'square',
      },
    });
  });

  it('generic with defaults sends neither sharable nor image_aspect_ratio', () => {
    expect(attachmentOf({ kind: { $case: 'generic', value: { elements: [{ title: 't', imageUrl: 'https://e.com/i.png' }] } } })).toStrictEqual({
      type: 'template',
      payload: { template_type: 'generic', elements: [{ title: 't', image_url: 'https://e.com/i.png' }] },
    });
  });

  it('button', () => {
    expect(attachmentOf(TEMPLATES.button)).toStrictEqual({
      type: 'template',
      payload: {
        template_type: 'button',
        text: 'What next?',
        buttons: [
          { type: 'phone_number', title: 'Call', payload: '+15105551234' },
          { type: 'account_link', url: 'https://example.com/login' },
          { type: 'account_unlink' },
        ],
      },
    });
  });

  it('media', () => {
    expect(attachmentOf(TEMPLATES.media)).toStrictEqual({
      type: 'template',
      payload: {
        template_type: 'media',
        elements: [{
          media_type: 'video',
          url: 'https://www.facebook.com/x/videos/1',
          buttons: [
            { type: 'game_play', title: 'Play', payload: '{"level":1}', game_metadata: { player_id: 'p1' } },
            { type: 'game_play', title: 'Play here', game_metadata: { context_id: 'c1' } },
            { type: 'game_play', title: 'Just play' },
          ],
        }],
        sharable: true,
      },
    });
  });

  it('media by attachment id without buttons', () => {
    expect(attachmentOf({ kind: { $case: 'media', value: { element: { mediaType: 1, source: { $case: 'attachmentId', value: '9' } } } } })).toStrictEqual({
      type: 'template',
      payload: { template_type: 'media', elements: [{ media_type: 'image', attachment_id: '9' }] },
    });
  });

  it('receipt, with numbers as numbers', () => {
    expect(attachmentOf(TEMPLATES.receipt)).toStrictEqual({
      type: 'template',
      payload: {
        template_type: 'receipt',
        recipient_name: 'Ada',
        order_number: 'o-42',
        currency: 'USD',
        payment_method: 'Visa 2345',
        summary: { total_cost: 56.14, subtotal: 75, shipping_cost: 4.95, total_tax: 6.19 },
        merchant_name: 'Shop',
        timestamp: '1428444852',
        order_url: 'https://example.com/o/42',
        sharable: true,
        elements: [
          { title: 'Shirt', price: 50, subtitle: 'Blue', quantity: 2, currency: 'USD', image_url: 'https://example.com/s.png' },
          { title: 'Gift', price: 0 },
        ],
        address: { street_1: '1 Main St', city: 'Menlo Park', postal_code: '94025', state: 'CA', country: 'US' },
        adjustments: [{ name: 'Coupon', amount: 20 }],
      },
    });
  });

  it('a minimal receipt sends only its required fields', () => {
    const receipt = { recipientName: 'A', orderNumber: '1', currency: 'EUR', paymentMethod: 'cash', summary: { totalCost: 0 } };
    expect(attachmentOf({ kind: { $case: 'receipt', value: receipt } })).toStrictEqual({
      type: 'template',
      payload: { template_type: 'receipt', recipient_name: 'A', order_number: '1', currency: 'EUR', payment_method: 'cash', summary: { total_cost: 0 } },
    });
  });

  it('product', () => {
    expect(attachmentOf(TEMPLATES.product)).toStrictEqual({
      type: 'template',
      payload: { template_type: 'product', elements: [{ id: '111' }, { id: '222' }] },
    });
  });

  it('coupon', () => {
    expect(attachmentOf(TEMPLATES.coupon)).toStrictEqual({
      type: 'template',
      payload: {
        template_type: 'coupon', title: '10% off', coupon_code: 'SAVE10', subtitle: 'This week', coupon_pre_message: 'For you',
        image_url: 'https://example.com/c.png', coupon_url: 'https://example.com/c', coupon_url_button_title: 'Shop', payload: 'COUPON',
      },
    });
    expect(attachmentOf({ kind: { $case: 'coupon', value: { title: 't', couponCode: 'c' } } })).toStrictEqual({
      type: 'template', payload: { template_type: 'coupon', title: 't', coupon_code: 'c' },
    });
  });

  it('customer feedback', () => {
    expect(attachmentOf(TEMPLATES.customer_feedback)).toStrictEqual({
      type: 'template',
      payload: {
        template_type: 'customer_feedback',
        title: 'Rate us',
        subtitle: 'Two questions',
        button_title: 'Rate',
        feedback_screens: [{
          questions: [{
            id: 'q1', type: 'csat', title: 'How was it?', score_label: 'neg_pos', score_option: 'five_stars',
            follow_up: { type: 'free_form', placeholder: 'Tell us more' },
          }],
        }],
        business_privacy: { url: 'https://example.com/privacy' },
        expires_in_days: 3,
      },
    });
  });

  it.each<[number, string]>([[1, 'csat'], [2, 'nps'], [3, 'ces']])('feedback question type %i is %s, optional fields absent', (type, expected) => {
    const attachment = attachmentOf({
      kind: { $case: 'customerFeedback', value: { title: 't', subtitle: 's', buttonTitle: 'b', businessPrivacyUrl: 'https://e.com', feedbackScreens: [{ questions: [{ id: 'q', type }] }] } },
    });
    expect(attachment).toStrictEqual({
      type: 'template',
      payload: {
        template_type: 'customer_feedback', title: 't', subtitle: 's', button_title: 'b',
        feedback_screens: [{ questions: [{ id: 'q', type: expected }] }], business_privacy: { url: 'https://e.com' },
      },
    });
  });
});

describe('toGraphMessageBody: buttons', () => {
  it('a url button with default options sends only type, title and url', () => {
    expect(buttonJson({ kind: { $case: 'webUrl', value: { title: 'Go', url: 'https://e.com' } } })).toStrictEqual({ type: 'web_url', title: 'Go', url: 'https://e.com' });
  });

  it.each<[number, string]>([[1, 'compact'], [2, 'tall'], [3, 'full']])('webview_height_ratio %i is %s', (ratio, expected) => {
    expect(buttonJson({ kind: { $case: 'webUrl', value: { title: 'Go', url: 'https://e.com', webviewHeightRatio: ratio } } }))
      .toStrictEqual({ type: 'web_url', title: 'Go', url: 'https://e.com', webview_height_ratio: expected });
  });

  it('a postback button', () => {
    expect(buttonJson(BUTTONS[2])).toStrictEqual({ type: 'postback', title: 'Start', payload: 'START' });
  });
});

describe('toGraphMessageBody: nothing empty is sent', () => {
  it.each(Object.entries(VALID_MESSAGES))('%s', (_name, req) => {
    // Receipt prices and total_cost may legitimately be 0; everything else must be absent.
    const empties = emptyValues(toGraphMessageBody(req)).filter((p) => !/\.(price|total_cost|amount)$/.test(p));
    expect(empties).toEqual([]);
  });
});

describe('toGraphSenderActionBody', () => {
  it.each<[string, SenderAction, object]>([
    ['mark_seen', SenderAction.SENDER_ACTION_MARK_SEEN, {}],
    ['typing_on', SenderAction.SENDER_ACTION_TYPING_ON, { persona_id: '555' }],
    ['typing_off', SenderAction.SENDER_ACTION_TYPING_OFF, {}],
  ])('%s', (name, action, extra) => {
    const personaId = 'persona_id' in extra ? '555' : '';
    expect(toGraphSenderActionBody(sendSenderAction({ action, personaId }))).toStrictEqual({
      recipient: { id: '24681357' }, sender_action: name, ...extra,
    });
  });

  it('react carries message_id and reaction', () => {
    const req = sendSenderAction({ action: SenderAction.SENDER_ACTION_REACT, payload: { messageId: 'm_1', reaction: '😊' } });
    expect(toGraphSenderActionBody(req)).toStrictEqual({
      recipient: { id: '24681357' }, sender_action: 'react', payload: { message_id: 'm_1', reaction: '😊' },
    });
  });

  it('unreact carries only message_id', () => {
    const req = sendSenderAction({ action: SenderAction.SENDER_ACTION_UNREACT, payload: { messageId: 'm_1' }, recipient: RECIPIENTS.user_ref });
    expect(toGraphSenderActionBody(req)).toStrictEqual({
      recipient: { user_ref: 'ref-1' }, sender_action: 'unreact', payload: { message_id: 'm_1' },
    });
  });
});

describe('toGraphUploadMessage', () => {
  it('a URL upload is reusable and carries the url', () => {
    const meta = uploadMetadata({ type: MediaType.MEDIA_TYPE_VIDEO, source: { $case: 'url', value: 'https://e.com/v.mp4' } });
    expect(toGraphUploadMessage(meta)).toStrictEqual({ attachment: { type: 'video', payload: { is_reusable: true, url: 'https://e.com/v.mp4' } } });
  });

  it('a file upload is reusable and carries no url (the bytes go as filedata)', () => {
    const meta = uploadMetadata({ type: MediaType.MEDIA_TYPE_AUDIO, source: { $case: 'file', value: { filename: 'a.mp3', contentType: 'audio/mpeg' } } });
    expect(toGraphUploadMessage(meta)).toStrictEqual({ attachment: { type: 'audio', payload: { is_reusable: true } } });
  });
});

describe('unvalidated input', () => {
  it('throws rather than sending a half-built body', () => {
    expect(() => toGraphMessageBody(withMessage({}))).toThrow(TypeError);
    expect(() => toGraphSenderActionBody(sendSenderAction({}))).toThrow(/action/);
    expect(() => toGraphUploadMessage(uploadMetadata({ type: MediaType.MEDIA_TYPE_UNSPECIFIED }))).toThrow(/metadata.type/);
  });
});
