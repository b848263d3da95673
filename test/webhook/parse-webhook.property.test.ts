// Properties of parseWebhook over generated webhook bodies (fast-check): random entries,
// items of every kind with right and wrong field types, strings with unicode, lone
// surrogates and control characters, serialised with random key order, whitespace,
// escapes (\u00e4 as Meta does, raw UTF-8, \/) and duplicate keys.

import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Event } from '../../gen/messenger/v1/events';
import type { NewEvent } from '../../src/events/event-store';
import { parseWebhook, type ParseContext } from '../../src/webhook/parse-webhook';

const RUNS = 400;
const SEED = 20_260_808;
const CTX: ParseContext = { receivedAt: 1_700_000_000_000, traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate: '' };

type J = null | boolean | number | string | J[] | { [k: string]: J };

// ---------------------------------------------------------------- a random serialiser

/** mulberry32: the serialiser's choices, from a generated seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SHORT: Record<number, string> = { 0x22: '\\"', 0x5c: '\\\\', 0x08: '\\b', 0x0c: '\\f', 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t' };

function u(code: number, rand: () => number): string {
  const hex = code.toString(16).padStart(4, '0');
  return `\\u${rand() < 0.8 ? hex : hex.toUpperCase()}`;
}

function quote(s: string, rand: () => number): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const next = s.charCodeAt(i + 1);
    if (c >= 0xd800 && c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      out += rand() < 0.7 ? u(c, rand) + u(next, rand) : s.slice(i, i + 2); // Meta escapes; raw UTF-8 also valid
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      out += u(c, rand); // a lone surrogate can only be sent escaped
    } else if (c === 0x22 || c === 0x5c || c < 0x20) {
      out += SHORT[c] !== undefined && rand() < 0.7 ? SHORT[c] : u(c, rand);
    } else if (c === 0x2f) {
      out += rand() < 0.5 ? '\\/' : '/';
    } else if (c >= 0x7f) {
      out += rand() < 0.7 ? u(c, rand) : s[i];
    } else {
      out += rand() < 0.03 ? u(c, rand) : s[i];
    }
  }
  return `${out}"`;
}

function ws(rand: () => number): string {
  const r = rand();
  return r < 0.6 ? '' : r < 0.75 ? ' ' : r < 0.85 ? '\n  ' : r < 0.95 ? '\t' : '\r\n';
}

function shuffled<T>(xs: T[], rand: () => number): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j] as T, a[i] as T];
  }
  return a;
}

/** Any JSON text for `v`: the value JSON.parse gives back is always `v` (numbers as JSON.stringify writes them). */
function serialise(v: J, rand: () => number): string {
  if (v === null || typeof v === 'boolean' || typeof v === 'number') return JSON.stringify(v);
  if (typeof v === 'string') return quote(v, rand);
  if (Array.isArray(v)) return `[${v.map((x) => ws(rand) + serialise(x, rand) + ws(rand)).join(',')}]`;
  const parts: string[] = [];
  for (const k of shuffled(Object.keys(v), rand)) {
    // Now and then a decoy: the same key earlier with another value (the last one wins).
    if (rand() < 0.05) parts.push(`${ws(rand)}${quote(k, rand)}:${rand() < 0.5 ? '[{"decoy":1}]' : '"decoy"'}`);
    parts.push(`${ws(rand)}${quote(k, rand)}${ws(rand)}:${ws(rand)}${serialise(v[k] as J, rand)}${ws(rand)}`);
  }
  return `{${parts.join(',')}}`;
}

// ---------------------------------------------------------------- generated bodies

const char = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('a', 'Z', '0', ' ', '_', ':', '.', 'm') },
  { weight: 2, arbitrary: fc.constantFrom('"', '\\', '/', '\n', '\t', '\u0000', '\u001f', '\u007f') },
  { weight: 2, arbitrary: fc.constantFrom('ä', 'é', '€', '\u2028', '\u00a0', '\ufeff', '\ud83d\ude00', '\u2764\ufe0f', '字') },
  { weight: 1, arbitrary: fc.constantFrom('\ud83d', '\ude00') }, // lone surrogates
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
);
const text = fc.string({ unit: char, maxLength: 12 });
const wild: fc.Arbitrary<J> = fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<J>;
const str = fc.oneof({ weight: 5, arbitrary: text }, { weight: 1, arbitrary: wild });
const num = fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 0, max: 2_000_000_000_000 }) }, { weight: 1, arbitrary: wild });
const id = fc.oneof(fc.stringMatching(/^[0-9]{1,17}$/), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), text, wild);
const opt = <T extends Record<string, fc.Arbitrary<unknown>>>(fields: T) => fc.record(fields, { requiredKeys: [] }) as unknown as fc.Arbitrary<J>;
const orWild = (a: fc.Arbitrary<J>) => fc.oneof({ weight: 6, arbitrary: a }, { weight: 1, arbitrary: wild });

