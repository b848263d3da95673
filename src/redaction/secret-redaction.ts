/**
 * What must never leave the process: every configured secret and anything shaped like a
 * credential. The status encoder (answers to callers), the logger and the span exporter pass
 * every string they emit through here, whatever field, attribute or event it sits in: it
 * does not depend on names.
 */
const secrets = new Set<string>();

/** Registers a value (token, app secret, caller key, Redis password) that must never leave the process. */
export function registerSecret(value: string | undefined): void {
  // Very short values would redact innocent text and are not credentials anyway.
  if (value && value.length >= 8) secrets.add(value);
}

export const REDACTED = '[REDACTED]';

// Credential shapes, whatever their origin: query/form parameters, bearer headers,
// Facebook tokens (EAA...) and 64-hex HMAC-SHA256 proofs.
const PATTERNS: RegExp[] = [
  /((?:access_token|appsecret_proof|appsecret_time|client_secret|input_token)=)[^&\s"']+/gi,
  /(bearer\s+)[A-Za-z0-9._~+/=-]+/gi,
  /()\bEAA[A-Za-z0-9]{20,}/g,
  /()\b[0-9a-f]{64}\b/g,
];

// One case-insensitive pass that every credential-shaped substring matches (a superset of
// PATTERNS: no \b, any case), so that the common string is tested once instead of replaced four times.
const MAYBE_PATTERN = /(?:access_token|appsecret_proof|appsecret_time|client_secret|input_token)=|bearer\s|EAA[A-Za-z0-9]{20}|[0-9a-f]{64}/i;
// No registered secret (>= 8 characters) and no pattern match ("bearer x" is the shortest) fits in fewer.
const SHORTEST_SECRET = 8;

/** Replaces every registered secret and every credential-shaped substring. */
export function redactSecrets(text: string): string {
  if (text.length < SHORTEST_SECRET) return text;
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join(REDACTED);
  if (!MAYBE_PATTERN.test(out)) return out;
  for (const re of PATTERNS) out = out.replace(re, `$1${REDACTED}`);
  return out;
}

/** A URL with its query (and credentials) replaced, for `url.full`. */
export function redactUrlQuery(url: string): string {
  const q = url.indexOf('?');
  const noQuery = q === -1 ? url : `${url.slice(0, q)}?${REDACTED}`;
  return noQuery.replace(/\/\/[^/@]*@/, '//');
}

/**
 * `value` with every string in it (nested objects and arrays too) redacted; the same object
 * when nothing needed it, so the common answer costs a few string tests and no copy.
 */
export function redactStrings<T>(value: T): T {
  if (typeof value === 'string') return redactSecrets(value) as T;
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    value.forEach((item, i) => {
      const r = redactStrings(item);
      if (r !== item) (out ??= [...value])[i] = r;
    });
    return (out ?? value) as T;
  }
  let copy: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(value)) {
    const r = redactStrings(v);
    if (r !== v) (copy ??= { ...(value as Record<string, unknown>) })[k] = r;
  }
  return (copy ?? value) as T;
}
