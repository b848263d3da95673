import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runProfile } from '../../src/cli/profile';
import { UsageError } from '../../src/cli/usage-error';
import { ConfigError, parseConfig } from '../../src/config/load-config';
import { profileAsCodeProblems } from '../../src/config/profile-as-code';
import { planProfile } from '../../src/graph/messenger-profile-plan';

// A profile as code that the diff cannot read must be refused where it is read, not planned as
// "up to date" (a misspelt property, a wrong JSON type) or as a bogus delete ("constructor").
const HOSTILE: Record<string, unknown>[] = [
  { greting: [{ locale: 'default', text: 'typo' }] },
  { greeting: 'hello' },
  { get_started: 'GET_STARTED' },
  { account_linking_url: ['https://example.com'] },
  { constructor: null },
  { toString: null, greeting: [{ locale: 'default', text: 'hi' }] },
];

describe('the profile as code: its shape', () => {
  it('names every problem of a hostile profile, and none of a valid one', () => {
    for (const p of HOSTILE) expect(profileAsCodeProblems(p), JSON.stringify(p)).not.toEqual([]);
    expect(profileAsCodeProblems({ get_started: { payload: 'GS' }, greeting: [{ locale: 'default', text: 'hi' }], whitelisted_domains: null, account_linking_url: 'https://example.com' })).toEqual([]);
    expect(profileAsCodeProblems({ greeting: 'hello', commands: 3 })).toHaveLength(2);
  });

  it('the config refuses a property of the wrong type', () => {
    const config = (messengerProfile: unknown) => ({ pages: [{ id: '1001', accessToken: 'token-1001', messengerProfile }] });
    expect(() => parseConfig(config({ greeting: 'hello' }), {})).toThrow(ConfigError);
    expect(() => parseConfig(config({ greeting: [{ locale: 'default', text: 'hi' }] }), {})).not.toThrow();
  });

  it('npm run profile --file refuses it before calling the gateway', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'profile-shape-'));
    for (const [i, p] of HOSTILE.entries()) {
      const file = join(dir, `p${i}.json`);
      writeFileSync(file, JSON.stringify(p));
      // Nothing listens on port 1: a profile that got past the check would end with an exit code, not a UsageError.
      await expect(runProfile(['--page', '1001', '--diff', '--file', file, '--target', '127.0.0.1:1', '--timeout-ms', '300', '--api-key', 'k']), file).rejects.toThrow(UsageError);
    }
  });

  it('the plan never finds a property on Object.prototype', () => {
    expect(planProfile({ constructor: null, toString: null }, {}).changes).toEqual([]);
  });
});
