import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/load-config';

function problems(raw: unknown): string[] {
  try {
    parseConfig(raw, {}, '/etc/gateway');
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.key}: ${p.problem}`);
    throw err;
  }
  return [];
}

describe('Instagram accounts in the config', () => {
  it('takes the three kinds of account with the keys of the contract', () => {
    const c = parseConfig({
      graph: { instagramBaseUrl: 'https://ig.example.com/' },
      pages: [
        { id: '1001', accessToken: 'page-token' },
        { id: '17841400000001001', platform: 'instagram', pageId: '1001', accessToken: 'page-token' },
        { id: '17841400000002001', platform: 'instagram', login: 'instagram', accessToken: 'ig-token', token: { expiresAt: '2027-02-01T00:00:00Z', store: { file: 'ig.json' } } },
      ],
    }, {}, '/etc/gateway');
    expect(c.graph.instagramBaseUrl).toBe('https://ig.example.com');
    expect(c.pages[0]).not.toHaveProperty('platform');
    expect(c.pages[1]).toMatchObject({ platform: 'instagram', pageId: '1001' });
    expect(c.pages[2]).toMatchObject({ platform: 'instagram', login: 'instagram', token: { expiresAt: '2027-02-01T00:00:00Z', store: { file: '/etc/gateway/ig.json' } } });
    expect(parseConfig({}).graph.instagramBaseUrl).toBe('https://graph.instagram.com');
    expect(parseConfig({}).tokenRefresh).toEqual({ refreshBeforeMs: 30 * 86_400_000, warnBeforeMs: 7 * 86_400_000, retryMs: 900_000 });
  });

  it('refuses an Instagram account with neither way in, or with both, and keys out of place, each named', () => {
    expect(problems({ pages: [{ id: '1', platform: 'instagram', accessToken: 't' }] })).toEqual([expect.stringMatching(/^pages\[0\]: an Instagram account needs "pageId".*"login": "instagram"/)]);
    expect(problems({ pages: [{ id: '1', platform: 'instagram', login: 'instagram', pageId: '2', accessToken: 't' }] })).toEqual([expect.stringMatching(/^pages\[0\]\.pageId: must be absent with login "instagram"/)]);
    expect(problems({ pages: [{ id: '1', pageId: '2', login: 'instagram', accessToken: 't' }] })).toEqual([
      expect.stringMatching(/^pages\[0\]\.login: is only for platform "instagram"/),
      expect.stringMatching(/^pages\[0\]\.pageId: is only for platform "instagram"/),
    ]);
    expect(problems({ pages: [{ id: '1', platform: 'tiktok', accessToken: 't' }] })).toEqual([expect.stringMatching(/^pages\[0\]\.platform: must be "messenger" or "instagram"/)]);
    expect(problems({ pages: [{ id: '1', platform: 'instagram', pageId: '2', accessToken: 't', token: { store: { file: 'x' } } }] })).toEqual([expect.stringMatching(/^pages\[0\]\.token: is only for login "instagram"/)]);
    expect(problems({ pages: [{ id: '1', platform: 'instagram', login: 'instagram', accessToken: 't', token: { expiresAt: 'soon', store: { disk: 'x' } } }] })).toEqual([
      expect.stringMatching(/^pages\[0\]\.token\.expiresAt: must be an ISO 8601 time/),
      expect.stringMatching(/^pages\[0\]\.token\.store: must be \{"file": PATH\} or \{"redis": true\}/),
    ]);
    expect(problems({ pages: [{ id: '1', platform: 'instagram', login: 'instagram', accessToken: 't', token: { store: { redis: true } } }] })).toEqual([expect.stringMatching(/^pages\[0\]\.token\.store: keeps the token in Redis, but store\.redis is not configured/)]);
    expect(problems({ tokenRefresh: { refreshBeforeMs: 60 * 86_400_000 } })).toEqual([expect.stringMatching(/^tokenRefresh\.refreshBeforeMs/)]);
  });
});
