// Instagram Login token refresh against the sandbox's real HTTP refresh endpoint, driven by a fake
// clock handed to the refresher (no global is patched): due refreshes, kept tokens, a failed
// refresh reported and retried, the warning before expiry, and sends with the refreshed token.

import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/config/gateway-config';
import { fileTokenStore, memoryTokenStore, redisTokenStore, type TokenStore } from '../../src/delivery/token-store';
import { redisServerAvailable, useRedisServer } from '../support/redis-server';
import { GraphClient } from '../../src/graph/graph-client';
import { pageCredentials, type PageCredentials } from '../../src/graph/page-credentials';
import { createLogger } from '../../src/log/logger';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox-server';
import { InstagramTokenRefresher, type Clock } from '../../src/service/instagram-token-refresh';
import { waitFor } from '../support/wait-for';

const DAY = 24 * 3600_000;
const ACCOUNT = '17841400000000033';
const FIRST_TOKEN = 'IGAA-first-long-lived-token-0001';

/** Time the test moves by hand: timers fire only when it is advanced past them. */
class FakeClock implements Clock {
  private t = Date.parse('2027-01-01T00:00:00Z');
  private timers = new Map<number, { at: number; fn: () => void }>();
  private next = 1;
  now(): number {
    return this.t;
  }
  schedule(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  }
  cancel(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  /** Moves to `now + ms`, firing each timer due on the way at its own moment. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, x]) => x.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.t = Math.max(this.t, due[1].at);
      due[1].fn();
    }
    this.t = end;
  }
  pending(): number {
    return this.timers.size;
  }
}

let sandbox: Sandbox;
let graph: GraphClient;
const logs: string[] = [];
const logger = createLogger('debug', new Writable({ write: (c: Buffer, _e, cb) => (logs.push(...c.toString().split('\n').filter(Boolean)), cb()) }));

beforeAll(async () => {
  sandbox = await startSandbox({ instagram: { [ACCOUNT]: { login: 'instagram', accessToken: FIRST_TOKEN } } });
  graph = new GraphClient({ ...DEFAULT_CONFIG.graph, baseUrl: sandbox.url, instagramBaseUrl: sandbox.instagramUrl, timeoutMs: 5_000, connections: 2 });
});
afterAll(async () => {
  await graph.close();
  await sandbox.close();
});

function refresher(clock: FakeClock, creds: PageCredentials, store: TokenStore, configuredExpiresAt?: number): InstagramTokenRefresher {
  const options = { ...DEFAULT_CONFIG.tokenRefresh, retryMs: 15 * 60_000, timeoutMs: 5_000 };
  return new InstagramTokenRefresher(graph, [{ creds, configuredToken: FIRST_TOKEN, configuredExpiresAt, store }], options, logger, clock);
}

const refreshCalls = () => sandbox.received.filter((r) => r.path === '/instagram/refresh_access_token');
const ok = (r: InstagramTokenRefresher, n: number) => waitFor(() => r.tokens()[0]!.refreshes >= n, { what: `refresh number ${n}` });

describe('Instagram Login token refresh', () => {
  it('refreshes when less than refreshBeforeMs is left, keeps the new token, and plans the next one', async () => {
    const clock = new FakeClock();
    const creds = pageCredentials({ id: ACCOUNT, platform: 'instagram', login: 'instagram', accessToken: FIRST_TOKEN, appsecretProof: 'classic' });
    const dir = mkdtempSync(join(tmpdir(), 'ig-token-'));
    const file = join(dir, 'token.json');
    // 40 days left: the refresh (30 days before expiry) is 10 days away.
    const r = refresher(clock, creds, fileTokenStore(file), clock.now() + 40 * DAY);
    const before = refreshCalls().length;
    await r.start();
    clock.advance(9 * DAY);
    expect(refreshCalls().length).toBe(before);
    clock.advance(1 * DAY);
    await ok(r, 1);
    const call = refreshCalls().at(-1)!;
    expect(call.method).toBe('GET');
    expect(call.query).toEqual({ grant_type: 'ig_refresh_token' });
    expect(call.headers.authorization).toBe(`Bearer ${FIRST_TOKEN}`);
    const renewed = creds.authorization.slice('Bearer '.length);
    expect(renewed).not.toBe(FIRST_TOKEN);
    // Meta's refreshed tokens last 60 days from the refresh.
    expect(r.tokens()[0]!.expiresAt).toBe(clock.now() + 60 * DAY);
    const kept = JSON.parse(readFileSync(file, 'utf8')) as { accessToken: string; expiresAt: number };
    expect(kept.accessToken).toBe(renewed);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // The next refresh: 30 days before the new expiry.
    clock.advance(29 * DAY);
    expect(r.tokens()[0]!.refreshes).toBe(1);
    clock.advance(1 * DAY);
    await ok(r, 2);
    r.stop();

    // A restart takes the kept token (it descends from the configured one) and its expiry.
    const again = pageCredentials({ id: ACCOUNT, platform: 'instagram', login: 'instagram', accessToken: FIRST_TOKEN, appsecretProof: 'classic' });
    const r2 = refresher(new FakeClock(), again, fileTokenStore(file), clock.now() + 40 * DAY);
    await r2.start();
    expect(again.authorization).toBe(creds.authorization);
    r2.stop();
    expect(logs.join('\n')).not.toContain(renewed);
  });

  it('the refreshed token is what the next send carries, and the sandbox takes it', async () => {
    const clock = new FakeClock();
    const creds = pageCredentials({ id: ACCOUNT, platform: 'instagram', login: 'instagram', accessToken: FIRST_TOKEN, appsecretProof: 'classic' });
    // Unknown expiry: refreshed at once.
    const r = refresher(clock, creds, memoryTokenStore());
    await r.start();
    clock.advance(0);
    await ok(r, 1);
    const outcome = await graph.call(creds, { method: 'POST', path: `/${ACCOUNT}/messages`, json: { recipient: { id: '1' }, messaging_type: 'RESPONSE', message: { text: 'hi' } } }, {});
    expect(outcome.kind).toBe('ok');
    expect(sandbox.received.at(-1)!.headers.authorization).toBe(creds.authorization);
    r.stop();
  });

  it('a failed refresh is reported and retried after retryMs; a token near expiry is warned of', async () => {
    const clock = new FakeClock();
    const creds = pageCredentials({ id: ACCOUNT, platform: 'instagram', login: 'instagram', accessToken: FIRST_TOKEN, appsecretProof: 'classic' });
    sandbox.instagram.failNextRefreshes(1, 2);
    const from = logs.length;
    // Two days left: due at once, and inside the warning's 7 days.
    const r = refresher(clock, creds, memoryTokenStore(), clock.now() + 2 * DAY);
    await r.start();
    clock.advance(0);
    await waitFor(() => r.tokens()[0]!.failures === 1, { what: 'the failed refresh' });
    const health = r.tokens()[0]!;
    expect(health.lastError).toMatch(/^Graph error 2/);
    expect(creds.authorization).toBe(`Bearer ${FIRST_TOKEN}`);
    const lines = logs.slice(from).map((l) => JSON.parse(l) as { level: number | string; msg: string; account?: string });
    expect(lines.some((l) => l.msg.includes('Instagram token refresh failed') && l.account === ACCOUNT)).toBe(true);
    expect(lines.some((l) => l.msg.includes(`Instagram token of account ${ACCOUNT} expires in`))).toBe(true);
    // Not before retryMs.
    clock.advance(14 * 60_000);
    expect(r.tokens()[0]!.refreshes).toBe(0);
    clock.advance(60_000);
    await ok(r, 1);
    expect(r.tokens()[0]!.lastError).toBeUndefined();
    expect(creds.authorization).not.toBe(`Bearer ${FIRST_TOKEN}`);
    r.stop();
    expect(clock.pending()).toBe(0);
  });
});

describe.skipIf(!redisServerAvailable())('the refreshed token kept in Redis', () => {
  const redis = useRedisServer();
  it('a second replica (or a restart) starts from the token the first one refreshed', async () => {
    const connection = await redis.connection();
    const prefix = `mgw-test-${process.pid}-${Date.now()}:`;
    const a = pageCredentials({ id: ACCOUNT, platform: 'instagram', login: 'instagram', accessToken: FIRST_TOKEN, appsecretProof: 'classic' });
    const r1 = refresher(new FakeClock(), a, redisTokenStore(connection, prefix, ACCOUNT));
    await r1.start();
    expect(r1.tokens()[0]!.refreshes).toBe(1);
    r1.stop();
    const b = pageCredentials({ id: ACCOUNT, platform: 'instagram', login: 'instagram', accessToken: FIRST_TOKEN, appsecretProof: 'classic' });
    const clock = new FakeClock();
    const r2 = refresher(clock, b, redisTokenStore(connection, prefix, ACCOUNT));
    const before = refreshCalls().length;
    await r2.start();
    expect(b.authorization).toBe(a.authorization);
    expect(refreshCalls().length).toBe(before);
    r2.stop();
  });
});
