import { describe, expect, it } from 'vitest';
import { MessageTag, MessagingType } from '../../gen/messenger/v1/enums';
import type { DeepPartial } from '../../gen/messenger/v1/service';
import type { Button } from '../../gen/messenger/v1/template';
import { validateSendMessage } from '../../src/validate/validate-send-message';
import { isPageConfigured, sendMessage, TEMPLATES, unknownEnum, withMessage, withTemplate } from './requests';

const BUTTONS_PATH = 'message.attachment.template.button.buttons[0]';
const withButton = (button: DeepPartial<Button>) =>
  withTemplate({ kind: { $case: 'button', value: { text: 'Pick', buttons: [button] } } });
const violationsOf = (req: Parameters<typeof validateSendMessage>[0]) => validateSendMessage(req, isPageConfigured);

describe('buttons', () => {
  const cases: [string, DeepPartial<Button>, string, string | RegExp][] = [
    ['no kind', {}, '', /must set one kind/],
    ['url button without title', { kind: { $case: 'webUrl', value: { url: 'https://e.com' } } }, '.web_url.title', 'is required'],
    ['url button title of 21', { kind: { $case: 'webUrl', value: { title: 'x'.repeat(21), url: 'https://e.com' } } }, '.web_url.title', 'must be at most 20 characters (got 21)'],
    ['url button relative url', { kind: { $case: 'webUrl', value: { title: 'x', url: 'e.com' } } }, '.web_url.url', 'must be an absolute http(s) URL'],
    ['url button extensions over http', { kind: { $case: 'webUrl', value: { title: 'x', url: 'http://e.com', messengerExtensions: true } } }, '.web_url.url', 'must be an absolute https URL'],
    ['fallback_url without extensions', { kind: { $case: 'webUrl', value: { title: 'x', url: 'https://e.com', fallbackUrl: 'https://e.com/f' } } }, '.web_url.fallback_url', 'must be unset unless messenger_extensions is true'],
    ['unknown webview ratio', { kind: { $case: 'webUrl', value: { title: 'x', url: 'https://e.com', webviewHeightRatio: -1 } } }, '.web_url.webview_height_ratio', 'must be a known value (got -1)'],
    ['postback without payload', { kind: { $case: 'postback', value: { title: 'x' } } }, '.postback.payload', 'is required'],
    ['postback payload of 1001', { kind: { $case: 'postback', value: { title: 'x', payload: 'p'.repeat(1001) } } }, '.postback.payload', 'must be at most 1000 characters (got 1001)'],
    ['postback title of 21', { kind: { $case: 'postback', value: { title: 'x'.repeat(21), payload: 'p' } } }, '.postback.title', 'must be at most 20 characters (got 21)'],
    ['call button without +', { kind: { $case: 'phoneNumber', value: { title: 'Call', phoneNumber: '15105551234' } } }, '.phone_number.phone_number', /\+ then the country code/],
    ['call button title of 21', { kind: { $case: 'phoneNumber', value: { title: 'x'.repeat(21), phoneNumber: '+1' } } }, '.phone_number.title', 'must be at most 20 characters (got 21)'],
    ['account link over http', { kind: { $case: 'accountLink', value: { url: 'http://e.com/login' } } }, '.account_link.url', 'must be an absolute https URL'],
    ['game play with player and context', { kind: { $case: 'gamePlay', value: { title: 'Play', playerId: 'p', contextId: 'c' } } }, '.game_play', 'must set at most one of player_id and context_id'],
    ['game play title of 21', { kind: { $case: 'gamePlay', value: { title: 'x'.repeat(21) } } }, '.game_play.title', 'must be at most 20 characters (got 21)'],
  ];
  it.each(cases)('%s', (_name, button, suffix, description) => {
    const violations = violationsOf(withButton(button));
    expect(violations.map((v) => v.field)).toEqual([BUTTONS_PATH + suffix]);
    if (typeof description === 'string') expect(violations[0].description).toBe(description);
    else expect(violations[0].description).toMatch(description);
  });

  it('a button deep in a generic element is reported with its full path', () => {
    const req = withTemplate({
      kind: { $case: 'generic', value: { elements: [{ title: 't', buttons: [{ kind: { $case: 'accountUnlink', value: {} } }, {}] }] } },
    });
    expect(violationsOf(req).map((v) => v.field)).toEqual(['message.attachment.template.generic.elements[0].buttons[1]']);
  });
});

