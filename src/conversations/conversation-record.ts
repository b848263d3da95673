/**
 * What the gateway keeps of one conversation (a Page or Instagram account, and a person):
 * learned only from webhook items the store accepted (signed, stored) and from the gateway's
 * own calls to Graph. Times are epoch ms; 0 is "not known".
 */
export interface ConversationRecord {
  /** Meta's time of the person's last window-opening action (not the arrival time; at most a minute past the arrival, event-facts.ts). */
  lastInboundMs: number;
  /** The last send Graph accepted. */
  lastSendMs: number;
  /** `SELF`, `OTHER` (not this app, id unknown), another app's id, or '' (unknown). */
  owner: string;
  /** When `owner` was learned (Meta's time for events, the gateway's for calls): an older fact never overwrites a newer one. */
  ownerMs: number;
  /** Graph refused a send as outside the window (10/2018278) at this time. */
  windowRefusedMs: number;
}

/** The owner is this app. */
export const SELF = 'self';
/** The owner is another app whose id the gateway has not learned (standby items say only that). */
export const OTHER = 'other';

/** One fact about a conversation; unset fields teach nothing. */
export interface RecordUpdate {
  pageId: string;
  person: string;
  inboundMs?: number;
  sendMs?: number;
  /** SELF, OTHER or an app id, learned at `ownerMs`. */
  owner?: string;
  ownerMs?: number;
  windowRefusedMs?: number;
  /** Apply `owner` only when the Page's own app id is known (an app id that may be this app's own). */
  ownerIfSelfKnown?: boolean;
  /** The app id Meta named as this app (the new owner of a thread passed to it). */
  selfAppId?: string;
}

/** An empty record, for a conversation's first fact. */
export function emptyRecord(): ConversationRecord {
  return { lastInboundMs: 0, lastSendMs: 0, owner: '', ownerMs: 0, windowRefusedMs: 0 };
}

/**
 * Folds a fact into a record, the same way for every store (the Redis script mirrors it):
 * times only move forward (a replayed or late item changes nothing), and an owner learned
 * earlier never replaces one learned later. `OTHER` does not erase a known other app's id.
 */
export function applyUpdate(r: ConversationRecord, u: RecordUpdate): void {
  if (u.inboundMs !== undefined && u.inboundMs > r.lastInboundMs) r.lastInboundMs = u.inboundMs;
  if (u.sendMs !== undefined && u.sendMs > r.lastSendMs) r.lastSendMs = u.sendMs;
  if (u.windowRefusedMs !== undefined && u.windowRefusedMs > r.windowRefusedMs) r.windowRefusedMs = u.windowRefusedMs;
  if (u.owner !== undefined && (u.ownerMs ?? 0) >= r.ownerMs) {
    const keepId = u.owner === OTHER && r.owner !== '' && r.owner !== SELF && r.owner !== OTHER;
    if (!keepId) r.owner = u.owner;
    r.ownerMs = u.ownerMs ?? 0;
  }
}
