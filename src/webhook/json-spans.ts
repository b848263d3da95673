/**
 * A strict JSON parser (RFC 8259, the grammar JSON.parse accepts) that also records where
 * every value of every object and array starts and ends in the text. The webhook keeps
 * each item exactly as Meta sent it (`raw_json`): Meta escapes non-ASCII (`\u00e4`) and
 * re-serialising would lose that, so the item is cut out of the body instead.
 *
 * Values are built as JSON.parse builds them: plain objects (an own `__proto__` key is a
 * property, not a prototype), the last of duplicate keys wins, numbers as `Number(literal)`.
 */

export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

/** A value's text is `text.slice(start, end)`. */
export interface Span {
  start: number;
  end: number;
}

/**
 * Where the children of each parsed object (by key, the last duplicate) and array (by index) are.
 * Kept flat, one array per container (`[key, start, end, ...]`, `[start, end, ...]`), not a Map
 * and a Span per member: the parse of every webhook body records them all and reads a few.
 */
export class SpanIndex {
  // Strong maps: an index lives no longer than the parse result that holds it.
  readonly #objects = new Map<JsonObject, Array<string | number>>();
  readonly #arrays = new Map<Json[], number[]>();

  constructor(readonly text: string) {}

  /** The span of `container[key]`, if the container came from this parse and has it. */
  of(container: JsonObject | Json[], key: string | number): Span | undefined {
    if (Array.isArray(container)) {
      const flat = typeof key === 'number' ? this.#arrays.get(container) : undefined;
      if (flat === undefined || !Number.isInteger(key) || (key as number) < 0 || 2 * (key as number) >= flat.length) return undefined;
      return { start: flat[2 * (key as number)], end: flat[2 * (key as number) + 1] };
    }
    const flat = typeof key === 'string' ? this.#objects.get(container) : undefined;
    if (flat === undefined) return undefined;
    // The last duplicate is the value JSON.parse keeps.
    for (let i = flat.length - 3; i >= 0; i -= 3) if (flat[i] === key) return { start: flat[i + 1] as number, end: flat[i + 2] as number };
    return undefined;
  }

  /** The exact text of `container[key]`, or undefined. */
  textOf(container: JsonObject | Json[], key: string | number): string | undefined {
    const span = this.of(container, key);
    return span === undefined ? undefined : this.text.slice(span.start, span.end);
  }

  /** @internal `[key, start, end, ...]` of an object's members in text order. */
  setObject(o: JsonObject, flat: Array<string | number>): void {
    this.#objects.set(o, flat);
  }

  /** @internal `[start, end, ...]` of an array's elements. */
  setArray(a: Json[], flat: number[]): void {
    this.#arrays.set(a, flat);
  }
}

export type JsonParse = { ok: true; value: Json; spans: SpanIndex } | { ok: false; why: string };

/** Deeper nesting than this is refused (the parser recurses; Meta's items are a few levels deep). */
export const MAX_DEPTH = 512;

class JsonSyntaxError extends Error {}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const HEX4 = /^[0-9a-fA-F]{4}$/;

