// The sandbox's Instagram accounts, on both of Meta's hosts: an account reached through its linked
// Page is served on the Page host (`/{page-id}/messages` with the Page's token); an Instagram Login
// account on the Instagram host stand-in (`/instagram/...`, the sandbox's graph.instagram.com) with
// its own Instagram user token, which `GET /instagram/refresh_access_token` renews. Tokens are per
// host: a Page token is refused on the Instagram host and the reverse (190), as on Meta's.

import { randomBytes, timingSafeEqual } from 'node:crypto';
import { INSTAGRAM_MEDIA, INSTAGRAM_ONLY_TAG, INSTAGRAM_TEXT_MAX_BYTES } from '../limits/graph-limits';
import { graphErrorFields, invalidParam, type GraphErrorFields } from './graph-errors';
import { isObject } from './json-checks';

/** The path prefix of the Instagram host stand-in: `graph.instagramBaseUrl` is `<sandbox url>/instagram`. */
export const INSTAGRAM_HOST_PREFIX = '/instagram';

const MAX_USERS_PER_ACCOUNT = 10_000;

/** How long a refreshed token lasts, as Meta's long-lived Instagram tokens: 60 days. */
export const REFRESHED_TOKEN_SECONDS = 60 * 24 * 3600;

/** One Instagram account the sandbox serves. */
export type SandboxInstagramAccount =
  /** Through its linked Page: sent as that Page on the Page host. */
  | { pageId: string }
  /** Through Instagram Login: on the Instagram host, with its own token (any, when none is given). */
  | { login: 'instagram'; accessToken?: string; appSecret?: string };

/** The Instagram accounts and their current tokens. */
export class InstagramAccounts {
  /** Instagram Login accounts' valid tokens (the configured one, then each refreshed one). */
  private readonly tokens = new Map<string, Set<string>>();
  private refreshFailures: Array<{ code: number; subcode?: number }> = [];
  /** The Page-linked accounts by Page. */
  private readonly byPage = new Map<string, string>();
  /** Instagram-scoped ids that wrote to each account (bounded): a send on the linked Page to one of them is an Instagram send. */
  private readonly users = new Map<string, Set<string>>();

  constructor(private readonly accounts: Readonly<Record<string, SandboxInstagramAccount>> = {}) {
    for (const [id, a] of Object.entries(accounts)) {
      if ('pageId' in a) this.byPage.set(a.pageId, id);
      else if (a.accessToken !== undefined) this.tokens.set(id, new Set([a.accessToken]));
    }
  }

  /** Whether `id` is an Instagram Login account (served on the Instagram host). */
  isLoginAccount(id: string): boolean {
    const a = this.accounts[id];
    return a !== undefined && 'login' in a;
  }

  /** Remembers that `userId` wrote to Instagram account `accountId` (told by the webhook side). */
  rememberUser(accountId: string, userId: string): void {
    if (!(accountId in this.accounts)) return;
    let set = this.users.get(accountId);
    if (!set) this.users.set(accountId, (set = new Set()));
    if (set.size >= MAX_USERS_PER_ACCOUNT) set.delete(set.values().next().value as string);
    set.add(userId);
  }

  /** The Instagram account a send on Page `pageId` to `recipientId` is for, if it is one. */
  instagramSendOnPage(pageId: string, recipientId: string | undefined): string | undefined {
    const account = this.byPage.get(pageId);
    return account !== undefined && recipientId !== undefined && this.users.get(account)?.has(recipientId) ? account : undefined;
  }

  /** The Page an account is reached through, if it is one reached that way. */
  linkedPageOf(id: string): string | undefined {
    const a = this.accounts[id];
    return a && 'pageId' in a ? a.pageId : undefined;
  }

  /** The Instagram account linked to a Page, if any. */
  linkedTo(pageId: string): string | undefined {
    return this.byPage.get(pageId);
  }

  appSecretOf(id: string): string | undefined {
    const a = this.accounts[id];
    return a && 'login' in a ? a.appSecret : undefined;
  }

  /**
   * Graph's error for `token` on account `id` of the Instagram host, or undefined when it is
   * the account's (or the account has no token configured and the token is no other account's).
   */
  checkToken(id: string, token: string | undefined): GraphErrorFields | undefined {
    if (token === undefined) return { message: 'An active access token must be used to query information about the current user.', type: 'OAuthException', code: 190 };
    const valid = this.tokens.get(id);
    if (valid === undefined) return this.ownerOf(token) === undefined || this.ownerOf(token) === id ? undefined : invalidToken();
    for (const t of valid) if (same(t, token)) return undefined;
    return invalidToken();
  }

  /** The Instagram Login account holding `token`. */
  ownerOf(token: string): string | undefined {
    for (const [id, set] of this.tokens) for (const t of set) if (same(t, token)) return id;
    return undefined;
  }

