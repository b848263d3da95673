import { describe, expect, it } from 'vitest';
import { MessagingType } from '../../gen/messenger/v1/enums';
import { SendMessageRequest } from '../../gen/messenger/v1/service';
import { instagramSendViolations } from '../../src/validate/validate-instagram';
import { validateSendMessage } from '../../src/validate/validate-send-message';

const share = (postId: string) => SendMessageRequest.fromPartial({
  pageId: '1', recipient: { identifier: { $case: 'id', value: '2' } }, messagingType: MessagingType.MESSAGING_TYPE_RESPONSE,
  message: { content: { $case: 'attachment', value: { kind: { $case: 'mediaShare', value: { postId } } } } },
});

describe('Instagram-only content, checked as any field', () => {
  it('a shared post needs a numeric post id of at most 32 digits, and says which rule (an outside attack sent 100,000 digits and read "is required")', () => {
    expect(validateSendMessage(share(''), () => true)).toEqual([{ field: 'message.attachment.media_share.post_id', description: expect.stringMatching(/^is required/) }]);
    expect(validateSendMessage(share('9'.repeat(100_000)), () => true)).toEqual([{ field: 'message.attachment.media_share.post_id', description: expect.stringMatching(/^must be the numeric id \(1 to 32 digits\)/) }]);
    expect(validateSendMessage(share('17900000000000001'), () => true)).toEqual([]);
  });

  it('text is measured in bytes of UTF-8 on Instagram: 250 four-byte emoji pass, 251 do not', () => {
    const text = (t: string) => SendMessageRequest.fromPartial({ pageId: '1', recipient: { identifier: { $case: 'id', value: '2' } }, messagingType: MessagingType.MESSAGING_TYPE_RESPONSE, message: { content: { $case: 'text', value: t } } });
    expect(instagramSendViolations(text('😀'.repeat(250)))).toEqual([]);
    expect(instagramSendViolations(text('😀'.repeat(251))).map((v) => v.field)).toEqual(['message.text']);
  });
});
