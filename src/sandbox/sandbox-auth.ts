// Graph's token and appsecret_proof checks. The token is compared, never logged or echoed.

import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { GraphErrorFields } from './graph-errors';

/** What the sandbox knows about one Page: both optional, checked only when set. */
export interface PageSecrets {
  accessToken?: string;
  appSecret?: string;
}

/** How far `appsecret_time` may lie from now: Graph's proofs expire after 5 minutes. */
const PROOF_WINDOW_SECONDS = 5 * 60;

/** The token from `Authorization: Bearer|OAuth <token>`, else the `access_token` param. */
export function extractToken(headers: IncomingHttpHeaders, params: Record<string, unknown>): string | undefined {
  const match = /^\s*(?:Bearer|OAuth)\s+(\S+)\s*$/i.exec(headers.authorization ?? '');
  if (match) return match[1];
  const param = params.access_token;
  return typeof param === 'string' && param !== '' ? param : undefined;
}

/** Graph's auth error for this token and proof, or undefined when both pass. */
export function checkAuth(token: string | undefined, params: Record<string, unknown>, page: PageSecrets | undefined, nowSeconds: number): GraphErrorFields | undefined {
  if (token === undefined) {
    return { message: 'An active access token must be used to query information about the current user.', type: 'OAuthException', code: 190 };
  }
  if (page?.accessToken !== undefined && !sameText(token, page.accessToken)) {
    return { message: 'Invalid OAuth access token - Cannot parse access token', type: 'OAuthException', code: 190 };
  }
  if (page?.appSecret === undefined) return undefined;
  const proof = params.appsecret_proof;
  if (proof === undefined || proof === '') {
    return { message: 'API calls from the server require an appsecret_proof argument', type: 'GraphMethodException', code: 100 };
  }
  const invalid: GraphErrorFields = { message: 'Invalid appsecret_proof provided in the API argument', type: 'GraphMethodException', code: 100 };
  if (typeof proof !== 'string') return invalid;
  const time = params.appsecret_time;
  if (time === undefined) return sameText(proof.toLowerCase(), hmac(page.appSecret, token)) ? undefined : invalid;
  const seconds = typeof time === 'number' ? time : typeof time === 'string' && /^\d+$/.test(time) ? Number(time) : NaN;
  if (!Number.isSafeInteger(seconds) || Math.abs(nowSeconds - seconds) > PROOF_WINDOW_SECONDS) return invalid;
  return sameText(proof.toLowerCase(), hmac(page.appSecret, `${token}|${seconds}`)) ? undefined : invalid;
}

function hmac(key: string, message: string): string {
  return createHmac('sha256', key).update(message).digest('hex');
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
