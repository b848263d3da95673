import { status } from '@grpc/grpc-js';
import { ErrorReason } from '../../gen/messenger/v1/errors';
import type { Platform } from '../config/gateway-config';
import { gatewayFailure, GATEWAY_DOMAIN, type Failure } from '../errors/failure';
import { OTHER, SELF, type ConversationRecord } from './conversation-record';
import { allowanceAt, humanAgentWindowEnd, standardWindowEnd } from './conversation-state';
import type { SendKind } from './send-kind';

/**
 * Why Meta would refuse this send by what the record holds, or undefined (it may go, or the
 * record cannot tell). Another app owning the thread comes first (Graph refuses every send
 * of a non-owner); then the windows: a sender action and an untagged message need the
 * standard window, a HUMAN_AGENT message the 7-day one, a utility template none. What is
 * left, and Graph's code, are the platform's: an Instagram account has no utility templates
 * (HUMAN_AGENT is its only tag) and Graph refuses there with 10/2534022. The message says what
 * Meta would do; the guard adds what the gateway did.
 */
export function policyRefusal(r: ConversationRecord, kind: SendKind, nowMs: number, platform: Platform): Failure | undefined {
  if (r.owner !== '' && r.owner !== SELF) {
    const app = r.owner === OTHER ? '' : r.owner;
    return gatewayFailure(status.FAILED_PRECONDITION, ErrorReason.NOT_THREAD_OWNER,
      `${app ? `app ${app}` : 'another app'} owns this conversation (it came in standby or was passed); take it (TakeThreadControl) or ask for it (RequestThreadControl)`,
      { metadata: { owner_app_id: app } });
  }
  if (kind === 'utility') return undefined;
  const allowed = allowanceAt(r, nowMs, platform);
  if (allowed === 'any' || allowed === 'unknown') return undefined;
  if (kind === 'human-agent' && allowed === 'human-agent') return undefined;
  const instagram = platform === 'instagram';
  const closedAt = new Date(standardWindowEnd(r)).toISOString();
  const metadata: Record<string, string> = { window_closed_at: closedAt, allowed: STILL_ALLOWED[allowed] };
  let still: string;
  if (allowed === 'human-agent') {
    metadata.human_agent_until = new Date(humanAgentWindowEnd(r)).toISOString();
    still = instagram
      ? `only a human agent's reply (MESSAGE_TAG with tag HUMAN_AGENT, Instagram's only tag) until ${metadata.human_agent_until}; Instagram has no utility templates`
      : `a human agent's reply (MESSAGE_TAG with tag HUMAN_AGENT) until ${metadata.human_agent_until}, or a utility template`;
  } else {
    metadata.human_agent_window_closed_at = new Date(humanAgentWindowEnd(r)).toISOString();
    still = instagram
      ? 'nothing until the person writes again (Instagram has no utility templates)'
      : 'only a utility template (MESSAGING_TYPE_UTILITY)';
  }
  const what = kind === 'sender-action' ? 'a sender action' : kind === 'human-agent' ? 'a HUMAN_AGENT message' : 'this message';
  // A HUMAN_AGENT message needs the 7-day window: when that one closed is the answer to "since when".
  const closed = kind === 'human-agent' ? `the human-agent window (7 days) closed at ${metadata.human_agent_window_closed_at}` : `the messaging window closed at ${closedAt}`;
  return gatewayFailure(status.FAILED_PRECONDITION, ErrorReason.OUTSIDE_MESSAGING_WINDOW,
    `${closed}: ${what} would be refused by Graph (${instagram ? '10/2534022' : '10/2018278'}); still allowed: ${still}`,
    { metadata, domain: GATEWAY_DOMAIN });
}

/** `metadata.allowed` of a refusal: what the conversation still takes past its standard window. */
const STILL_ALLOWED: Record<'human-agent' | 'utility' | 'none', string> = {
  'human-agent': 'HUMAN_AGENT',
  utility: 'UTILITY_TEMPLATE',
  none: 'NONE',
};
