/**
 * The last line of defence against leaking credentials into telemetry: every string
 * leaving the process through an exporter goes through `redactSecrets`, whatever
 * attribute, event or status it sits in. It does not depend on attribute names.
 */
const secrets = new Set<string>();

/** Registers a value (token, app secret, proof) that must never be exported. */
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
