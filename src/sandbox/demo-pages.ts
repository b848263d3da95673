// The Page ids the README and the examples use on the sandbox. Any numeric id works there; these
// are named so that demos do not poison each other: a simulated rate limit (`error-613`) pauses the
// Page it hit, so rate-limit demos use a Page of their own. The Instagram accounts are fixed: one
// per way in, known to both the sandbox and the sandbox-mode gateway.

import type { SandboxInstagramAccount } from './instagram-accounts';
import { SIMULATED_REGAIN_MINUTES } from './usage-headers';

/** Page id → what the documentation uses it for. */
export const DEMO_PAGES: Readonly<Record<string, string>> = {
  '1001': 'general examples',
  '1002': `rate-limit demos: error-613 pauses this page for ${SIMULATED_REGAIN_MINUTES * 60} s`,
};

/** The demo Instagram account reached through its linked Page 1001 (Messenger API for Instagram). */
export const DEMO_INSTAGRAM_PAGE_ACCOUNT = '17841400000001001';
/** The demo Instagram account reached through Instagram Login (graph.instagram.com stand-in). */
export const DEMO_INSTAGRAM_LOGIN_ACCOUNT = '17841400000002001';
/** The demo Instagram Login account's first token (the gateway refreshes it at start, as any of unknown expiry). */
export const DEMO_INSTAGRAM_TOKEN = 'sandbox-instagram-token';

/** The demo Instagram accounts as the gateway's config would name them. */
export const DEMO_INSTAGRAM_ACCOUNTS: ReadonlyArray<{ id: string; platform: 'instagram'; pageId?: string; login?: 'instagram'; accessToken: string; purpose: string }> = [
  { id: DEMO_INSTAGRAM_PAGE_ACCOUNT, platform: 'instagram', pageId: '1001', accessToken: 'sandbox-token', purpose: 'Instagram through its linked Page 1001: sent as /1001/messages on the Page host' },
  { id: DEMO_INSTAGRAM_LOGIN_ACCOUNT, platform: 'instagram', login: 'instagram', accessToken: DEMO_INSTAGRAM_TOKEN, purpose: 'Instagram Login: sent as /17841400000002001/messages on the Instagram host (/instagram)' },
];

/** The demo Instagram accounts as the sandbox serves them (both hosts). */
export const DEMO_SANDBOX_INSTAGRAM: Readonly<Record<string, SandboxInstagramAccount>> = Object.fromEntries(
  DEMO_INSTAGRAM_ACCOUNTS.map((a) => [a.id, a.login === 'instagram' ? { login: 'instagram' as const, accessToken: a.accessToken } : { pageId: a.pageId! }]),
);
