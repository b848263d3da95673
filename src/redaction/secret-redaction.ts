/**
 * What must never leave the process: every configured secret and anything shaped like a
 * credential. The status encoder (answers to callers), the logger and the span exporter pass
 * every string they emit through here, whatever field, attribute or event it sits in: it
 * does not depend on names.
 */
/** Registered secrets shorter than MIN_FRAGMENT, searched for whole. */
const secrets = new Set<string>();
/** The longer ones, found through their anchors. */
const longSecrets = new Set<string>();

/**
 * A piece of a registered secret this long is redacted wherever it appears: Graph (or a proxy)
 * may echo a token cut short, or split across two fields, and a prefix of 16 random characters
 * is as good as a credential to nobody but is still the credential's.
 */
export const MIN_FRAGMENT = 16;
// Fragments are found through 8-character anchors taken every 8 characters of each secret:
// any 16-character piece of a secret contains one whole anchor, so a text with no anchor (the
// common case, checked with one rolling hash over it) has no fragment.
const ANCHOR = 8;
const anchors = new Map<number, Array<{ secret: string; at: number }>>();
// A one-byte-per-slot filter in front of the map: most positions of most texts stop here.
const ANCHOR_FILTER = new Uint8Array(1 << 16);

/**
 * Strings found to need no redaction, under the secrets registered so far (registerSecret
 * empties it). Span attribute keys and most values, span names and a page's answers repeat on
 * every send: looked up here they cost a hash lookup instead of three scans. Bounded: emptied
 * when full, so that one-off strings (message ids) cannot grow it.
 */
const clean = new Set<string>();
const CLEAN_MAX = 1024;

/** Registers a value (token, app secret, caller key, Redis password) that must never leave the process. */
export function registerSecret(value: string | undefined): void {
  // Very short values would redact innocent text and are not credentials anyway.
  if (!value || value.length < 8) return;
  // A string found clean before may hold the new secret.
  clean.clear();
  // The forms a secret travels in: as is, in either case (hex secrets), base64 and percent-encoded.
  const forms = new Set([value, value.toLowerCase(), value.toUpperCase(), Buffer.from(value).toString('base64'), Buffer.from(value).toString('base64url'), encodeURIComponent(value)]);
  for (const form of forms) {
    if (TOKEN_START.test(form)) tokenStarts.add(form.slice(0, TOKEN_START_LENGTH));
    if (secrets.has(form) || longSecrets.has(form)) continue;
    // Short secrets are searched for as they are; long ones only through their anchors (any
    // occurrence of one contains anchors), so the cost of a string does not grow with the
    // number of Pages configured.
    if (form.length < MIN_FRAGMENT) {
      secrets.add(form);
      continue;
    }
    longSecrets.add(form);
    for (let at = 0; at + ANCHOR <= form.length; at += ANCHOR) {
      const h = hash(form, at);
      ANCHOR_FILTER[h & 0xffff] = 1;
      const list = anchors.get(h) ?? [];
      list.push({ secret: form, at });
      anchors.set(h, list);
    }
  }
}

export const REDACTED = '[REDACTED]';

// Credentials by name, whatever their value: query/form parameters (also percent-encoded) and
// bearer headers.
const NAMED: RegExp[] = [
  /((?:access_token|appsecret_proof|appsecret_time|client_secret|input_token)(?:=|%3D))[^&\s"']+/gi,
  /(bearer(?:\s|%20|\+)+)[A-Za-z0-9._~+/=%-]+/gi,
];
// Credentials by shape, with where their random part starts: hex HMAC-SHA256 proofs (any case,
// also inside longer hex runs) and Facebook tokens (EAA..., also cut short or glued to a word).
// The proofs go first: a proof that holds "EAA" would otherwise lose those digits to the token
// shape and no longer be 64 hex digits long. A random part that is one character repeated (a
// request id of 300 "e"s) is no credential and is left alone.
const HEX_SHAPE = /[0-9a-fA-F]{64,}/g;
const TOKEN_SHAPE = /EAA[A-Za-z0-9]{12,}/g;
// Meta's message and conversation ids (`m_...`, `mid....`, `t_...`) are random base64url runs,
// and about one in a few thousand holds "EAA" and twelve more letters: the answer carried such an
// id back as "m_...[REDACTED]". A token shape inside a run that starts so is left alone; the
// gateway's own tokens are still found there, as anywhere, by their registered fragments.
const ID_RUN_START = /(?:^|[^A-Za-z0-9_.-])(?:m_|mid\.|t_)[A-Za-z0-9_.-]*$/;
// But the start of a registered token is not let through there: the shape finds "EAA" and twelve
// more anywhere else, while the fragments begin at MIN_FRAGMENT, so `m_` and a token's first 15
// characters would have come out whole.
const TOKEN_START_LENGTH = 15;
const TOKEN_START = /^EAA[A-Za-z0-9]{12}/;
const tokenStarts = new Set<string>();

// Cheap tests that every credential-shaped substring passes (a superset of NAMED, HEX_SHAPE and TOKEN_SHAPE), so that
// the common string is scanned once instead of replaced four times: a case-insensitive regex
// over the whole pattern set cost ~2 µs per log line, these a tenth of it.
const MAYBE_WORD = /_token|appsecret_|client_secret|bearer/i;
function mayHoldCredential(text: string): boolean {
  return text.includes('EAA') || MAYBE_WORD.test(text) || hasHexRun(text);
}

const HEX_RUN = 64;
function isHex(code: number): boolean {
  const c = code | 0x20; // folds A-F onto a-f (digits are unchanged)
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66);
}

