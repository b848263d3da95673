import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signBody, verifySignature } from '../../src/webhook/verify-signature';

const SECRET = 'app-secret-0123';
// Meta escapes non-ASCII: the signature is over these exact bytes.
const BODY = Buffer.from('{"object":"page","entry":[{"id":"1001","time":1458692752478,"messaging":[{"sender":{"id":"123"},"recipient":{"id":"1001"},"timestamp":1458692752478,"message":{"mid":"m_1","text":"h\\u00e4llo"}}]}]}');

describe('signBody', () => {
  it('is sha256= and the lowercase hex HMAC-SHA256 of the raw bytes, keyed with the app secret', () => {
    const expected = createHmac('sha256', SECRET).update(BODY).digest('hex');
    expect(signBody(BODY, SECRET)).toBe(`sha256=${expected}`);
    expect(signBody(BODY, SECRET)).toMatch(/^sha256=[0-9a-f]{64}$/);
  });

  it('refuses an empty app secret (every signature would be forgeable)', () => {
    expect(() => signBody(BODY, '')).toThrow(TypeError);
    expect(() => verifySignature(BODY, signBody(BODY, SECRET), '')).toThrow(TypeError);
  });
});

describe('verifySignature', () => {
  it('accepts the signature of the body', () => {
    expect(verifySignature(BODY, signBody(BODY, SECRET), SECRET)).toEqual({ ok: true });
  });

  it('accepts upper-case and mixed-case hex', () => {
    const hex = signBody(BODY, SECRET).slice('sha256='.length);
    expect(verifySignature(BODY, `sha256=${hex.toUpperCase()}`, SECRET)).toEqual({ ok: true });
    const mixed = [...hex].map((c, i) => (i % 2 === 0 ? c.toUpperCase() : c)).join('');
    expect(verifySignature(BODY, `sha256=${mixed}`, SECRET)).toEqual({ ok: true });
  });

  it('accepts a single header given as an array (as Node may hand it over)', () => {
    expect(verifySignature(BODY, [signBody(BODY, SECRET)], SECRET)).toEqual({ ok: true });
  });

  it('reports a missing header as missing', () => {
    expect(verifySignature(BODY, undefined, SECRET)).toEqual({ ok: false, why: 'missing' });
    expect(verifySignature(BODY, '', SECRET)).toEqual({ ok: false, why: 'missing' });
    expect(verifySignature(BODY, '   ', SECRET)).toEqual({ ok: false, why: 'missing' });
    expect(verifySignature(BODY, [], SECRET)).toEqual({ ok: false, why: 'missing' });
  });

  it('reports a signature of another body, or with another secret, as mismatch', () => {
    expect(verifySignature(BODY, signBody(Buffer.from('{}'), SECRET), SECRET)).toEqual({ ok: false, why: 'mismatch' });
    expect(verifySignature(BODY, signBody(BODY, 'another-secret'), SECRET)).toEqual({ ok: false, why: 'mismatch' });
    expect(verifySignature(BODY, `sha256=${'0'.repeat(64)}`, SECRET)).toEqual({ ok: false, why: 'mismatch' });
  });

  it('reports a body altered after signing as mismatch (one byte, or re-serialised JSON)', () => {
    const header = signBody(BODY, SECRET);
    const altered = Buffer.from(BODY);
    altered[altered.length - 3] ^= 0x01;
    expect(verifySignature(altered, header, SECRET)).toEqual({ ok: false, why: 'mismatch' });
    // The classic body-parser failure: parse and stringify turns \u00e4 into ä.
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(BODY.toString('utf8'))));
    expect(reserialised.equals(BODY)).toBe(false);
    expect(verifySignature(reserialised, header, SECRET)).toEqual({ ok: false, why: 'mismatch' });
    expect(verifySignature(Buffer.concat([BODY, Buffer.from('\n')]), header, SECRET)).toEqual({ ok: false, why: 'mismatch' });
  });

  it('reports anything but sha256= and 64 hex digits as malformed', () => {
    const hex = signBody(BODY, SECRET).slice('sha256='.length);
    const sha1 = createHmac('sha1', SECRET).update(BODY).digest('hex');
    for (const bad of [
      `sha1=${sha1}`, // the legacy X-Hub-Signature value, passed where the -256 one belongs
      hex, // no prefix
      `sha256=${hex.slice(0, 63)}`,
      `sha256=${hex}0`,
      `sha256=${hex.slice(0, 62)}zz`,
      `sha256:${hex}`,
      `SHA256=${hex}`,
      `sha256= ${hex}`,
      `sha256=${hex}, sha256=${hex}`, // two headers joined by Node
      'sha256=',
      'garbage',
    ]) {
      expect(verifySignature(BODY, bad, SECRET), bad).toEqual({ ok: false, why: 'malformed' });
    }
  });

  it('reports several headers as malformed, even when one of them is right', () => {
    const good = signBody(BODY, SECRET);
    expect(verifySignature(BODY, [good, good], SECRET)).toEqual({ ok: false, why: 'malformed' });
    expect(verifySignature(BODY, [good, signBody(Buffer.from('x'), SECRET)], SECRET)).toEqual({ ok: false, why: 'malformed' });
  });

  it('accepts exactly the bytes it was given a signature for (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), fc.uint8Array({ maxLength: 512 }), fc.string({ minLength: 1, maxLength: 40 }), (a, b, secret) => {
        const bodyA = Buffer.from(a);
        const bodyB = Buffer.from(b);
        expect(verifySignature(bodyA, signBody(bodyA, secret), secret)).toEqual({ ok: true });
        expect(verifySignature(bodyB, signBody(bodyA, secret), secret)).toEqual(bodyA.equals(bodyB) ? { ok: true } : { ok: false, why: 'mismatch' });
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on any header value (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 3 }), fc.constant(undefined)), (header) => {
        const r = verifySignature(BODY, header, SECRET);
        expect(r.ok === true || ['missing', 'malformed', 'mismatch'].includes(r.why)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