describe('customer feedback template', () => {
  const path = 'message.attachment.template.customer_feedback';
  it('lists every missing field', () => {
    const req = withTemplate({ kind: { $case: 'customerFeedback', value: { expiresInDays: 8 } } });
    expect(violationsOf(req).map((v) => v.field)).toEqual([
      `${path}.title`, `${path}.subtitle`, `${path}.button_title`, `${path}.business_privacy_url`,
      `${path}.feedback_screens`, `${path}.expires_in_days`,
    ]);
  });

  it('needs exactly one question with an id and a type', () => {
    const req = withTemplate({
      kind: {
        $case: 'customerFeedback',
        value: { title: 't', subtitle: 's', buttonTitle: 'b', businessPrivacyUrl: 'https://e.com/p', feedbackScreens: [{ questions: [{}, { id: 'q', type: 1 }] }] },
      },
    });
    expect(violationsOf(req)).toEqual([
      { field: `${path}.feedback_screens[0].questions`, description: 'must have exactly 1 question (got 2)' },
      { field: `${path}.feedback_screens[0].questions[0].id`, description: 'is required' },
      { field: `${path}.feedback_screens[0].questions[0].type`, description: 'is required' },
    ]);
  });
});

describe('receipt template', () => {
  it('lists every missing required field, address included', () => {
    const path = 'message.attachment.template.receipt';
    const req = withTemplate({ kind: { $case: 'receipt', value: { address: {}, summary: { totalCost: Number.POSITIVE_INFINITY } } } });
    expect(violationsOf(req).map((v) => v.field)).toEqual([
      `${path}.recipient_name`, `${path}.order_number`, `${path}.currency`, `${path}.payment_method`,
      `${path}.address.street_1`, `${path}.address.city`, `${path}.address.postal_code`, `${path}.address.state`, `${path}.address.country`,
      `${path}.summary.total_cost`,
    ]);
  });
});

describe('deprecated tags', () => {
  it.each([
    MessageTag.MESSAGE_TAG_ACCOUNT_UPDATE,
    MessageTag.MESSAGE_TAG_CONFIRMED_EVENT_UPDATE,
    MessageTag.MESSAGE_TAG_POST_PURCHASE_UPDATE,
  ])('tag %i is refused and points to MESSAGING_TYPE_UTILITY', (tag) => {
    const violations = violationsOf(withMessage({ content: { $case: 'text', value: 'hi' } }, { messagingType: MessagingType.MESSAGING_TYPE_MESSAGE_TAG, tag }));
    expect(violations).toHaveLength(1);
    expect(violations[0].field).toBe('tag');
    expect(violations[0].description).toContain(MessageTag[tag]);
    expect(violations[0].description).toContain('2026-04-27');
    expect(violations[0].description).toContain('MESSAGING_TYPE_UTILITY');
  });
});

describe('a request with many problems', () => {
  it('lists every violation, not only the first', () => {
    const req = sendMessage({
      pageId: '999',
      recipient: {},
      message: {
        content: { $case: 'text', value: '' },
        quickReplies: [{ contentType: 1 }, {}],
        metadata: 'm'.repeat(1200),
      },
      messagingType: MessagingType.MESSAGING_TYPE_RESPONSE,
      tag: MessageTag.MESSAGE_TAG_HUMAN_AGENT,
      notificationType: unknownEnum(99),
      personaId: 'x',
      replyTo: ' ',
    });
    expect(violationsOf(req)).toEqual([
      { field: 'page_id', description: 'page 999 is not configured in this gateway' },
      { field: 'recipient', description: expect.stringContaining('must set one identifier') },
      { field: 'message.text', description: 'is required' },
      { field: 'message.quick_replies[0].title', description: 'is required for CONTENT_TYPE_TEXT unless image_url is set' },
      { field: 'message.quick_replies[0].payload', description: 'is required for CONTENT_TYPE_TEXT unless image_url is set' },
      { field: 'message.quick_replies[1].content_type', description: 'is required' },
      { field: 'message.metadata', description: 'must be fewer than 1000 characters (got 1200)' },
      { field: 'notification_type', description: 'must be a known value (got 99)' },
      { field: 'tag', description: 'must be unset unless messaging_type is MESSAGING_TYPE_MESSAGE_TAG' },
      { field: 'persona_id', description: expect.stringContaining('numeric') },
      { field: 'reply_to', description: expect.stringContaining('whitespace') },
    ]);
  });

  it('a template with several broken elements reports each', () => {
    expect(TEMPLATES.generic).toBeDefined();
    const req = withTemplate({ kind: { $case: 'generic', value: { elements: [{}, { title: 'ok', imageUrl: 'nope' }] } } });
    expect(violationsOf(req).map((v) => v.field)).toEqual([
      'message.attachment.template.generic.elements[0].title',
      'message.attachment.template.generic.elements[0]',
      'message.attachment.template.generic.elements[1].image_url',
    ]);
  });
});