const referral = orWild(opt({ ref: str, source: fc.constantFrom('ADS', 'SHORTLINK', 'CUSTOMER_CHAT_PLUGIN'), type: str, ad_id: id, referer_uri: str }));
const attachment = orWild(
  opt({
    type: fc.oneof(fc.constantFrom('image', 'video', 'audio', 'file', 'sticker', 'location', 'fallback', 'template', 'ig_reel', 'story_mention'), str),
    payload: orWild(opt({ url: str, sticker_id: id, coordinates: orWild(opt({ lat: fc.double({ noNaN: true, noDefaultInfinity: true }), long: num })), template_type: str })),
    title: str,
    url: str,
  }),
);

const kind: fc.Arbitrary<[string, J]> = fc.oneof(
  fc.tuple(
    fc.constant('message'),
    orWild(opt({ mid: id, text: str, attachments: orWild(fc.array(attachment, { maxLength: 3 }) as fc.Arbitrary<J>), quick_reply: orWild(opt({ payload: str })), reply_to: orWild(opt({ mid: id })), referral, is_echo: fc.oneof(fc.boolean(), wild), app_id: id, metadata: str })),
  ),
  fc.tuple(fc.constant('message_edit'), orWild(opt({ mid: id, text: str, num_edit: num }))),
  fc.tuple(fc.constant('postback'), orWild(opt({ title: str, payload: str, mid: id, referral }))),
  fc.tuple(fc.constant('read'), orWild(opt({ watermark: num }))),
  fc.tuple(fc.constant('delivery'), orWild(opt({ mids: orWild(fc.array(id, { maxLength: 3 }) as fc.Arbitrary<J>), watermark: num }))),
  fc.tuple(fc.constant('reaction'), orWild(opt({ mid: id, action: fc.oneof(fc.constantFrom('react', 'unreact'), str), reaction: str, emoji: str }))),
  fc.tuple(
    fc.constant('optin'),
    orWild(opt({ ref: str, user_ref: str, type: str, payload: str, notification_messages_token: str, notification_messages_frequency: str, token_expiry_timestamp: num, user_token_status: str, notification_messages_timezone: str })),
  ),
  fc.tuple(fc.constant('referral'), referral),
  fc.tuple(fc.constantFrom('pass_thread_control', 'take_thread_control', 'request_thread_control'), orWild(opt({ new_owner_app_id: id, previous_owner_app_id: id, requested_owner_app_id: id, metadata: str }))),
  fc.tuple(fc.constantFrom('policy_enforcement', 'policy-enforcement'), orWild(opt({ action: str, reason: str }))),
  fc.tuple(fc.oneof(fc.constantFrom('account_linking', 'app_roles', 'game_play', 'constructor', '__proto__'), text), wild),
);

const item: fc.Arbitrary<J> = fc.oneof(
  { weight: 12, arbitrary: fc.tuple(opt({ sender: orWild(opt({ id })), recipient: orWild(opt({ id })), timestamp: num }), kind, fc.dictionary(text, wild, { maxKeys: 2 })).map(([env, [k, v], extra]) => ({ ...(extra as Record<string, J>), ...(env as Record<string, J>), [k]: v })) },
  { weight: 1, arbitrary: wild },
);

const entry: fc.Arbitrary<J> = orWild(
  opt({ id, time: num, messaging: orWild(fc.array(item, { maxLength: 5 }) as fc.Arbitrary<J>), standby: orWild(fc.array(item, { maxLength: 3 }) as fc.Arbitrary<J>), changes: wild }),
);

const webhookBody = fc.record({
  object: fc.constantFrom('page', 'instagram'),
  entry: fc.array(entry, { maxLength: 4 }),
}) as unknown as fc.Arbitrary<J>;

// ---------------------------------------------------------------- checks

type Obj = { [k: string]: unknown };
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What JSON.parse says the items are, in order, with their standby flag. */
function expectedItems(text: string): Array<{ item: unknown; standby: boolean }> {
  const body = JSON.parse(text) as Obj;
  const out: Array<{ item: unknown; standby: boolean }> = [];
  for (const e of body['entry'] as unknown[]) {
    if (!isObj(e)) continue;
    for (const key of ['messaging', 'standby']) {
      const items = Object.hasOwn(e, key) ? e[key] : undefined;
      if (Array.isArray(items)) for (const it of items) out.push({ item: it, standby: key === 'standby' });
    }
  }
  return out;
}

