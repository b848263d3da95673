import type { NewEvent } from '../events/event-store';
import type { ObservedCustomerMessage } from '../sandbox/sandbox-observer';

/**
 * The customers' messages among stored webhook events, as the inbox takes them: messages that are
 * not echoes, and postbacks. A message with attachments and no text shows their types (`[image]`).
 * Other events (reads, reactions, ...) change no conversation of the inbox.
 */
export function customerMessagesOf(events: readonly NewEvent[]): ObservedCustomerMessage[] {
  const out: ObservedCustomerMessage[] = [];
  for (const { event } of events) {
    const kind = event.kind;
    const at = event.time?.getTime() ?? event.receivedTime?.getTime() ?? Date.now();
    const base = { at, pageId: event.pageId, psid: event.senderId };
    if (kind?.$case === 'message' && !kind.value.isEcho) {
      const m = kind.value;
      const text = m.text || m.attachments.map((a) => `[${a.typeName || 'attachment'}]`).join(' ');
      out.push({ ...base, mid: m.mid, ...(text ? { text } : {}), ...(m.quickReplyPayload ? { quickReplyPayload: m.quickReplyPayload } : {}) });
    } else if (kind?.$case === 'postback') {
      out.push({ ...base, mid: kind.value.mid, postback: { title: kind.value.title, payload: kind.value.payload } });
    }
  }
  return out;
}
