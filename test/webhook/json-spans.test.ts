import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_DEPTH, canonicalJson, parseJsonWithSpans, type Json, type JsonObject, type SpanIndex } from '../../src/webhook/json-spans';

/** Every child of every container: its span's text JSON.parses to the child. */
function checkSpans(value: Json, spans: SpanIndex): void {
  if (value === null || typeof value !== 'object') return;
  const keys: Array<string | number> = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  for (const k of keys) {
    const child = (value as Record<string | number, Json>)[k] as Json;
    const text = spans.textOf(value, k);
    expect(text).toBeDefined();
    expect(JSON.parse(text as string)).toEqual(child);
    checkSpans(child, spans);
  }
}

describe('parseJsonWithSpans', () => {
  it('parses what JSON.parse parses, to the same value, with exact spans', () => {
    const text = ' {"a" : [1, -0.5e3, "x\\u00e4\\ud83d\\ude00\\n\\/" , true,false,null, {}], "b":{"c":[[]]}, "a2":"\\"q\\""}\r\n';
    const r = parseJsonWithSpans(text);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toEqual(JSON.parse(text));
    expect(r.spans.textOf(r.value as JsonObject, 'a')).toBe('[1, -0.5e3, "x\\u00e4\\ud83d\\ude00\\n\\/" , true,false,null, {}]');
    const a = (r.value as JsonObject)['a'] as Json[];
    expect(r.spans.textOf(a, 2)).toBe('"x\\u00e4\\ud83d\\ude00\\n\\/"');
    expect(a[2]).toBe('xä😀\n/');
    checkSpans(r.value, r.spans);
  });

  it('lets the last of duplicate keys win, as JSON.parse does, and keeps __proto__ as data', () => {
    const text = '{"a":1,"__proto__":{"polluted":true},"a":[2]}';
    const r = parseJsonWithSpans(text);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const o = r.value as JsonObject;
    expect(o).toEqual(JSON.parse(text));
    expect(Object.getPrototypeOf(o)).toBe(Object.prototype);
    expect(Object.hasOwn(o, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(r.spans.textOf(o, 'a')).toBe('[2]');
    expect(canonicalJson(o)).toBe('{"__proto__":{"polluted":true},"a":[2]}');
  });

  it('refuses what JSON.parse refuses', () => {
    for (const bad of ['', ' ', '{', '{"a":1,}', '[1,]', '01', '1.', '.5', '+1', '"\\x"', '"\t"', '"abc', '{"a" 1}', 'nul', 'truex', '{} {}', "{'a':1}", 'NaN', '\uFEFF{}', '"\\u12g4"', '[1 2]']) {
      expect(() => JSON.parse(bad), JSON.stringify(bad)).toThrow();
      const r = parseJsonWithSpans(bad);
      expect(r.ok, JSON.stringify(bad)).toBe(false);
    }
  });

  it('refuses nesting past MAX_DEPTH without overflowing the stack', () => {
    const deep = '['.repeat(MAX_DEPTH + 1) + ']'.repeat(MAX_DEPTH + 1);
    expect(parseJsonWithSpans(deep)).toEqual({ ok: false, why: expect.stringContaining('nested too deeply') });
    const ok = '['.repeat(MAX_DEPTH) + ']'.repeat(MAX_DEPTH);
    expect(parseJsonWithSpans(ok).ok).toBe(true);
    const huge = '{"a":'.repeat(200_000);
    expect(parseJsonWithSpans(huge).ok).toBe(false);
  });

  it('agrees with JSON.parse on arbitrary JSON (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer({ min: 0, max: 4 }), (v, indent) => {
        const text = JSON.stringify(v, null, indent);
        const r = parseJsonWithSpans(text);
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        expect(r.value).toEqual(JSON.parse(text));
        checkSpans(r.value, r.spans);
      }),
      { numRuns: 1000 },
    );
  });

  it('accepts exactly what JSON.parse accepts on mangled text (property)', () => {
    const alphabet = fc.constantFrom(...'{}[]:,"\\ \n\t01-+.eEtrufalsn/u0aF'.split(''));
    const mangled = fc.oneof(
      fc.array(alphabet, { maxLength: 30 }).map((cs) => cs.join('')),
      fc
        .tuple(fc.jsonValue(), fc.nat(), fc.nat({ max: 3 }), fc.string({ maxLength: 3 }))
        .map(([v, at, del, ins]) => {
          const t = JSON.stringify(v);
          const i = t.length === 0 ? 0 : at % t.length;
          return t.slice(0, i) + ins + t.slice(i + del);
        }),
    );
    fc.assert(
      fc.property(mangled, (text) => {
        let expected: unknown;
        let valid = true;
        try {
          expected = JSON.parse(text);
        } catch {
          valid = false;
        }
        const r = parseJsonWithSpans(text);
        expect(r.ok, JSON.stringify(text)).toBe(valid);
        if (r.ok) expect(r.value).toEqual(expected);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('canonicalJson', () => {
  it('sorts keys recursively, so key order does not matter', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}');
    expect(canonicalJson(JSON.parse('{"x":1,"y":"\\u00e4"}'))).toBe(canonicalJson(JSON.parse('{"y":"ä","x":1}')));
  });
});
