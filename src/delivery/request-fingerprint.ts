import { createHash } from 'node:crypto';

/** Longest idempotency key a caller may send (validated by the service before it reaches a store). */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 256;

/**
 * Identity of one request for idempotency: sha256 hex of the method, a NUL, then the encoded
 * request (encoded with its idempotency key cleared, so only the payload decides "same request").
 */
export function requestFingerprint(method: string, encoded: Uint8Array): string {
  // NUL cannot occur in a gRPC method path, so method and bytes never run together ambiguously.
  return createHash('sha256').update(method).update('\0').update(encoded).digest('hex');
}

/**
 * The store key of a caller's idempotency key, scoped per page: `${pageId}:${key}`. The page id is
 * percent-encoded (a no-op for Graph's numeric ids), so it holds no ':' and the first ':' always ends
 * it: no two (page, key) pairs share a scoped key.
 */
export function scopedKey(pageId: string, idempotencyKey: string): string {
  return `${encodeURIComponent(pageId)}:${idempotencyKey}`;
}
