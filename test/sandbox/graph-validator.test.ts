import { describe, expect, it } from 'vitest';
import { validateGraphSend, validateGraphUpload } from '../../src/sandbox/graph-validator';

const to = { id: '123' };
const url = 'https://example.com/a.png';
const postback = { type: 'postback', title: 'Yes', payload: 'YES' };

// Bodies Graph accepts, one per shape the gateway can produce.
const VALID: Record<string, unknown> = {
  text: { recipient: to, messaging_type: 'RESPONSE', message: { text: 'hello 😊', metadata: 'm' } },
  'numeric id, no messaging_type': { recipient: { id: 123 }, message: { text: 'x' } },
  'phone with name': { recipient: { phone_number: '+15550100', name: { first_name: 'A', last_name: 'B' } }, message: { text: 'x' } },
  tokens: { recipient: { notification_messages_token: 't' }, messaging_type: 'UPDATE', message: { text: 'x' } },
  'all extras': {
    recipient: to, messaging_type: 'RESPONSE', notification_type: 'SILENT_PUSH', persona_id: '42', reply_to: { mid: 'm_1' },
    thread_control: { payload: 'x' }, message: { text: 'x' }, appsecret_proof: 'ab', appsecret_time: 1700000000, access_token: 't',
  },
  'human agent tag': { recipient: to, messaging_type: 'MESSAGE_TAG', tag: 'HUMAN_AGENT', message: { text: 'x' } },
  'tag without type (lenient)': { recipient: to, tag: 'HUMAN_AGENT', message: { text: 'x' } },
  'quick replies': {
    recipient: to,
    message: {
      text: 'pick',
      quick_replies: [
        { content_type: 'text', title: 'Red', payload: 'R' },
        { content_type: 'text', image_url: url },
        { content_type: 'user_email' },
        { content_type: 'user_phone_number' },
      ],
    },
  },
  'media by url, reusable': { recipient: to, message: { attachment: { type: 'video', payload: { url, is_reusable: true } } } },
  'media by id': { recipient: to, message: { attachment: { type: 'file', payload: { attachment_id: '1857777774821032' } } } },
  'image attachments': { recipient: to, message: { attachments: [{ type: 'image', payload: { url } }, { type: 'image', payload: { attachment_id: '1' } }] } },
  generic: {
    recipient: to,
    message: {
      attachment: {
        type: 'template',
        payload: {
          template_type: 'generic', sharable: true, image_aspect_ratio: 'square',
          elements: [{
            title: 'T', subtitle: 'S', image_url: url,
            default_action: { type: 'web_url', url, webview_height_ratio: 'tall' },
            buttons: [
              { type: 'web_url', title: 'Open', url, messenger_extensions: true, fallback_url: url, webview_share_button: 'hide' },
              { type: 'phone_number', title: 'Call', payload: '+15550100' },
              { type: 'game_play', title: 'Play', payload: '{}', game_metadata: { player_id: '1' } },
            ],
          }],
        },
      },
    },
  },
  button: { recipient: to, message: { attachment: { type: 'template', payload: { template_type: 'button', text: 'Go?', buttons: [postback, { type: 'account_link', url }, { type: 'account_unlink' }] } } } },
  media: { recipient: to, message: { attachment: { type: 'template', payload: { template_type: 'media', elements: [{ media_type: 'image', attachment_id: '1', buttons: [postback] }] } } } },
  receipt: {
    recipient: to,
    message: {
      attachment: {
        type: 'template',
        payload: {
          template_type: 'receipt', recipient_name: 'A', order_number: '1', currency: 'USD', payment_method: 'Visa', timestamp: '1428444852',
          elements: [{ title: 'Shirt', price: 50, quantity: 1 }],
          address: { street_1: '1 St', city: 'X', postal_code: '1', state: 'CA', country: 'US' },
          summary: { subtotal: 50, total_cost: 56.14 }, adjustments: [{ name: 'off', amount: 5 }],
        },
      },
    },
  },
  product: { recipient: to, message: { attachment: { type: 'template', payload: { template_type: 'product', elements: [{ id: '1' }] } } } },
  coupon: { recipient: to, message: { attachment: { type: 'template', payload: { template_type: 'coupon', title: 'T', coupon_code: 'C' } } } },
  'customer feedback with its tag': {
    recipient: to, messaging_type: 'MESSAGE_TAG', tag: 'CUSTOMER_FEEDBACK',
    message: {
      attachment: {
        type: 'template',
        payload: {
          template_type: 'customer_feedback', title: 'T', subtitle: 'S', button_title: 'B', expires_in_days: 3,
          feedback_screens: [{ questions: [{ id: 'q', type: 'csat', follow_up: { type: 'free_form', placeholder: 'p' } }] }],
          business_privacy: { url },
        },
      },
    },
  },
  utility: {
    recipient: to, messaging_type: 'UTILITY',
    message: { template: { name: 'order', language: { code: 'en_US' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'x' }] }, { type: 'buttons', parameters: [{ type: 'POSTBACK', payload: 'p' }] }] } },
  },
  'mark seen (any case)': { recipient: to, sender_action: 'MARK_SEEN' },
  'typing with persona': { recipient: to, sender_action: 'typing_on', persona_id: '9' },
  react: { recipient: to, sender_action: 'react', payload: { message_id: 'm_1', reaction: 'love' } },
  'unreact, payload as a JSON string': { recipient: to, sender_action: 'unreact', payload: '{"message_id":"m_1"}' },
};

