import type { Event, Platform } from '../../gen/messenger/v1/events';

/**
 * The conversation an event belongs to: the unit of per-conversation order, and what the Redis
 * store partitions by. Platform, account and person: an Instagram account and a Page are
 * different conversations even where their ids (or a sandbox's) coincide.
 */
export function conversationKey(platform: Platform, pageId: string, person: string): string {
  return `${platform}\u0000${pageId}\u0000${person}`;
}

/** The person of an event is its sender, but the recipient of an echo, or of the unsend of an echo (the account sent it). */
export function conversationOf(event: Event): string {
  const kind = event.kind;
  const isEcho = (kind?.$case === 'message' || kind?.$case === 'messageDeleted') && kind.value.isEcho;
  return conversationKey(event.platform, event.pageId, isEcho ? event.recipientId : event.senderId);
}
