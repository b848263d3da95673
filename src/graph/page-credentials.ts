import type { PageConfig, Platform } from '../config/gateway-config';
import { classicProof, timedProof, type AppsecretProof } from './appsecret-proof';

/** How an account reaches Graph: a Page, an Instagram account through its Page, or Instagram Login. */
export type AccountWay = 'page' | 'instagram-page' | 'instagram-login';

/** Which configured origin an account's calls go to: `graph.baseUrl` or `graph.instagramBaseUrl`. */
export type GraphHost = 'graph' | 'instagram';

/**
 * What the Graph client needs to act as one account (a Page or an Instagram account). Never
 * logged, never put in a URL.
 */
export interface PageCredentials {
  /** The account's id: the `page_id` of the RPCs, the webhook's `entry[].id`. */
  pageId: string;
  platform: Platform;
  way: AccountWay;
  /**
   * The Graph node its calls are made on: the linked Page for an Instagram account reached
   * through its Page (`/{pageId}/messages`), else the account itself.
   */
  node: string;
  host: GraphHost;
  /** The value of the `Authorization` header, precomputed at each token change. */
  authorization: string;
  /** Extra body parameters proving the app secret, or undefined without one. */
  proof(): AppsecretProof | undefined;
  /**
   * Replaces the token (an Instagram Login token refreshed): the header and the proof, which is
   * an HMAC of the token, follow it.
   */
  setAccessToken(token: string): void;
}

/** The way in of a configured account. */
export function wayOf(page: Pick<PageConfig, 'platform' | 'login'>): AccountWay {
  if (page.platform !== 'instagram') return 'page';
  return page.login === 'instagram' ? 'instagram-login' : 'instagram-page';
}

/** Builds the credentials of a configured account; the classic proof is computed once per token. */
export function pageCredentials(page: PageConfig): PageCredentials {
  const way = wayOf(page);
  const secret = page.appSecret;
  let token = page.accessToken;
  let fixed: AppsecretProof | undefined;
  const creds: PageCredentials = {
    pageId: page.id,
    platform: page.platform ?? 'messenger',
    way,
    node: way === 'instagram-page' ? page.pageId ?? page.id : page.id,
    host: way === 'instagram-login' ? 'instagram' : 'graph',
    authorization: `Bearer ${token}`,
    proof: () => {
      if (secret === undefined) return undefined;
      return page.appsecretProof === 'timed' ? timedProof(token, secret) : fixed;
    },
    setAccessToken: (next) => {
      token = next;
      creds.authorization = `Bearer ${next}`;
      fixed = secret === undefined ? undefined : classicProof(next, secret);
    },
  };
  creds.setAccessToken(token);
  return creds;
}