// Bodies Graph refuses: [body, code, subcode, part of the message].
const INVALID: Record<string, [unknown, number, number | undefined, string]> = {
  'no recipient': [{ message: { text: 'x' } }, 100, undefined, 'recipient is required'],
  'two identifiers': [{ recipient: { id: '1', post_id: '2' }, message: { text: 'x' } }, 100, undefined, 'only one of'],
  'name without phone': [{ recipient: { id: '1', name: { first_name: 'A' } }, message: { text: 'x' } }, 100, undefined, 'recipient[name]'],
  'unknown recipient key': [{ recipient: { psid: '1' }, message: { text: 'x' } }, 100, undefined, 'recipient[psid]'],
  'message and action': [{ recipient: to, message: { text: 'x' }, sender_action: 'typing_on' }, 100, 2018014, 'Cannot send both message and state'],
  'neither': [{ recipient: to }, 100, undefined, 'message or state'],
  'bad action': [{ recipient: to, sender_action: 'wave' }, 100, undefined, 'sender_action must be one of'],
  'react without reaction': [{ recipient: to, sender_action: 'react', payload: { message_id: 'm' } }, 100, undefined, 'payload[reaction]'],
  'unreact without payload': [{ recipient: to, sender_action: 'unreact' }, 100, undefined, 'payload'],
  'empty message': [{ recipient: to, message: {} }, 100, undefined, 'Message cannot be empty'],
  'text and attachment': [{ recipient: to, message: { text: 'x', attachment: { type: 'image', payload: { url } } } }, 100, undefined, 'Only one of'],
  'text of 2000': [{ recipient: to, message: { text: '😊'.repeat(2000) } }, 100, undefined, 'message[text]'],
  'metadata of 1000': [{ recipient: to, message: { text: 'x', metadata: 'm'.repeat(1000) } }, 100, undefined, 'message[metadata]'],
  '14 quick replies': [{ recipient: to, message: { text: 'x', quick_replies: Array.from({ length: 14 }, () => ({ content_type: 'text', title: 't', payload: 'p' })) } }, 100, undefined, 'quick_replies'],
  'quick reply title 21': [{ recipient: to, message: { text: 'x', quick_replies: [{ content_type: 'text', title: 't'.repeat(21), payload: 'p' }] } }, 100, undefined, '[title]'],
  'quick reply without payload': [{ recipient: to, message: { text: 'x', quick_replies: [{ content_type: 'text', title: 't' }] } }, 100, undefined, '[payload]'],
  'quick reply location': [{ recipient: to, message: { text: 'x', quick_replies: [{ content_type: 'location' }] } }, 100, undefined, 'content_type'],
  'media url and id': [{ recipient: to, message: { attachment: { type: 'image', payload: { url, attachment_id: '1' } } } }, 100, undefined, 'only one of url'],
  'media without source': [{ recipient: to, message: { attachment: { type: 'image', payload: {} } } }, 100, undefined, 'url or attachment_id'],
  'bad attachment type': [{ recipient: to, message: { attachment: { type: 'sticker', payload: { url } } } }, 100, undefined, 'must be one of'],
  'video in attachments': [{ recipient: to, message: { attachments: [{ type: 'video', payload: { url } }] } }, 100, undefined, 'must be one of'],
  '31 images': [{ recipient: to, message: { attachments: Array.from({ length: 31 }, () => ({ type: 'image', payload: { url } })) } }, 100, undefined, 'at most 30'],
  'generic title only': [{ recipient: to, message: { attachment: { type: 'template', payload: { template_type: 'generic', elements: [{ title: 'T' }] } } } }, 100, undefined, 'Incomplete element data'],
  '11 generic elements': [{ recipient: to, message: { attachment: { type: 'template', payload: { template_type: 'generic', elements: Array.from({ length: 11 }, () => ({ title: 'T', subtitle: 'S' })) } } } }, 100, undefined, 'at most 10'],
  'four buttons': [{ recipient: to, message: { attachment: { type: 'template', payload: { template_type: 'button', text: 'x', buttons: [postback, postback, postback, postback] } } } }, 100, undefined, 'at most 3'],
  'button text 641': [{ recipient: to, message: { attachment: { type: 'template', payload: { template_type: 'button', text: 'x'.repeat(641), buttons: [postback] } } } }, 100, undefined, '[text]'],
  'postback without payload': [{ recipient: to, message: { attachment: { type: 'template', payload: { template_type: 'button', text: 'x', buttons: [{ type: 'postback', title: 't' }] } } } }, 100, undefined, '[payload]'],
  'unknown button': [{ recipient: to, message: { attachment: { type: 'template', payload: { template_type: 'button', text: 'x', buttons: [{ type: 'element_share' }] } } } }, 100, undefined, 'must be one of'],
  'media url and id in element': [{ recipient: to, message: { attachment: { type: 'template', payload: { template_type: 'media', elements: [{ media_type: 'video', url, attachment_id: '1' }] } } } }, 100, 2018187, 'exactly one'],
  'receipt without total': [{ recipient: to, message: { attachment: { type: 'template', payload: { template_type: 'receipt', recipient_name: 'A', order_number: '1', currency: 'USD', payment_method: 'V', summary: {} } } } }, 100, undefined, 'total_cost'],
  'unknown template': [{ recipient: to, message: { attachment: { type: 'template', payload: { template_type: 'list', elements: [] } } } }, 100, undefined, 'template_type'],
  'MESSAGE_TAG without tag': [{ recipient: to, messaging_type: 'MESSAGE_TAG', message: { text: 'x' } }, 100, undefined, 'tag'],
  'deprecated tag': [{ recipient: to, messaging_type: 'MESSAGE_TAG', tag: 'POST_PURCHASE_UPDATE', message: { text: 'x' } }, 100, undefined, 'deprecated'],
  'legacy tag': [{ recipient: to, messaging_type: 'MESSAGE_TAG', tag: 'SHIPPING_UPDATE', message: { text: 'x' } }, 100, undefined, 'tag must be one of'],
  'tag with RESPONSE': [{ recipient: to, messaging_type: 'RESPONSE', tag: 'HUMAN_AGENT', message: { text: 'x' } }, 100, undefined, 'MESSAGE_TAG'],
  'feedback tag on text': [{ recipient: to, messaging_type: 'MESSAGE_TAG', tag: 'CUSTOMER_FEEDBACK', message: { text: 'x' } }, 100, undefined, 'customer_feedback'],
  'UTILITY without template': [{ recipient: to, messaging_type: 'UTILITY', message: { text: 'x' } }, 100, undefined, 'message[template]'],
  'template without UTILITY': [{ recipient: to, message: { template: { name: 'n', language: { code: 'en' } } } }, 100, undefined, 'UTILITY'],
  'utility without language': [{ recipient: to, messaging_type: 'UTILITY', message: { template: { name: 'n', components: [] } } }, 100, undefined, 'language'],
  'bad messaging_type': [{ recipient: to, messaging_type: 'PROMO', message: { text: 'x' } }, 100, undefined, 'messaging_type must be one of'],
  'reply_to message_id': [{ recipient: to, message: { text: 'x' }, reply_to: { message_id: 'm' } }, 100, undefined, 'reply_to[message_id]'],
  'persona not numeric': [{ recipient: to, message: { text: 'x' }, persona_id: 'abc' }, 100, undefined, 'persona_id'],
  'unknown top-level field': [{ recipient: to, message: { text: 'x' }, priority: 'high' }, 100, undefined, 'priority'],
  'unknown message field': [{ recipient: to, message: { text: 'x', sticker_id: 1 } }, 100, undefined, 'message[sticker_id]'],
};