/** Parses `text` as one JSON value (surrounding whitespace allowed); never throws. */
export function parseJsonWithSpans(text: string, maxDepth = MAX_DEPTH): JsonParse {
  const spans = new SpanIndex(text);
  const n = text.length;
  let pos = 0;

  function fail(what: string): never {
    throw new JsonSyntaxError(`${what} at offset ${pos}`);
  }

  const skipWs = (): void => {
    while (pos < n) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) pos++;
      else break;
    }
  };

  const parseString = (): string => {
    // text[pos] is '"'
    let i = pos + 1;
    let out = '';
    let chunk = i;
    for (;;) {
      if (i >= n) {
        pos = i;
        fail('unterminated string');
      }
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        out += text.slice(chunk, i);
        pos = i + 1;
        return out;
      }
      if (c === 0x5c) {
        out += text.slice(chunk, i);
        const e = text.charCodeAt(i + 1);
        switch (e) {
          case 0x22: out += '"'; break;
          case 0x5c: out += '\\'; break;
          case 0x2f: out += '/'; break;
          case 0x62: out += '\b'; break;
          case 0x66: out += '\f'; break;
          case 0x6e: out += '\n'; break;
          case 0x72: out += '\r'; break;
          case 0x74: out += '\t'; break;
          case 0x75: {
            const hex = text.slice(i + 2, i + 6);
            if (!HEX4.test(hex)) {
              pos = i;
              fail('bad \\u escape');
            }
            out += String.fromCharCode(parseInt(hex, 16));
            i += 4;
            break;
          }
          default:
            pos = i;
            fail('bad escape');
        }
        i += 2;
        chunk = i;
        continue;
      }
      if (c < 0x20) {
        pos = i;
        fail('control character in string');
      }
      i++;
    }
  };

  const parseValue = (depth: number): Json => {
    skipWs();
    if (pos >= n) fail('unexpected end');
    const c = text.charCodeAt(pos);
    if (c === 0x7b) return parseObject(depth + 1);
    if (c === 0x5b) return parseArray(depth + 1);
    if (c === 0x22) return parseString();
    if (c === 0x74 && text.startsWith('true', pos)) {
      pos += 4;
      return true;
    }
    if (c === 0x66 && text.startsWith('false', pos)) {
      pos += 5;
      return false;
    }
    if (c === 0x6e && text.startsWith('null', pos)) {
      pos += 4;
      return null;
    }
    NUMBER.lastIndex = pos;
    const m = NUMBER.exec(text);
    if (m === null) fail('unexpected character');
    const literal = m[0];
    pos += literal.length;
    return Number(literal);
  };

  const parseObject = (depth: number): JsonObject => {
    if (depth > maxDepth) fail('nested too deeply');
    pos++; // '{'
    const o: JsonObject = {};
    const childSpans: Array<string | number> = [];
    spans.setObject(o, childSpans);
    skipWs();
    if (text.charCodeAt(pos) === 0x7d) {
      pos++;
      return o;
    }
    for (;;) {
      skipWs();
      if (text.charCodeAt(pos) !== 0x22) fail('expected a key');
      const key = parseString();
      skipWs();
      if (text.charCodeAt(pos) !== 0x3a) fail("expected ':'");
      pos++;
      skipWs();
      const start = pos;
      const v = parseValue(depth);
      if (key === '__proto__') Object.defineProperty(o, key, { value: v, writable: true, enumerable: true, configurable: true });
      else o[key] = v;
      childSpans.push(key, start, pos);
      skipWs();
      const d = text.charCodeAt(pos);
      if (d === 0x2c) {
        pos++;
        continue;
      }
      if (d === 0x7d) {
        pos++;
        return o;
      }
      fail("expected ',' or '}'");
    }
  };

  const parseArray = (depth: number): Json[] => {
    if (depth > maxDepth) fail('nested too deeply');
    pos++; // '['
    const a: Json[] = [];
    const childSpans: number[] = [];
    spans.setArray(a, childSpans);
    skipWs();
    if (text.charCodeAt(pos) === 0x5d) {
      pos++;
      return a;
    }
    for (;;) {
      skipWs();
      const start = pos;
      a.push(parseValue(depth));
      childSpans.push(start, pos);
      skipWs();
      const d = text.charCodeAt(pos);
      if (d === 0x2c) {
        pos++;
        continue;
      }
      if (d === 0x5d) {
        pos++;
        return a;
      }
      fail("expected ',' or ']'");
    }
  };

  try {
    const value = parseValue(0);
    skipWs();
    if (pos !== n) fail('unexpected text after the value');
    return { ok: true, value, spans };
  } catch (err) {
    if (err instanceof JsonSyntaxError) return { ok: false, why: err.message };
    throw err;
  }
}

/**
 * JSON with every object's keys sorted (recursively, by UTF-16 code units): equal values
 * give equal text whatever their key order. Written out rather than built as sorted
 * objects, so an own `__proto__` key stays data.
 */
export function canonicalJson(value: Json): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k] as Json)}`).join(',')}}`;
}
