import { hash } from 'node:crypto';

// An event's id derives from what Meta's retries share (its dedup key): the webhook parser and a
// history backfill derive it the same way, so a live message and its historical copy have one
// id and one dedup key, and the store keeps whichever came first.

/** The dedup key of a message (`message:<mid>`) or of the Page's own message seen as an echo (`echo:<mid>`). */
export function messageDedupKey(mid: string, isEcho: boolean): string {
  return `${isEcho ? 'echo' : 'message'}:${mid}`;
}

/** `ev_` and 32 hex digits of the key's SHA-256. */
export function eventIdOf(dedupKey: string): string {
  // One-shot: no Hash object per event.
  return `ev_${hash('sha256', dedupKey, 'hex').slice(0, 32)}`;
}