/**
 * Whether `text` holds HEX_RUN hex digits in a row. Looks at the last character a run could end
 * on and, when it is not hex, jumps a whole run ahead (no run can cover it): a line without
 * long hex runs costs a look per 64 characters instead of one per character.
 */
export function hasHexRun(text: string): boolean {
  let end = HEX_RUN - 1;
  while (end < text.length) {
    if (!isHex(text.charCodeAt(end))) {
      end += HEX_RUN;
      continue;
    }
    let start = end;
    while (start > end - HEX_RUN + 1 && isHex(text.charCodeAt(start - 1))) start--;
    if (start === end - HEX_RUN + 1) return true;
    // text[start - 1] is not hex: a run starts at `start` or later.
    end = start + HEX_RUN - 1;
  }
  return false;
}
// No registered secret (>= 8 characters) and no pattern match ("bearer x" is the shortest) fits in fewer.
const SHORTEST_SECRET = 8;

/** Replaces every registered secret (and every piece of one), and every credential-shaped substring. */
export function redactSecrets(text: string): string {
  if (text.length < SHORTEST_SECRET) return text;
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join(REDACTED);
  if (anchors.size > 0 && out.length >= MIN_FRAGMENT) out = redactFragments(out);
  if (!mayHoldCredential(out)) return out;
  for (const re of NAMED) out = out.replace(re, `$1${REDACTED}`);
  out = out.replace(HEX_SHAPE, (m) => (oneCharacter(m, 0) ? m : REDACTED));
  out = out.replace(TOKEN_SHAPE, (m, at: number, whole: string) => (oneCharacter(m, 3) || (insideId(whole, at) && !tokenStarts.has(m.slice(0, TOKEN_START_LENGTH))) ? m : REDACTED));
  return out;
}

/** Whether the base64url run that `text[at]` is part of is a Meta id (looks back at most 512 characters). */
function insideId(text: string, at: number): boolean {
  return at > 0 && ID_RUN_START.test(text.slice(Math.max(0, at - 512), at));
}

/** Whether `s` from `from` on is one character repeated. */
function oneCharacter(s: string, from: number): boolean {
  const c = s.charCodeAt(from);
  for (let i = from + 1; i < s.length; i++) if (s.charCodeAt(i) !== c) return false;
  return true;
}


/**
 * redactSecrets for strings that repeat (span attributes, answer fields): the same result,
 * remembered for the strings that came out unchanged. Not for log lines, which never repeat.
 */
export function redactRepeated(text: string): string {
  if (text.length < SHORTEST_SECRET || clean.has(text)) return text;
  const out = redactSecrets(text);
  if (out === text) {
    if (clean.size >= CLEAN_MAX) clean.clear();
    clean.add(text);
  }
  return out;
}

/** A polynomial hash of `s[at..at+8)`. */
function hash(s: string, at: number): number {
  let h = 0;
  for (let i = at; i < at + ANCHOR; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

// 31^8, to take the leaving character out of the rolling hash.
const POW = (() => {
  let p = 1;
  for (let i = 0; i < ANCHOR; i++) p = Math.imul(p, 31);
  return p;
})();

/** Every run of MIN_FRAGMENT or more characters that is also a run of a secret, replaced. */
function redactFragments(text: string): string {
  let spans: Array<[number, number]> | undefined;
  let h = hash(text, 0);
  for (let i = 0; i + ANCHOR <= text.length; i++) {
    if (i > 0) h = (Math.imul(h, 31) - Math.imul(text.charCodeAt(i - 1), POW) + text.charCodeAt(i + ANCHOR - 1)) | 0;
    if (ANCHOR_FILTER[h & 0xffff] === 0) continue;
    const candidates = anchors.get(h);
    if (!candidates) continue;
    for (const { secret, at } of candidates) {
      if (!text.startsWith(secret.slice(at, at + ANCHOR), i)) continue;
      let left = 0;
      while (i - left > 0 && at - left > 0 && text[i - left - 1] === secret[at - left - 1]) left++;
      let right = 0;
      while (i + ANCHOR + right < text.length && at + ANCHOR + right < secret.length && text[i + ANCHOR + right] === secret[at + ANCHOR + right]) right++;
      if (left + ANCHOR + right >= MIN_FRAGMENT) (spans ??= []).push([i - left, i + ANCHOR + right]);
    }
  }
  if (!spans) return text;
  spans.sort((x, y) => x[0] - y[0]);
  let out = '';
  let pos = 0;
  for (const [start, end] of spans) {
    if (end <= pos) continue;
    out += text.slice(pos, Math.max(pos, start)) + (start >= pos ? REDACTED : '');
    pos = end;
  }
  return out + text.slice(pos);
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
  if (typeof value === 'string') return redactRepeated(value) as T;
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
  const keys = Object.keys(value);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    const v = (value as Record<string, unknown>)[k];
    const r = redactStrings(v);
    if (r !== v) (copy ??= { ...(value as Record<string, unknown>) })[k] = r;
  }
  return (copy ?? value) as T;
}
