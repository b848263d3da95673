import type { TokenRefreshConfig } from '../config/gateway-config';
import type { StoredToken, TokenStore } from '../delivery/token-store';
import { tokenOrigin } from '../delivery/token-store';
import { classicProof } from '../graph/appsecret-proof';
import type { GraphClient } from '../graph/graph-client';
import type { GraphOutcome } from '../graph/graph-types';
import type { PageCredentials } from '../graph/page-credentials';
import type { Logger } from '../log/logger';
import { registerSecret } from '../redaction/secret-redaction';
import { recordTokenExpiry, recordTokenRefresh } from '../telemetry/gateway-metrics';

/** Time, injected: tests drive the refresh with a clock of their own instead of patching globals. */
export interface Clock {
  now(): number;
  /** Runs `fn` once `ms` have passed; the handle cancels it. */
  schedule(fn: () => void, ms: number): unknown;
  cancel(handle: unknown): void;
}

export const SYSTEM_CLOCK: Clock = {
  now: () => Date.now(),
  schedule: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  cancel: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** One Instagram Login account the refresher keeps alive. */
export interface RefreshedAccount {
  creds: PageCredentials;
  /** The token of the config (what a kept token must descend from). */
  configuredToken: string;
  /** `token.expiresAt` of the config, epoch ms. */
  configuredExpiresAt?: number;
  store: TokenStore;
  /** The app secret its proof is keyed with (the proof follows the token, and is a secret too). */
  appSecret?: string;
}

/** What an account's token looks like now (for logs, tests and the health of the token). */
export interface TokenHealth {
  account: string;
  /** Epoch ms; undefined until the first refresh tells it. */
  expiresAt?: number;
  lastRefreshAt?: number;
  /** Why the last refresh failed; cleared by a success. Never the token. */
  lastError?: string;
  refreshes: number;
  failures: number;
}

// setTimeout takes at most 2^31-1 ms (24.8 days): a later moment is reached in steps.
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Refreshes Instagram Login tokens before they expire (Meta's `GET /refresh_access_token?
 * grant_type=ig_refresh_token` on the Instagram host: a long-lived token at least a day old and
 * not expired comes back renewed for 60 days). Each account: its token is refreshed when less than
 * `refreshBeforeMs` is left (at once when its expiry is unknown), kept in its store, and put in
 * its credentials; a failed refresh is logged and tried again after `retryMs`; a token with less
 * than `warnBeforeMs` left is warned of at every try. A token never reaches a log line.
 */
export class InstagramTokenRefresher {
  private readonly timers = new Map<string, unknown>();
  private readonly health = new Map<string, TokenHealth>();
  private stopped = false;

  constructor(
    private readonly graph: Pick<GraphClient, 'instagramTokenCall'>,
    private readonly accounts: readonly RefreshedAccount[],
    private readonly options: TokenRefreshConfig & { timeoutMs: number },
    private readonly logger: Logger,
    private readonly clock: Clock = SYSTEM_CLOCK,
  ) {}

  /** Loads each kept token (when it descends from the configured one) and plans each refresh. */
  async start(): Promise<void> {
    for (const a of this.accounts) {
      const account = a.creds.pageId;
      const h: TokenHealth = { account, refreshes: 0, failures: 0, expiresAt: a.configuredExpiresAt };
      this.health.set(account, h);
      let kept: StoredToken | undefined;
      try {
        kept = await a.store.load();
      } catch (err) {
        this.logger.error({ account, err: errText(err) }, 'Instagram token store unreadable: starting from the configured token');
      }
      if (kept && kept.origin === tokenOrigin(a.configuredToken)) {
        this.use(a, kept.accessToken);
        h.expiresAt = kept.expiresAt;
        h.lastRefreshAt = kept.refreshedAt;
      }
      if (h.expiresAt !== undefined) recordTokenExpiry(account, h.expiresAt);
      // A token already due is refreshed before the gateway serves (a failure is reported and
      // retried, and never stops the start); the others at their moment.
      if (this.due(h)) await this.refresh(a);
      else this.plan(a);
    }
  }

  private due(h: TokenHealth): boolean {
    return h.expiresAt === undefined || this.clock.now() >= h.expiresAt - this.options.refreshBeforeMs;
  }

  /** Every account's token health. */
  tokens(): TokenHealth[] {
    return [...this.health.values()].map((h) => ({ ...h }));
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) this.clock.cancel(t);
    this.timers.clear();
  }

  /** Refreshes one account now (its plan is replaced by the one after). */
  async refreshNow(account: string): Promise<TokenHealth | undefined> {
    const a = this.accounts.find((x) => x.creds.pageId === account);
    if (!a) return undefined;
    await this.refresh(a);
    return { ...this.health.get(account)! };
  }

  /** Arms the account's next step: its refresh when due, else a wake-up at that moment. */
  private plan(a: RefreshedAccount, retry = false): void {
    if (this.stopped) return;
    const h = this.health.get(a.creds.pageId)!;
    const now = this.clock.now();
    this.warnIfNear(h, now);
    let wait: number;
    if (retry) wait = this.options.retryMs;
    else if (h.expiresAt === undefined) wait = 0;
    else wait = Math.max(0, h.expiresAt - this.options.refreshBeforeMs - now);
    this.arm(a, Math.min(wait, MAX_TIMER_MS), () => {
      if (retry || this.due(h)) void this.refresh(a);
      else this.plan(a);
    });
  }

  private arm(a: RefreshedAccount, ms: number, fn: () => void): void {
    const old = this.timers.get(a.creds.pageId);
    if (old !== undefined) this.clock.cancel(old);
    this.timers.set(a.creds.pageId, this.clock.schedule(fn, ms));
  }

  private async refresh(a: RefreshedAccount): Promise<void> {
    const account = a.creds.pageId;
    const h = this.health.get(account)!;
    const token = a.creds.authorization.slice('Bearer '.length);
    const started = this.clock.now();
    let outcome: GraphOutcome;
    try {
      outcome = await this.graph.instagramTokenCall('/refresh_access_token', { grant_type: 'ig_refresh_token' }, token, { deadline: Date.now() + this.options.timeoutMs });
    } catch (err) {
      outcome = { kind: 'unreachable', detail: errText(err), maybeDelivered: false };
    }
    if (this.stopped) return;
    const renewed = outcome.kind === 'ok' ? renewal(outcome.body) : undefined;
    if (!renewed) {
      h.failures += 1;
      h.lastError = failureText(outcome);
      recordTokenRefresh(account, 'failed');
      const left = h.expiresAt === undefined ? undefined : h.expiresAt - this.clock.now();
      this.logger.error(
        { account, error: h.lastError, retryInMs: this.options.retryMs, ...(left === undefined ? {} : { expiresAt: new Date(h.expiresAt!).toISOString(), expiresInMs: left }) },
        'Instagram token refresh failed; trying again',
      );
      this.plan(a, true);
      return;
    }
    this.use(a, renewed.accessToken);
    const stored: StoredToken = { accessToken: renewed.accessToken, expiresAt: started + renewed.expiresInMs, refreshedAt: started, origin: tokenOrigin(a.configuredToken) };
    try {
      await a.store.save(stored);
    } catch (err) {
      // The new token works in this process; a restart would fall back to the configured one.
      this.logger.error({ account, err: errText(err) }, 'Instagram token refreshed but not kept: a restart would use the configured token');
    }
    // Counted once kept: whoever reads the health after a refresh finds the token stored.
    h.expiresAt = stored.expiresAt;
    h.lastRefreshAt = started;
    h.lastError = undefined;
    h.refreshes += 1;
    recordTokenExpiry(account, stored.expiresAt);
    recordTokenRefresh(account, 'ok');
    this.logger.info({ account, expiresAt: new Date(stored.expiresAt).toISOString() }, 'Instagram token refreshed');
    this.plan(a);
  }

  private use(a: RefreshedAccount, token: string): void {
    // Registered before use: no log line, span or answer may show the new token or its proof.
    registerSecret(token);
    if (a.appSecret) registerSecret(classicProof(token, a.appSecret).appsecret_proof);
    a.creds.setAccessToken(token);
  }

  private warnIfNear(h: TokenHealth, now: number): void {
    if (h.expiresAt === undefined || h.expiresAt - now >= this.options.warnBeforeMs) return;
    const left = h.expiresAt - now;
    this.logger.warn(
      { account: h.account, expiresAt: new Date(h.expiresAt).toISOString(), expiresInMs: left, ...(h.lastError ? { lastError: h.lastError } : {}) },
      left > 0
        ? `Instagram token of account ${h.account} expires in ${Math.ceil(left / 3_600_000)} h and has not been refreshed: check the refresh errors; once expired, log in with Instagram again`
        : `Instagram token of account ${h.account} has expired: log in with Instagram again and configure the new long-lived token`,
    );
  }
}

function renewal(body: Record<string, unknown>): { accessToken: string; expiresInMs: number } | undefined {
  const token = body.access_token;
  const expiresIn = body.expires_in;
  if (typeof token !== 'string' || token === '' || typeof expiresIn !== 'number' || !(expiresIn > 0)) return undefined;
  return { accessToken: token, expiresInMs: expiresIn * 1000 };
}

function failureText(outcome: GraphOutcome): string {
  switch (outcome.kind) {
    case 'ok':
      return 'the answer has no access_token and expires_in';
    case 'graph-error':
      return `Graph error ${outcome.error.code}${outcome.error.errorSubcode ? `/${outcome.error.errorSubcode}` : ''}: ${outcome.error.message}`;
    case 'http-error':
      return `HTTP ${outcome.status}`;
    case 'bad-response':
      return `bad answer: ${outcome.detail}`;
    case 'unreachable':
      return `unreachable: ${outcome.detail}`;
    case 'timeout':
      return `no answer within ${outcome.timeoutMs} ms`;
    case 'cancelled':
      return 'cancelled';
  }
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
