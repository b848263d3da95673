/**
 * What a send is, for Meta's windows: any message (RESPONSE, UPDATE or unset), a `HUMAN_AGENT`
 * tagged message (allowed for 7 days), a utility template (allowed whenever), or a sender
 * action (typing, seen, a reaction: it carries no tag, so only within the standard window).
 */
export type SendKind = 'message' | 'human-agent' | 'utility' | 'sender-action';

/** The conversation a send goes to, when its recipient is a person's id (a user_ref, post or comment reply names none the gateway can know). */
export interface ConversationSend {
  person: string;
  kind: SendKind;
}
