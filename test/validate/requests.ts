// Valid requests of every kind, shared by the validation and translation tests.
import { MediaType, MessageTag, MessagingType, SenderAction } from '../../gen/messenger/v1/enums';
import { QuickReply_ContentType, type Message } from '../../gen/messenger/v1/message';
import type { Recipient } from '../../gen/messenger/v1/recipient';
import {
  SendMessageRequest,
  SendSenderActionRequest,
  UploadMetadata,
} from '../../gen/messenger/v1/service';
import {
  FeedbackQuestion_QuestionType,
  MediaElement_MediaKind,
  UtilityComponent_ComponentType,
  WebviewHeightRatio,
  type Button,
  type Template,
} from '../../gen/messenger/v1/template';
import type { DeepPartial } from '../../gen/messenger/v1/service';

export const PAGE = '1001';
export const isPageConfigured = (pageId: string): boolean => pageId === PAGE;

/** A complete SendMessageRequest from a partial one (defaults as decoded from the wire). */
export function sendMessage(partial: DeepPartial<SendMessageRequest>): SendMessageRequest {
  return SendMessageRequest.fromPartial({
    pageId: PAGE,
    recipient: { identifier: { $case: 'id', value: '24681357' } },
    messagingType: MessagingType.MESSAGING_TYPE_RESPONSE,
    ...partial,
  });
}

/** A SendMessageRequest carrying `message`. */
export function withMessage(message: DeepPartial<Message>, rest: DeepPartial<SendMessageRequest> = {}): SendMessageRequest {
  return sendMessage({ message, ...rest });
}

/** A SendMessageRequest whose attachment is `template`. */
export function withTemplate(template: DeepPartial<Template>, rest: DeepPartial<SendMessageRequest> = {}): SendMessageRequest {
  return withMessage({ content: { $case: 'attachment', value: { kind: { $case: 'template', value: template } } } }, rest);
}

export function sendSenderAction(partial: DeepPartial<SendSenderActionRequest>): SendSenderActionRequest {
  return SendSenderActionRequest.fromPartial({
    pageId: PAGE,
    recipient: { identifier: { $case: 'id', value: '24681357' } },
    ...partial,
  });
}

export function uploadMetadata(partial: DeepPartial<UploadMetadata>): UploadMetadata {
  return UploadMetadata.fromPartial({ pageId: PAGE, type: MediaType.MEDIA_TYPE_IMAGE, ...partial });
}

/** One button of every kind. */
export const BUTTONS: DeepPartial<Button>[] = [
  {
    kind: {
      $case: 'webUrl',
      value: {
        title: 'Open', url: 'https://example.com/shop', webviewHeightRatio: WebviewHeightRatio.WEBVIEW_HEIGHT_RATIO_COMPACT,
        messengerExtensions: true, fallbackUrl: 'https://example.com/fallback', hideShareButton: true,
      },
    },
  },
  { kind: { $case: 'webUrl', value: { title: 'Plain', url: 'http://example.com' } } },
  { kind: { $case: 'postback', value: { title: 'Start', payload: 'START' } } },
  { kind: { $case: 'phoneNumber', value: { title: 'Call', phoneNumber: '+15105551234' } } },
  { kind: { $case: 'accountLink', value: { url: 'https://example.com/login' } } },
  { kind: { $case: 'accountUnlink', value: {} } },
  { kind: { $case: 'gamePlay', value: { title: 'Play', payload: '{"level":1}', playerId: 'p1' } } },
  { kind: { $case: 'gamePlay', value: { title: 'Play here', contextId: 'c1' } } },
  { kind: { $case: 'gamePlay', value: { title: 'Just play' } } },
];

