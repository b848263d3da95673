// Meta's rules on whether a send may go out at all, as the sandbox plays them:
//   - only the app that owns the conversation may send (conversation routing);
//   - RESPONSE, UPDATE (or no type) and sender actions need the standard 24 h window;
//   - MESSAGE_TAG (HUMAN_AGENT, CUSTOMER_FEEDBACK) goes out within 7 days of the last action;
//   - a UTILITY template goes out at any time;
//   - on an Instagram account HUMAN_AGENT is the only tag and there are no utility templates
//     (instagramSendProblem refuses both before this), and the window error is 10/2534022.
// A person the sandbox has seen no action of is taken as inside the window: it cannot know,
// and tests send to ids they make up.
import { isObject } from './json-checks';
import { notThreadOwnerError, outsideWindowError, type AccountKind, type GraphErrorFields } from './graph-errors';
import type { MessagingWindows } from './messaging-windows';
import { SANDBOX_APP_ID, type ThreadOwners } from './thread-owners';

/** The Graph error Meta would answer this (validated) send with, or undefined when it may go out. */
export function policyRefusal(
  pageId: string,
  params: Record<string, unknown>,
  state: { windows: MessagingWindows; threads: ThreadOwners },
  now: number,
  account: AccountKind,
): GraphErrorFields | undefined {
  // Windows and owners are kept per PSID: a phone number, a user_ref or a comment (a private
  // reply) is not a conversation yet.
  const recipient = isObject(params.recipient) ? params.recipient.id : undefined;
  const psid = typeof recipient === 'number' ? String(recipient) : recipient;
  if (typeof psid !== 'string' || psid === '') return undefined;
  if (state.threads.ownerOf(pageId, psid) !== SANDBOX_APP_ID) return notThreadOwnerError();
  const window = state.windows.state(pageId, psid);
  if (!window.known) return undefined;
  const endsAt = allowedUntil(params, window.standardEndsAt!, window.humanAgentEndsAt!);
  return now <= endsAt ? undefined : outsideWindowError(account);
}

/** Until when this kind of send is allowed: the standard window, the human-agent one, or always. */
function allowedUntil(params: Record<string, unknown>, standardEndsAt: number, humanAgentEndsAt: number): number {
  // A sender action carries no type or tag: only the standard window lets it through.
  if (params.sender_action !== undefined) return standardEndsAt;
  const type = typeof params.messaging_type === 'string' ? params.messaging_type.toUpperCase() : undefined;
  if (type === 'UTILITY') return Infinity;
  // The validator took a tag without a type as MESSAGE_TAG, as Graph does for old clients.
  if (type === 'MESSAGE_TAG' || params.tag !== undefined) return humanAgentEndsAt;
  return standardEndsAt;
}
