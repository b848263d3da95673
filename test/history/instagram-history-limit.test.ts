import { describe, expect, it } from 'vitest';
import { historyCursorOf, historyPageToken } from '../../src/service/history-page-token';
import { instagramHistoryLimited } from '../../src/service/instagram-history-limit';

describe('instagramHistoryLimited', () => {
  it("uses Meta's message_count when it says one", () => {
    expect(instagramHistoryLimited(50, 8, true)).toBe(true);
    expect(instagramHistoryLimited(21, 20, false)).toBe(true);
    expect(instagramHistoryLimited(20, 20, false)).toBe(false);
  });

  it('without a count, says limited on the last page once Meta returned its 20, never before', () => {
    expect(instagramHistoryLimited(0, 20, true)).toBe(false);
    expect(instagramHistoryLimited(0, 19, false)).toBe(false);
    expect(instagramHistoryLimited(0, 20, false)).toBe(true);
  });
});

describe('ListMessages page tokens carry what was served so far', () => {
  it('round-trips the counts, and takes a token of the six-part form as nothing counted', () => {
    const token = historyPageToken('messages', '1001', 'person:5', 'QUJD', 't_1', { returned: 8, messageCount: 50 });
    expect(historyCursorOf(token, 'messages', '1001', 'person:5')).toEqual({ after: 'QUJD', conversation: 't_1', returned: 8, messageCount: 50 });
    const old = Buffer.from(JSON.stringify(['h1', 'messages', '1001', 'person:5', 'QUJD', 't_1'])).toString('base64url');
    expect(historyCursorOf(old, 'messages', '1001', 'person:5')).toEqual({ after: 'QUJD', conversation: 't_1', returned: 0, messageCount: 0 });
    const forged = Buffer.from(JSON.stringify(['h1', 'messages', '1001', 'person:5', 'QUJD', 't_1', -1, 1e20])).toString('base64url');
    expect(historyCursorOf(forged, 'messages', '1001', 'person:5')).toMatchObject({ code: expect.any(Number) });
  });
});
