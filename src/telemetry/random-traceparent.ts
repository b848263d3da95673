import { randomFillSync } from 'node:crypto';

/** Bytes of one traceparent's ids: a 16-byte trace id and an 8-byte span id. */
const ID_BYTES = 24;
/** Ids drawn from the CSPRNG at once: a call per id pair cost ~8 µs each, per webhook POST. */
const POOL_IDS = 512;
const pool = Buffer.alloc(ID_BYTES * POOL_IDS);
let next = pool.length;

/**
 * A fresh W3C `traceparent` (version 00, sampled) with random trace and span ids, for a
 * trace that starts here without a tracer. The ids come from a pool filled by the CSPRNG and
 * each byte is used once, as Node does for `randomUUID`.
 */
export function randomTraceparent(): string {
  if (next === pool.length) {
    randomFillSync(pool);
    next = 0;
  }
  const at = next;
  next += ID_BYTES;
  return `00-${pool.toString('hex', at, at + 16)}-${pool.toString('hex', at + 16, at + ID_BYTES)}-01`;
}
