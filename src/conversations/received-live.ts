/**
 * Whether a past message was certainly received live already, though the event store can no
 * longer tell: created while the gateway was receiving the Page's webhooks (at or after its
 * `receiving_since`, so Meta delivered it to the gateway) and longer ago than the store's dedup
 * window (so its live copy's dedup key has expired, as every key is kept at least that long after
 * the copy was stored, which was after the message was created). A message inside the window is
 * left to the store, which knows exactly; one from before the Page was received was never
 * delivered to this gateway. Never received from (0): nothing is taken as received.
 */
export function receivedLive(createdMs: number, receivingSinceMs: number, nowMs: number, dedupWindowMs: number): boolean {
  return receivingSinceMs > 0 && createdMs >= receivingSinceMs && createdMs < nowMs - dedupWindowMs;
}
