import { ReactionAction, type Event } from '../../gen/messenger/v1/events';

/**
 * Whether a received event (re)opens its conversation's messaging window, by Meta's list: the
 * person sends a message (a quick reply is one), taps a postback button or Get Started, enters
 * through an ad, an m.me link or another referral, or reacts to a message. Echoes are the Page's.
 */
export function opensWindow(event: Event): boolean {
  const kind = event.kind;
  switch (kind?.$case) {
    case 'message':
      return !kind.value.isEcho;
    case 'postback':
    case 'referral':
      return true;
    case 'reaction':
      return kind.value.action !== ReactionAction.REACTION_ACTION_UNREACT;
    default:
      return false;
  }
}
