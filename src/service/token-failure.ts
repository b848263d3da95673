import { ErrorReason } from '../../gen/messenger/v1/errors';
import type { Failure } from '../errors/failure';
import type { PageCredentials } from '../graph/page-credentials';

/**
 * Graph's 190 (the account's token is invalid or expired), saying which account and what to do
 * for its way in. Never the token: only the account's id and kind.
 */
export function withAccountOfToken(failure: Failure, creds: PageCredentials): Failure {
  if (failure.reason !== ErrorReason.PAGE_ACCESS_TOKEN_INVALID) return failure;
  return {
    ...failure,
    message: `${failure.message} -- ${TOKEN_ADVICE[creds.way](creds)}`,
    metadata: { ...failure.metadata, account_id: creds.pageId, platform: creds.platform, login: creds.way === 'instagram-login' ? 'instagram' : 'facebook' },
  };
}

// Kept short: the status message is bounded (384 bytes) and Graph's own words come first.
const TOKEN_ADVICE: Record<PageCredentials['way'], (c: PageCredentials) => string> = {
  page: (c) => `Page ${c.pageId}'s token is invalid or expired: set a new Page access token as accessToken of page ${c.pageId} and restart`,
  'instagram-page': (c) => `Instagram account ${c.pageId} uses the token of its linked Page ${c.node}, invalid or expired: set a new Page token of ${c.node} as accessToken of account ${c.pageId} and restart`,
  'instagram-login': (c) => `the Instagram Login token of account ${c.pageId} is invalid or expired (too late to refresh): log in with Instagram again, get a long-lived token, set it as accessToken of account ${c.pageId} and restart`,
};
