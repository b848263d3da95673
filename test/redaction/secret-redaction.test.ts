import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MIN_FRAGMENT, REDACTED, redactRepeated, redactSecrets, redactStrings, registerSecret } from '../../src/redaction/secret-redaction';

// The forms in which an outside attack got credentials back through Graph's echo: cut short,
// split across fields, upper-cased, base64, percent-encoded, glued to other text.
const token = `EAAB${randomBytes(30).toString('base64url').replace(/[-_]/g, 'x')}`;
const appSecret = randomBytes(16).toString('hex');
const proof = createHmac('sha256', appSecret).update(token).digest('hex');
registerSecret(token);
registerSecret(appSecret);

/** Whether any MIN_FRAGMENT-long piece of `secret` survives in `text`. */
function leaks(text: string, secret: string): boolean {
  for (let i = 0; i + MIN_FRAGMENT <= secret.length; i++) if (text.includes(secret.slice(i, i + MIN_FRAGMENT))) return true;
  return false;
}

describe('redactSecrets', () => {
  const cases: Array<[string, string]> = [
    ['the token as is', `bad token ${token} here`],
    ['its first 30 characters', `bad token ${token.slice(0, 30)}...`],
    ['its last 30 characters glued to text', `x${token.slice(-30)}y`],
    ['a 20-character prefix as a JSON key', JSON.stringify({ [token.slice(0, 20)]: 1 })],
    ['the token upper-cased', token.toUpperCase()],
    ['the token in base64', Buffer.from(token).toString('base64')],
    ['the token percent-encoded in a URL', `https://x/?t=${encodeURIComponent(token)}&a=1`],
    ['Bearer%20 and the token', `Authorization: Bearer%20${token}`],
    ['the app secret upper-cased', `secret ${appSecret.toUpperCase()}`],
    ['the proof upper-cased', `invalid appsecret_proof ${proof.toUpperCase()}`],
    ['the proof after an underscore', `proof_${proof}`],
    ['the proof followed by more hex', `proof:${proof}0`],
  ];
  it.each(cases)('%s', (_name, text) => {
    const out = redactSecrets(text);
    expect(out).toContain(REDACTED);
    for (const s of [token, token.toUpperCase(), appSecret, appSecret.toUpperCase(), proof, proof.toUpperCase(), Buffer.from(token).toString('base64')]) {
      expect(leaks(out, s), `${out} leaks ${s}`).toBe(false);
    }
  });

  it('redacts both halves of a token split across two strings', () => {
    const a = redactSecrets(`first ${token.slice(0, 24)}`);
    const b = redactSecrets(`${token.slice(24)} second`);
    expect(leaks(a + b, token)).toBe(false);
  });

  it('an unconfigured Meta token cut short, or glued to a word, is still redacted', () => {
    const other = `EAAG${randomBytes(12).toString('hex')}`;
    expect(redactSecrets(`userToken_${other}`)).not.toContain(other.slice(4));
    expect(redactSecrets(`"token":"${other}"`)).not.toContain(other.slice(4));
    expect(redactSecrets(`token ${other.slice(0, 16)}`)).toBe(`token ${REDACTED}`);
  });

  it('a run of one repeated character is no credential, however long (a request id of 300 "e"s)', () => {
    for (const run of ['e'.repeat(300), '0'.repeat(64), 'F'.repeat(100), `EAA${'A'.repeat(40)}`]) {
      expect(redactSecrets(`request ${run} failed`)).toBe(`request ${run} failed`);
    }
    // A credential glued to such a run is still found.
    expect(redactSecrets(`${'e'.repeat(64)}${proof}`)).toBe(REDACTED);
  });

  it('a proof that holds "EAA" among its hex digits is redacted whole', () => {
    const upper = proof.toUpperCase();
    const withEaa = `${upper.slice(0, 30)}DEAA1${upper.slice(35)}`;
    expect(redactSecrets(`invalid appsecret_proof ${withEaa}`)).toBe(`invalid appsecret_proof ${REDACTED}`);
  });

  it('leaves a Meta message id that holds "EAA" and twelve letters as it is (answers carry it back)', () => {
    for (const mid of ['m_hIaJEAAENUP2FkGiy9PAE5KMzkQ3WAt2', 'm_EAAENUP2FkGiy9PAE5KMzkQ3WAt2x', 'm_x-EAAENUP2FkGiy9PAE5K']) {
      const res = { recipientId: '1254477777772919', messageId: mid };
      expect(redactStrings(res)).toBe(res);
      expect(redactSecrets(`sent ${mid}`)).toBe(`sent ${mid}`);
    }
  });

  it("a registered token's start inside a Meta-id-looking run is redacted as it is anywhere else, even shorter than MIN_FRAGMENT", () => {
    // "EAA" and twelve more: the token shape outside an id; inside one only the fragments would find it, from 16 on.
    for (const n of [15, MIN_FRAGMENT - 1, 20, token.length]) {
      for (const prefix of ['m_', 'mid.', 't_', 'm_x-']) {
        const text = `Graph echoed ${prefix}${token.slice(0, n)} back`;
        expect(redactSecrets(text)).toBe(`Graph echoed ${prefix}${REDACTED} back`);
        expect(redactRepeated(`${prefix}${token.slice(0, n)}`)).toBe(`${prefix}${REDACTED}`);
      }
    }
  });

  it('leaves innocent text alone, and returns the same object when nothing needs redacting', () => {
    const text = 'Graph error 551: This person isn\'t available right now. m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqMvK8ma6AC8fplwlqLP_5cgXIbu7I3rBN0P';
    expect(redactSecrets(text)).toBe(text);
    const res = { recipientId: '1254477777772919', messageId: 'm_AG5Hz2Uq7tuwNEhXfYYKj8mJEM' };
    expect(redactStrings(res)).toBe(res);
  });
});

describe('redactRepeated (remembers the strings it found clean)', () => {
  it('gives what redactSecrets gives, and forgets its clean strings when a secret is registered', () => {
    const text = 'page token is Zq9xLr2Vb8Nw4Tk6Ys1Hd3Fm';
    expect(redactRepeated(text)).toBe(text);
    expect(redactRepeated(text)).toBe(text);
    registerSecret('Zq9xLr2Vb8Nw4Tk6Ys1Hd3Fm');
    expect(redactRepeated(text)).toBe(redactSecrets(text));
    expect(redactRepeated(text)).not.toContain('Zq9xLr2Vb8Nw4Tk6');
    expect(redactRepeated('access_token=abc123456')).toBe(redactSecrets('access_token=abc123456'));
  });
});
