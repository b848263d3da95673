import type { Event } from '../../gen/messenger/v1/events';
import { HandoverAction } from '../../gen/messenger/v1/events';
import { OTHER, SELF, type RecordUpdate } from './conversation-record';

/**
 * How far ahead of its arrival an item's time may be before it is taken as the arrival time:
 * Meta's clocks and ours differ a little, a time days ahead is wrong and must not hold a
 * window open for days.
 */
export const MAX_FUTURE_SKEW_MS = 60_000;

/**
 * An item older than this (by Meta's time) teaches nothing: a record it made would only say
 * "closed" about a conversation the gateway never saw live, and Meta retries for hours, not weeks.
 */
export const MAX_PAST_MS = 30 * 24 * 3_600_000;

/**
 * What one stored webhook item tells about its conversation, or undefined (nothing, or too old
 * to matter). The person's window-opening actions (Meta's list, platform.md: a message, a
 * postback or quick reply, a reaction, a referral from an ad or m.me link; an opt-in too, the
 * person's tap) count at Meta's time, clamped to the arrival; echoes, reads, deliveries and
 * edits open nothing. Items in `standby` say another app owns the thread; the person's items in
 * `messaging` say this app does; handovers name the new owner.
 */
export function factsOfEvent(event: Event, arrivedMs: number): RecordUpdate | undefined {
  const kind = event.kind;
  if (!kind) return undefined;
  const echo = kind.$case === 'message' && kind.value.isEcho;
  const person = echo ? event.recipientId : event.senderId;
  if (!person || !event.pageId) return undefined;
  const t = event.time ? event.time.getTime() : arrivedMs;
  const at = t > arrivedMs + MAX_FUTURE_SKEW_MS ? arrivedMs : t;
  if (at < arrivedMs - MAX_PAST_MS) return undefined;
  // The owner is ordered against the gateway's own pass and take (dated by its clock): an item
  // cannot tell of an owner later than its arrival, or a take made after it would lose to it.
  const ownerMs = at > arrivedMs ? arrivedMs : at;
  if (kind.$case === 'handover') {
    const h = kind.value;
    if (h.action === HandoverAction.HANDOVER_ACTION_PASS) {
      // Meta sends a pass to the app that receives the thread: this app.
      return { pageId: event.pageId, person, owner: SELF, ownerMs, ...(h.newOwnerAppId ? { selfAppId: h.newOwnerAppId } : {}) };
    }
    if (h.action === HandoverAction.HANDOVER_ACTION_TAKE) return { pageId: event.pageId, person, owner: h.newOwnerAppId || OTHER, ownerMs };
    return undefined;
  }
  if (echo || !opensWindow(kind.$case)) return undefined;
  return { pageId: event.pageId, person, inboundMs: at, owner: event.standby ? OTHER : SELF, ownerMs };
}

/** Whether an item of this kind from the person (not an echo) opens the window: the one list, also the sandbox's. */
export function opensWindow(kind: NonNullable<Event['kind']>['$case']): boolean {
  return kind === 'message' || kind === 'postback' || kind === 'reaction' || kind === 'referral' || kind === 'optin';
}