  /** The next refreshes fail with this Graph error (tests of a failed refresh). */
  failNextRefreshes(count: number, code = 2, subcode?: number): void {
    this.refreshFailures = Array.from({ length: count }, () => ({ code, ...(subcode ? { subcode } : {}) }));
  }

  /**
   * `GET /refresh_access_token?grant_type=ig_refresh_token`: a new long-lived token for the one
   * given (which stays valid too, as Meta's do until they expire). Meta's 24-hour minimum age is
   * not enforced: a sandbox token has no age.
   */
  refresh(params: Record<string, unknown>, token: string | undefined): { ok: true; body: Record<string, unknown> } | { ok: false; error: GraphErrorFields } {
    if (params.grant_type !== 'ig_refresh_token') return { ok: false, error: invalidParam('Invalid grant_type: must be ig_refresh_token') };
    if (token === undefined) return { ok: false, error: graphErrorFields(190) };
    const failure = this.refreshFailures.shift();
    if (failure) return { ok: false, error: graphErrorFields(failure.code, failure.subcode) };
    const owner = this.ownerOf(token);
    // A token the sandbox never issued for a configured account is refused only when every
    // Instagram Login account has a token configured (otherwise any token stands for one).
    if (owner === undefined && [...Object.values(this.accounts)].some((a) => 'login' in a && a.accessToken === undefined) === false && this.tokens.size > 0) {
      return { ok: false, error: invalidToken() };
    }
    const next = `IGAA${randomBytes(24).toString('hex')}`;
    if (owner !== undefined) this.tokens.get(owner)!.add(next);
    return { ok: true, body: { access_token: next, token_type: 'bearer', expires_in: REFRESHED_TOKEN_SECONDS } };
  }
}

function invalidToken(): GraphErrorFields {
  return { message: 'Invalid OAuth access token - Cannot parse access token', type: 'OAuthException', code: 190 };
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const NOT_ON_INSTAGRAM_TEMPLATES = new Set(['receipt', 'media', 'coupon', 'customer_feedback']);

/**
 * Instagram's own refusals of a `/messages` body, before the common checks: text over 1000 bytes,
 * templates and tags Instagram lacks, media types outside its table, personas. Undefined: the
 * body goes on to the common checks (an Instagram-only attachment is checked here whole).
 */
export function instagramSendProblem(body: Record<string, unknown>): GraphErrorFields | 'instagram-attachment-ok' | undefined {
  if (body.persona_id !== undefined) return invalidParam('Param persona_id is not supported for Instagram messaging');
  if (body.tag !== undefined && body.tag !== INSTAGRAM_ONLY_TAG) return invalidParam(`Param tag must be ${INSTAGRAM_ONLY_TAG} for Instagram messaging`);
  if (body.messaging_type === 'UTILITY') return invalidParam('Utility messages are not supported for Instagram messaging');
  const message = body.message;
  if (!isObject(message)) return undefined;
  if (typeof message.text === 'string' && Buffer.byteLength(message.text, 'utf8') > INSTAGRAM_TEXT_MAX_BYTES) {
    return invalidParam(`Length of param message[text] must be at most ${INSTAGRAM_TEXT_MAX_BYTES} bytes for Instagram messaging`);
  }
  const attachment = message.attachment;
  if (!isObject(attachment)) return undefined;
  const type = typeof attachment.type === 'string' ? attachment.type : '';
  if (type === 'like_heart') return attachment.payload === undefined ? 'instagram-attachment-ok' : invalidParam('Param message[attachment][payload] must be absent for like_heart');
  if (type === 'MEDIA_SHARE') {
    const payload = attachment.payload;
    return isObject(payload) && typeof payload.id === 'string' && /^\d+$/.test(payload.id) ? 'instagram-attachment-ok' : invalidParam('Param message[attachment][payload][id] must be a post id');
  }
  if (type === 'template' && isObject(attachment.payload) && NOT_ON_INSTAGRAM_TEMPLATES.has(String(attachment.payload.template_type))) {
    return invalidParam(`Template type ${String(attachment.payload.template_type)} is not supported for Instagram messaging`);
  }
  if (type === 'file') return invalidParam('Attachment type file is not supported for Instagram messaging');
  if (type in INSTAGRAM_MEDIA && isObject(attachment.payload) && typeof attachment.payload.url === 'string') {
    const ext = /\.([A-Za-z0-9]{1,8})$/.exec(safePath(attachment.payload.url))?.[1]?.toLowerCase();
    const formats = INSTAGRAM_MEDIA[type as keyof typeof INSTAGRAM_MEDIA].formats;
    if (ext !== undefined && !formats.includes(ext)) return invalidParam(`Media format ${ext} is not supported for ${type} in Instagram messaging`, 2534015);
  }
  return undefined;
}

function safePath(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}
