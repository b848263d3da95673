/**
 * How many dedup keys an event store keeps at most, besides forgetting each after the dedup
 * window: a flood of distinct events within the window would otherwise leave one key per event
 * (the memory store's map, the Redis store's keys). Twice the events the store may hold, so that
 * a retry of anything still stored is refused; the oldest key is forgotten first.
 */
const DEDUP_KEYS_PER_EVENT = 2;
const MIN_DEDUP_KEYS = 1024;

/** The most dedup keys a store bounded at `maxEvents` keeps (the Redis store: over all its partitions). */
export function dedupKeyBound(maxEvents: number): number {
  return Math.max(MIN_DEDUP_KEYS, maxEvents * DEDUP_KEYS_PER_EVENT);
}
