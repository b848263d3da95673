import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { classicProof, timedProof } from '../../src/graph/appsecret-proof';
import { pageCredentials } from '../../src/graph/page-credentials';

describe('appsecret_proof', () => {
  it('classic: hex HMAC-SHA256 of the token keyed by the app secret', () => {
    // Independent computation of the documented formula.
    const expected = createHmac('sha256', 'shh').update('EAAB-token').digest('hex');
    expect(classicProof('EAAB-token', 'shh')).toEqual({ appsecret_proof: expected });
    expect(expected).toMatch(/^[0-9a-f]{64}$/);
  });

  it('timed: HMAC of token|time, with appsecret_time', () => {
    const expected = createHmac('sha256', 'shh').update('EAAB-token|1700000000').digest('hex');
    expect(timedProof('EAAB-token', 'shh', 1700000000)).toEqual({ appsecret_proof: expected, appsecret_time: 1700000000 });
  });

  it('page credentials carry the proof only with an app secret', () => {
    expect(pageCredentials({ id: '1', accessToken: 't', appsecretProof: 'classic' }).proof()).toBeUndefined();
    const creds = pageCredentials({ id: '1', accessToken: 't', appSecret: 's', appsecretProof: 'timed' });
    expect(creds.authorization).toBe('Bearer t');
    expect(creds.proof()?.appsecret_time).toBeGreaterThan(1_700_000_000);
  });
});
