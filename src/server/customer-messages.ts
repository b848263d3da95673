import { Platform, ReceivedAttachmentType, type MessageEvent } from '../../gen/messenger/v1/events';
import type { NewEvent } from '../events/event-store';
import type { ObservedCustomerMessage } from '../sandbox/sandbox-observer';

/**
 * The customers' messages among stored webhook events, as the inbox takes them: messages that are
 * not echoes, postbacks, and Instagram's unsends. A message with attachments and no text shows
 * their types (`[image]`); Instagram's story replies, story mentions and shared posts are told as
 * such. Other events (reads, reactions, ...) change no conversation of the inbox.
 */
export function customerMessagesOf(events: readonly NewEvent[]): ObservedCustomerMessage[] {
  const out: ObservedCustomerMessage[] = [];
  for (const { event } of events) {
    const kind = event.kind;
    const at = event.time?.getTime() ?? event.receivedTime?.getTime() ?? Date.now();
    const base = { at, pageId: event.pageId, psid: event.senderId, ...(event.platform === Platform.PLATFORM_INSTAGRAM ? { instagram: true } : {}) };
    if (kind?.$case === 'message' && !kind.value.isEcho) {
      out.push({ ...base, mid: kind.value.mid, ...contentOf(kind.value) });
    } else if (kind?.$case === 'postback') {
      out.push({ ...base, mid: kind.value.mid, postback: { title: kind.value.title, payload: kind.value.payload } });
    } else if (kind?.$case === 'messageDeleted' && !kind.value.isEcho) {
      out.push({ ...base, mid: kind.value.mid, unsent: true });
    }
  }
  return out;
}

function contentOf(m: MessageEvent): Partial<ObservedCustomerMessage> {
  const mention = m.attachments.find((a) => a.type === ReceivedAttachmentType.RECEIVED_ATTACHMENT_TYPE_STORY_MENTION);
  if (mention) return { storyMention: { url: mention.url } };
  const post = m.attachments.find((a) => a.type === ReceivedAttachmentType.RECEIVED_ATTACHMENT_TYPE_SHARED_POST);
  if (post && !m.text) return { sharedPost: { mediaId: post.mediaId, url: post.url, title: post.title } };
  const text = m.text || m.attachments.map((a) => `[${a.typeName || 'attachment'}]`).join(' ');
  return {
    ...(text ? { text } : {}),
    ...(m.quickReplyPayload ? { quickReplyPayload: m.quickReplyPayload } : {}),
    ...(m.storyReply ? { storyReply: { id: m.storyReply.id, url: m.storyReply.url } } : {}),
  };
}
