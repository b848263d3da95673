import type { PageConfig } from '../config/gateway-config';
import { classicProof, timedProof, type AppsecretProof } from './appsecret-proof';

/** What the Graph client needs to act as one Page. Never logged, never put in a URL. */
export interface PageCredentials {
  pageId: string;
  /** The value of the `Authorization` header, precomputed once. */
  authorization: string;
  /** Extra body parameters proving the app secret, or undefined without one. */
  proof(): AppsecretProof | undefined;
}

/** Builds the credentials of a configured Page; the classic proof is computed once. */
export function pageCredentials(page: PageConfig): PageCredentials {
  const authorization = `Bearer ${page.accessToken}`;
  const secret = page.appSecret;
  if (secret === undefined) return { pageId: page.id, authorization, proof: () => undefined };
  if (page.appsecretProof === 'timed') {
    return { pageId: page.id, authorization, proof: () => timedProof(page.accessToken, secret) };
  }
  const fixed = classicProof(page.accessToken, secret);
  return { pageId: page.id, authorization, proof: () => fixed };
}
