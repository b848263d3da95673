import { describe, expect, it } from 'vitest';
import { parseUsageHeaders } from '../../src/graph/usage-headers';

describe('parseUsageHeaders', () => {
  it('reads the highest percentages and the regain time in seconds', () => {
    expect(parseUsageHeaders({
      'x-app-usage': '{"call_count":12,"total_cputime":3,"total_time":40}',
      'x-page-usage': '{"call_count":99,"total_cputime":1,"total_time":1}',
      'x-business-use-case-usage': JSON.stringify({
        '1001': [{ type: 'messenger', call_count: 100, total_cputime: 5, total_time: 7, estimated_time_to_regain_access: 3 }],
        '1002': [{ type: 'pages', call_count: 10, total_cputime: 5, total_time: 7, estimated_time_to_regain_access: 0 }],
      }),
    })).toEqual({ appPercent: 40, pagePercent: 99, businessPercent: 100, regainAccessSeconds: 180 });
  });

  it('ignores malformed values instead of trusting them', () => {
    expect(parseUsageHeaders({
      'x-app-usage': '{not json',
      'x-page-usage': '["call_count", 100]',
      'x-business-use-case-usage': '{"1001":[{"call_count":"100","estimated_time_to_regain_access":-5}],"x":3}',
    })).toEqual({});
  });

  it('bounds absurd values', () => {
    const u = parseUsageHeaders({
      'x-business-use-case-usage': '{"1":[{"call_count":1e9,"estimated_time_to_regain_access":1e9}]}',
    });
    expect(u.businessPercent).toBe(10_000);
    expect(u.regainAccessSeconds).toBe(24 * 3600);
  });

  it('returns nothing without headers', () => {
    expect(parseUsageHeaders({})).toEqual({});
  });
});
