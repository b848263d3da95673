/**
 * Meta's webhook signature: `X-Hub-Signature-256: sha256=<hex>`, the HMAC-SHA256 of the raw
 * request bytes keyed with the app secret. Only this header counts: the legacy SHA1
 * `X-Hub-Signature` is never accepted alone (the caller passes only the -256 header).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type SignatureCheck = { ok: true } | { ok: false; why: 'missing' | 'malformed' | 'mismatch' };

const PREFIX = 'sha256=';
/** `sha256=` then 64 hex digits, either case (the digest is compared as bytes). */
const SIGNATURE = /^sha256=[0-9a-fA-F]{64}$/;

function hmac(rawBody: Buffer, appSecret: string): Buffer {
  if (appSecret.length === 0) {
    // An empty key makes every signature forgeable: a configuration error, not a bad request.
    throw new TypeError('the app secret must not be empty');
  }
  return createHmac('sha256', appSecret).update(rawBody).digest();
}

/** The header value Meta would send for these bytes: `sha256=<lowercase hex>`. */
export function signBody(rawBody: Buffer, appSecret: string): string {
  return PREFIX + hmac(rawBody, appSecret).toString('hex');
}

/**
 * Checks the `X-Hub-Signature-256` header (as Node gives it: a string, several strings, or
 * nothing) against the raw body. `missing`: no header, or an empty one; `malformed`: not
 * exactly `sha256=` and 64 hex digits (a `sha1=` value, several headers, a truncated digest);
 * `mismatch`: well formed but not this body's signature. The digests are compared in
 * constant time. Throws only when `appSecret` is empty.
 */
export function verifySignature(rawBody: Buffer, header: string | string[] | undefined, appSecret: string): SignatureCheck {
  const expected = hmac(rawBody, appSecret);
  let value: string | undefined;
  if (Array.isArray(header)) {
    if (header.length > 1) return { ok: false, why: 'malformed' };
    value = header[0];
  } else {
    value = header;
  }
  if (value === undefined) return { ok: false, why: 'missing' };
  value = value.trim();
  if (value.length === 0) return { ok: false, why: 'missing' };
  if (!SIGNATURE.test(value)) return { ok: false, why: 'malformed' };
  const given = Buffer.from(value.slice(PREFIX.length), 'hex');
  // Both are 32 bytes here (the pattern guarantees 64 hex digits).
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, why: 'mismatch' };
  return { ok: true };
}