/** One recipient of every kind. */
export const RECIPIENTS: Record<string, DeepPartial<Recipient>> = {
  id: { identifier: { $case: 'id', value: '24681357' } },
  user_ref: { identifier: { $case: 'userRef', value: 'ref-1' } },
  post_id: { identifier: { $case: 'postId', value: '1001_42' } },
  comment_id: { identifier: { $case: 'commentId', value: '42_7' } },
  notification_messages_token: { identifier: { $case: 'notificationMessagesToken', value: 'tok-1' } },
  one_time_notif_token: { identifier: { $case: 'oneTimeNotifToken', value: 'otn-1' } },
  phone_number: { identifier: { $case: 'phoneNumber', value: { phoneNumber: '+1(212)555-2368', firstName: 'Ada', lastName: 'L' } } },
  phone_number_bare: { identifier: { $case: 'phoneNumber', value: { phoneNumber: '+12125552368' } } },
};

/** A valid template of every kind. */
export const TEMPLATES: Record<string, DeepPartial<Template>> = {
  generic: {
    kind: {
      $case: 'generic',
      value: {
        elements: [
          {
            title: 'Shirt', subtitle: 'Blue', imageUrl: 'https://example.com/shirt.png',
            defaultAction: { url: 'https://example.com/shirt', webviewHeightRatio: WebviewHeightRatio.WEBVIEW_HEIGHT_RATIO_TALL },
            buttons: BUTTONS.slice(0, 3),
          },
          { title: 'Hat', subtitle: 'Red' },
        ],
        sharable: true,
        imageAspectRatio: 2,
      },
    },
  },
  button: { kind: { $case: 'button', value: { text: 'What next?', buttons: BUTTONS.slice(3, 6) } } },
  media: {
    kind: {
      $case: 'media',
      value: {
        element: { mediaType: MediaElement_MediaKind.MEDIA_KIND_VIDEO, source: { $case: 'url', value: 'https://www.facebook.com/x/videos/1' }, buttons: BUTTONS.slice(6, 9) },
        sharable: true,
      },
    },
  },
  receipt: {
    kind: {
      $case: 'receipt',
      value: {
        recipientName: 'Ada', merchantName: 'Shop', orderNumber: 'o-42', currency: 'USD', paymentMethod: 'Visa 2345',
        timestamp: '1428444852', orderUrl: 'https://example.com/o/42', sharable: true,
        elements: [{ title: 'Shirt', subtitle: 'Blue', quantity: 2, price: 50, currency: 'USD', imageUrl: 'https://example.com/s.png' }, { title: 'Gift', price: 0 }],
        address: { street1: '1 Main St', city: 'Menlo Park', postalCode: '94025', state: 'CA', country: 'US' },
        summary: { subtotal: 75, shippingCost: 4.95, totalTax: 6.19, totalCost: 56.14 },
        adjustments: [{ name: 'Coupon', amount: 20 }],
      },
    },
  },
  product: { kind: { $case: 'product', value: { productIds: ['111', '222'] } } },
  coupon: {
    kind: {
      $case: 'coupon',
      value: {
        title: '10% off', couponCode: 'SAVE10', subtitle: 'This week', couponPreMessage: 'For you', imageUrl: 'https://example.com/c.png',
        couponUrl: 'https://example.com/c', couponUrlButtonTitle: 'Shop', payload: 'COUPON',
      },
    },
  },
  customer_feedback: {
    kind: {
      $case: 'customerFeedback',
      value: {
        title: 'Rate us', subtitle: 'Two questions', buttonTitle: 'Rate',
        feedbackScreens: [{ questions: [{ id: 'q1', type: FeedbackQuestion_QuestionType.QUESTION_TYPE_CSAT, title: 'How was it?', scoreLabel: 'neg_pos', scoreOption: 'five_stars', followUpPlaceholder: 'Tell us more' }] }],
        businessPrivacyUrl: 'https://example.com/privacy',
        expiresInDays: 3,
      },
    },
  },
};