/** Blanks (in place) the `payload.url` of the item's story mention attachments, as the parser does in raw_json; true if there was one. */
function blankStoryUrls(item: unknown): boolean {
  const own = (o: Obj, k: string): unknown => (Object.hasOwn(o, k) ? o[k] : undefined);
  const message = isObj(item) ? own(item, 'message') : undefined;
  const attachments = isObj(message) ? own(message, 'attachments') : undefined;
  if (!Array.isArray(attachments)) return false;
  let blanked = false;
  for (const a of attachments) {
    const payload = isObj(a) && own(a, 'type') === 'story_mention' ? own(a, 'payload') : undefined;
    if (isObj(payload) && Object.hasOwn(payload, 'url')) {
      payload['url'] = '';
      blanked = true;
    }
  }
  return blanked;
}

function parseOk(raw: Buffer): NewEvent[] {
  const r = parseWebhook(raw, CTX);
  if (!r.ok) throw new Error(`not ok: ${r.why}`);
  return r.events;
}

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

/** What does not depend on how the body was written (key order, escapes, whitespace). */
const identity = (e: NewEvent) => ({
  dedupKey: e.dedupKey,
  eventId: e.event.eventId,
  conversation: e.conversation,
  kind: e.event.kind?.$case,
  pageId: e.event.pageId,
  senderId: e.event.senderId,
  recipientId: e.event.recipientId,
  time: e.event.time,
  standby: e.event.standby,
});

describe('parseWebhook (properties)', () => {
  it('one event per item, each raw_json an exact substring of the body that JSON.parses to the item', () => {
    fc.assert(
      fc.property(webhookBody, fc.integer(), (model, seed) => {
        const text = serialise(model, rng(seed));
        const raw = Buffer.from(text, 'utf8');
        const events = parseOk(raw);
        const items = expectedItems(text);
        expect(events).toHaveLength(items.length);
        events.forEach((e, k) => {
          const { item, standby } = items[k] as { item: unknown; standby: boolean };
          // A story mention's URL is kept once (in the typed attachment): blanked in raw_json.
          if (blankStoryUrls(item)) {
            expect(JSON.parse(e.event.rawJson)).toEqual(item);
          } else {
            expect(text.includes(e.event.rawJson)).toBe(true);
            expect(raw.includes(Buffer.from(e.event.rawJson, 'utf8'))).toBe(true);
            expect(JSON.parse(e.event.rawJson)).toEqual(item);
          }
          expect(e.event.standby).toBe(standby);
          expect(e.event.eventId).toBe(`ev_${sha(e.dedupKey).slice(0, 32)}`);
          expect(e.dedupKey).toMatch(/^(message|echo|deleted):.|^edit:.*:-?[0-9]+$|^hash:[0-9a-f]{64}$/s);
          expect(e.conversation.startsWith(`${e.event.platform}\u0000${e.event.pageId}\u0000`)).toBe(true);
          // Valid on the wire (Timestamps in range, enums known).
          expect(Event.decode(Event.encode(e.event).finish())).toEqual(e.event);
        });
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('ids are deterministic: the same body twice gives the same events, another writing of it the same ids', () => {
    fc.assert(
      fc.property(webhookBody, fc.integer(), fc.integer(), (model, seedA, seedB) => {
        const a = Buffer.from(serialise(model, rng(seedA)));
        const b = Buffer.from(serialise(model, rng(seedB)));
        expect(parseOk(a)).toEqual(parseOk(a));
        expect(parseOk(b).map(identity)).toEqual(parseOk(a).map(identity));
      }),
      { numRuns: RUNS, seed: SEED + 1 },
    );
  });

  it('never throws on mangled bodies or arbitrary bytes; ok only for JSON that JSON.parse accepts', () => {
    const mangled = fc.tuple(webhookBody, fc.integer(), fc.nat(), fc.nat({ max: 4 }), fc.string({ unit: char, maxLength: 4 })).map(([model, seed, at, del, ins]) => {
      const t = serialise(model, rng(seed));
      const i = at % (t.length + 1);
      return Buffer.from(t.slice(0, i) + ins + t.slice(i + del));
    });
    fc.assert(
      fc.property(fc.oneof(mangled, fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b))), (raw) => {
        const r = parseWebhook(raw, CTX);
        let json: unknown;
        try {
          json = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(raw));
        } catch {
          expect(r.ok).toBe(false);
          return;
        }
        if (r.ok) {
          expect(isObj(json) && Array.isArray(json['entry'])).toBe(true);
          expect(r.events).toHaveLength(expectedItems(raw.toString('utf8')).length);
        } else {
          expect(r.why.length).toBeLessThanOrEqual(100);
        }
      }),
      { numRuns: RUNS * 2, seed: SEED + 2 },
    );
  });
});
