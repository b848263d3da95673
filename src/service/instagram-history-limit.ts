import { INSTAGRAM_HISTORY_MESSAGES } from '../limits/graph-limits';

/**
 * Whether an Instagram conversation's history, as Meta serves it, is cut by Meta's limit (only
 * the 20 most recent messages are returned). `messageCount`: Meta's `message_count` (0: Meta did
 * not say); `returned`: the messages served so far, this page's included; `more`: Meta has an
 * older page. Without a count, only the last page can tell, and 20 returned may be all there were:
 * reported as limited, since saying "complete" could mislead and saying "limited" cannot.
 */
export function instagramHistoryLimited(messageCount: number, returned: number, more: boolean): boolean {
  if (messageCount > 0) return messageCount > INSTAGRAM_HISTORY_MESSAGES;
  return !more && returned >= INSTAGRAM_HISTORY_MESSAGES;
}