/** A valid SendMessageRequest of every message kind. */
export const VALID_MESSAGES: Record<string, SendMessageRequest> = {
  text: withMessage({ content: { $case: 'text', value: 'Hello 👋' } }),
  'text with quick replies and metadata': withMessage({
    content: { $case: 'text', value: 'Pick one' },
    quickReplies: [
      { contentType: QuickReply_ContentType.CONTENT_TYPE_TEXT, title: 'Red', payload: 'RED', imageUrl: 'https://example.com/red.png' },
      { contentType: QuickReply_ContentType.CONTENT_TYPE_TEXT, imageUrl: 'https://example.com/green.png' },
      { contentType: QuickReply_ContentType.CONTENT_TYPE_USER_PHONE_NUMBER },
      { contentType: QuickReply_ContentType.CONTENT_TYPE_USER_EMAIL },
    ],
    metadata: 'order-42',
  }),
  'media by url': withMessage({
    content: { $case: 'attachment', value: { kind: { $case: 'media', value: { type: MediaType.MEDIA_TYPE_IMAGE, source: { $case: 'url', value: 'https://example.com/a.png' }, isReusable: true } } } },
  }),
  'media by attachment id': withMessage({
    content: { $case: 'attachment', value: { kind: { $case: 'media', value: { type: MediaType.MEDIA_TYPE_FILE, source: { $case: 'attachmentId', value: '1857777774821032' } } } } },
  }),
  attachments: withMessage({
    content: { $case: 'attachments', value: { images: [{ source: { $case: 'url', value: 'https://example.com/1.png' } }, { source: { $case: 'attachmentId', value: '42' } }] } },
  }),
  utility: withMessage(
    {
      content: {
        $case: 'template',
        value: {
          name: 'order_update', languageCode: 'en_US',
          components: [
            { type: UtilityComponent_ComponentType.COMPONENT_TYPE_BODY, parameters: [{ kind: { $case: 'text', value: 'Ada' }, parameterName: 'name' }] },
            { type: UtilityComponent_ComponentType.COMPONENT_TYPE_BUTTONS, parameters: [{ kind: { $case: 'postbackPayload', value: 'TRACK' } }, { kind: { $case: 'urlSuffix', value: 'o/42' } }] },
            { type: UtilityComponent_ComponentType.COMPONENT_TYPE_HEADER },
          ],
        },
      },
    },
    { messagingType: MessagingType.MESSAGING_TYPE_UTILITY },
  ),
  'human agent tag with every option': withMessage(
    { content: { $case: 'text', value: 'Hi' } },
    {
      messagingType: MessagingType.MESSAGING_TYPE_MESSAGE_TAG, tag: MessageTag.MESSAGE_TAG_HUMAN_AGENT,
      notificationType: 2, personaId: '555000111', replyTo: 'm_abc', threadControl: { app_id: '263902037430900', priority: 2 },
    },
  ),
  'customer feedback with its tag': withTemplate(TEMPLATES.customer_feedback, {
    messagingType: MessagingType.MESSAGING_TYPE_MESSAGE_TAG, tag: MessageTag.MESSAGE_TAG_CUSTOMER_FEEDBACK,
  }),
};
for (const [name, template] of Object.entries(TEMPLATES)) VALID_MESSAGES[`template ${name}`] = withTemplate(template);
for (const [name, recipient] of Object.entries(RECIPIENTS)) {
  VALID_MESSAGES[`recipient ${name}`] = withMessage({ content: { $case: 'text', value: 'Hi' } }, { recipient });
}

/** A valid SendSenderActionRequest of every action. */
export const VALID_SENDER_ACTIONS: Record<string, SendSenderActionRequest> = {
  mark_seen: sendSenderAction({ action: SenderAction.SENDER_ACTION_MARK_SEEN }),
  typing_on: sendSenderAction({ action: SenderAction.SENDER_ACTION_TYPING_ON, personaId: '555' }),
  typing_off: sendSenderAction({ action: SenderAction.SENDER_ACTION_TYPING_OFF }),
  react: sendSenderAction({ action: SenderAction.SENDER_ACTION_REACT, payload: { messageId: 'm_1', reaction: '😊' } }),
  unreact: sendSenderAction({ action: SenderAction.SENDER_ACTION_UNREACT, payload: { messageId: 'm_1' } }),
};

/** An enum value the contract does not define, as a caller building objects by hand may pass. */
export function unknownEnum<E extends number>(n: number): E {
  return n as E;
}
