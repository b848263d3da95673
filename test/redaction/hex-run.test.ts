import { describe, expect, it } from 'vitest';
import { hasHexRun } from '../../src/redaction/secret-redaction';

/** A deterministic pseudo-random source, so that a failure repeats. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('hasHexRun (the skipping scan for 64 hex digits in a row)', () => {
  it('agrees with a regular expression on texts made of hex runs of every length around 64 and separators', () => {
    const next = rng(28);
    const hex = '0123456789abcdefABCDEF';
    const other = 'gxz-_ "{}:GZ';
    for (let t = 0; t < 5_000; t++) {
      let text = '';
      const parts = 1 + Math.floor(next() * 6);
      for (let p = 0; p < parts; p++) {
        const run = Math.floor(next() * 80);
        for (let i = 0; i < run; i++) text += hex[Math.floor(next() * hex.length)];
        const gap = Math.floor(next() * 4);
        for (let i = 0; i < gap; i++) text += other[Math.floor(next() * other.length)];
      }
      expect(hasHexRun(text), text).toBe(/[0-9a-fA-F]{64}/.test(text));
    }
  });

  it('finds a run at the very start and at the very end, and none of 63', () => {
    const run = 'a'.repeat(64);
    expect(hasHexRun(run)).toBe(true);
    expect(hasHexRun(`${run}-tail`)).toBe(true);
    expect(hasHexRun(`head-${run}`)).toBe(true);
    expect(hasHexRun(`x${'f'.repeat(63)}x${'0'.repeat(63)}`)).toBe(false);
    expect(hasHexRun('')).toBe(false);
  });
});