describe('validateGraphSend', () => {
  for (const [name, body] of Object.entries(VALID)) {
    it(`accepts: ${name}`, () => {
      expect(validateGraphSend(body)).toBeUndefined();
    });
  }

  for (const [name, [body, code, subcode, fragment]] of Object.entries(INVALID)) {
    it(`refuses: ${name}`, () => {
      const result = validateGraphSend(body);
      expect(result?.error).toMatchObject({ code, type: 'OAuthException', message: expect.stringContaining(fragment) });
      expect(result?.error.message).toMatch(/^\(#100\) /);
      expect(result?.error.error_subcode).toBe(subcode);
      expect(result?.error.fbtrace_id).toMatch(/^[A-Za-z0-9]{11}$/);
    });
  }

  it('accepts a media payload without url when a file part is uploaded, and checks the file', () => {
    const body = { recipient: to, message: { attachment: { type: 'audio', payload: { is_reusable: true } } } };
    expect(validateGraphSend(body, { contentType: 'audio/mpeg', size: 10 })).toBeUndefined();
    expect(validateGraphSend(body, { contentType: 'video/mp4', size: 10 })?.error.error_subcode).toBe(2018047);
    expect(validateGraphSend(body)?.error.code).toBe(100);
  });
});

describe('validateGraphUpload', () => {
  it('accepts a URL upload and a file upload', () => {
    expect(validateGraphUpload({ message: { attachment: { type: 'image', payload: { url, is_reusable: true } } } })).toBeUndefined();
    expect(validateGraphUpload({ message: { attachment: { type: 'file', payload: { is_reusable: true } } } }, { contentType: 'application/pdf', size: 1 })).toBeUndefined();
  });

  it('refuses templates, missing sources, big files and misplaced fields', () => {
    expect(validateGraphUpload({ message: { attachment: { type: 'template', payload: {} } } })?.error.code).toBe(100);
    expect(validateGraphUpload({ message: { attachment: { type: 'image', payload: {} } } })?.error.code).toBe(100);
    expect(validateGraphUpload({ message: { attachment: { type: 'video', payload: {} } } }, { contentType: 'video/mp4', size: 26 * 1024 * 1024 })?.error.error_subcode).toBe(2018109);
    expect(validateGraphUpload({ recipient: to, message: { attachment: { type: 'image', payload: { url } } } })?.error.message).toContain('recipient');
  });
});
