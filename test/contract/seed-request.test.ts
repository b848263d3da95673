import { describe, expect, it } from 'vitest';
import { MessageTag, MessagingType, NotificationType, SenderAction } from '../../gen/messenger/v1/enums';
import {
  SendMessageRequest,
  SendMessageResponse,
  SendSenderActionRequest,
} from '../../gen/messenger/v1/service';

// Every parameter of the seed page (page-messages-endpoint): message, messaging_type,
// notification_type, payload, persona_id, recipient, reply_to, sender_action, tag,
// thread_control, and its return fields.
describe('the seed example', () => {
  it('a SendMessageRequest with every seed parameter encodes and decodes', () => {
    const req = SendMessageRequest.fromPartial({
      pageId: '1001',
      recipient: { identifier: { $case: 'id', value: '24681357' } },
      message: {
        content: { $case: 'text', value: 'Hello, world! 👋' },
        quickReplies: [{ contentType: 1, title: 'Yes', payload: 'YES' }],
        metadata: 'order-42',
      },
      messagingType: MessagingType.MESSAGING_TYPE_MESSAGE_TAG,
      notificationType: NotificationType.NOTIFICATION_TYPE_SILENT_PUSH,
      tag: MessageTag.MESSAGE_TAG_HUMAN_AGENT,
      personaId: '555000111',
      replyTo: 'm_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqMvK8ma6AC8fplwlqLP_5cgXIbu7I3rBN0P',
      threadControl: { app_id: '263902037430900', metadata: 'handover', priority: 2 },
    });
    const back = SendMessageRequest.decode(SendMessageRequest.encode(req).finish());
    expect(back).toEqual(req);
    expect(back.threadControl).toEqual({ app_id: '263902037430900', metadata: 'handover', priority: 2 });
  });

  it('a react sender action with its payload encodes and decodes', () => {
    const req = SendSenderActionRequest.fromPartial({
      pageId: '1001',
      recipient: { identifier: { $case: 'id', value: '24681357' } },
      action: SenderAction.SENDER_ACTION_REACT,
      payload: { messageId: 'm_1', reaction: '😊' },
    });
    expect(SendSenderActionRequest.decode(SendSenderActionRequest.encode(req).finish())).toEqual(req);
  });

  it('the response carries every seed return field, the last ones optional', () => {
    const full = SendMessageResponse.fromPartial({
      recipientId: '1254477777772919', messageId: 'm_1', attachmentId: '1857777774821032',
      threadKey: 't_1', gchatSpaceName: 'spaces/1',
    });
    expect(SendMessageResponse.decode(SendMessageResponse.encode(full).finish())).toEqual(full);
    const bare = SendMessageResponse.decode(SendMessageResponse.encode({ recipientId: '1', messageId: 'm' }).finish());
    expect(bare.attachmentId).toBeUndefined();
    expect(bare.threadKey).toBeUndefined();
  });
});
