// The Messenger Profile as code, with real processes: gateway processes on one Redis and one
// fake Graph (a standalone sandbox keeping the Page's profile), and `npm run profile`.
// The loop: --diff, then --apply, then a restart of two replicas writes nothing; one change is
// one write; a plan past the Page's budget writes nothing.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { planProfile, formatPlan } from '../../src/graph/messenger-profile-plan';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox-server';
import { runCli } from '../cli/run-cli';
import { pageClient } from '../support/page-client';
import { killGateway, spawnGateway, type GatewayProcess } from '../support/gateway-process';
import { redisServerAvailable, startRedisServer, type RedisServer } from '../support/redis-server';

const PROFILE = {
  get_started: { payload: 'GET_STARTED' },
  greeting: [{ locale: 'default', text: 'Hello {{user_first_name}}!' }],
  persistent_menu: [{ locale: 'default', composer_input_disabled: false, call_to_actions: [{ type: 'postback', title: 'Talk to a person', payload: 'HUMAN' }] }],
};

describe('planProfile', () => {
  it('nothing differs: no write, whatever the key order or Graph defaults', () => {
    const live = { persistent_menu: [{ call_to_actions: [{ payload: 'HUMAN', title: 'Talk to a person', type: 'postback' }], composer_input_disabled: false, locale: 'default' }], greeting: PROFILE.greeting, get_started: PROFILE.get_started, whitelisted_domains: ['https://x.example'] };
    const plan = planProfile(PROFILE, live);
    expect(plan).toEqual({ changes: [], remove: [], writes: 0 });
    expect(formatPlan('1', plan)).toContain('up to date');
  });

  it('one change is one write of that property; null removes; a changed menu carries get_started', () => {
    const changed = planProfile({ ...PROFILE, greeting: [{ locale: 'default', text: 'Hi!' }] }, PROFILE);
    expect(changed.writes).toBe(1);
    expect(changed.set).toEqual({ greeting: [{ locale: 'default', text: 'Hi!' }] });
    const menu = planProfile({ persistent_menu: [{ locale: 'default', call_to_actions: [{ type: 'web_url', title: 'Shop', url: 'https://shop.example' }] }] }, PROFILE);
    expect(Object.keys(menu.set!).sort()).toEqual(['get_started', 'persistent_menu']);
    const removed = planProfile({ greeting: null, whitelisted_domains: null }, PROFILE);
    expect(removed).toMatchObject({ remove: ['greeting'], writes: 1 });
    expect(formatPlan('1', removed)).toMatch(/- greeting/);
  });
});

const lines = (gw: GatewayProcess, msg: string) => gw.stdout.filter((l) => l.includes(`"msg":"${msg}"`)).map((l) => JSON.parse(l) as Record<string, unknown>);
const profileWrites = (sb: Sandbox) => sb.received.filter((r) => r.path.endsWith('/messenger_profile') && r.method !== 'GET').length;

describe.skipIf(!redisServerAvailable())('the profile-as-code loop with gateway processes on one Redis', () => {
  let redis: RedisServer;
  let sandbox: Sandbox;
  let dir: string;
  const procs: GatewayProcess[] = [];
  const config = (name: string, profile: unknown) => {
    const path = join(dir, `${name}.json`);
    writeFileSync(join(dir, `${name}-profile.json`), JSON.stringify(profile));
    writeFileSync(path, JSON.stringify({
      graph: { baseUrl: sandbox.url },
      store: { redis: { url: redis.url } },
      log: { level: 'info' },
      pages: [{ id: '1001', accessToken: 'profile-token', messengerProfile: `${name}-profile.json` }],
    }));
    return path;
  };
  const start = async (path: string) => {
    const gw = await spawnGateway(['--config', path]);
    procs.push(gw);
    return gw;
  };
  const settled = (gw: GatewayProcess) => expect.poll(() => gw.stdout.some((l) => /"msg":"messenger profile(?: applied| up to date| not applied|: another replica is applying it)"/.test(l)), { timeout: 15_000 }).toBe(true);

  beforeAll(async () => {
    redis = await startRedisServer();
    sandbox = await startSandbox({ pages: { '1001': { accessToken: 'profile-token' } } });
    dir = mkdtempSync(join(tmpdir(), 'profile-as-code-'));
  });
  afterEach(async () => {
    for (const p of procs.splice(0)) await killGateway(p);
  });
  afterAll(async () => {
    await sandbox?.close();
    await redis?.stop();
  });

  it('--diff writes nothing; --apply writes once; a restart of two replicas writes nothing; one change is one write', async () => {
    // A gateway with no profile as code, for the CLI.
    const plain = join(dir, 'plain.json');
    writeFileSync(plain, JSON.stringify({ graph: { baseUrl: sandbox.url }, store: { redis: { url: redis.url } }, pages: [{ id: '1001', accessToken: 'profile-token' }] }));
    const gw = await start(plain);
    const desired = config('v1', PROFILE);
    const diff = await runCli(['profile', '--page', '1001', '--diff', '--config', desired, '--target', gw.target]);
    expect(diff.code, diff.stderr).toBe(0);
    const planned = JSON.parse(diff.stdout) as { changes: { field: string; action: string }[]; writes: number; applied: boolean };
    expect(planned.changes.map((c) => `${c.action} ${c.field}`).sort()).toEqual(['add get_started', 'add greeting', 'add persistent_menu']);
    expect(planned).toMatchObject({ writes: 1, applied: false });
    expect(diff.stderr).toContain('+ greeting');
    expect(profileWrites(sandbox)).toBe(0);

    const applied = await runCli(['profile', '--page', '1001', '--apply', '--config', desired, '--target', gw.target]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(JSON.parse(applied.stdout)).toMatchObject({ applied: true, writes: 1 });
    expect(profileWrites(sandbox)).toBe(1);
    expect(sandbox.objects.profile('1001')).toMatchObject(PROFILE);
    await killGateway(gw);

    // Two replicas start with the profile as code already applied: neither writes.
    const [a, b] = await Promise.all([start(desired), start(desired)]);
    await settled(a);
    await settled(b);
    expect(profileWrites(sandbox)).toBe(1);
    expect([...lines(a, 'messenger profile applied'), ...lines(b, 'messenger profile applied')]).toEqual([]);
    for (const p of procs.splice(0)) await killGateway(p);

    // One change: one write, of that property only, and the diff is logged.
    const v2 = config('v2', { ...PROFILE, greeting: [{ locale: 'default', text: 'Welcome back!' }] });
    const c = await start(v2);
    await settled(c);
    const [line] = lines(c, 'messenger profile applied');
    expect(line).toMatchObject({ page: '1001', changes: 1, writes: 1 });
    expect(String(line!.diff)).toContain('~ greeting');
    expect(profileWrites(sandbox)).toBe(2);
    const lastWrite = sandbox.received.filter((r) => r.path.endsWith('/messenger_profile') && r.method === 'POST').at(-1)!;
    expect(Object.keys(lastWrite.body!).filter((k) => !k.startsWith('appsecret'))).toEqual(['greeting']);
  }, 60_000);

  it('a plan past the Page budget is refused and writes nothing (the budget spent by another caller)', async () => {
    const v3 = config('v3', { ...PROFILE, greeting: [{ locale: 'default', text: 'Third greeting' }] });
    const plain = join(dir, 'plain.json');
    const gw = await start(plain);
    // Spend what is left of the Page's 10 calls (shared through Redis with every replica).
    const other = pageClient(gw.target);
    for (let i = 0; i < 10; i++) {
      const spent = await other.call('getMessengerProfile', { pageId: '1001', fields: ['greeting'] }).then(() => false, () => true);
      if (spent) break;
    }
    other.close();
    const before = profileWrites(sandbox);
    const refused = await runCli(['profile', '--page', '1001', '--apply', '--config', v3, '--target', gw.target]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('PROFILE_BUDGET_EXHAUSTED');
    const c = await start(v3);
    await settled(c);
    expect(lines(c, 'messenger profile not applied')[0]).toMatchObject({ reason: 'PROFILE_BUDGET_EXHAUSTED' });
    expect(profileWrites(sandbox)).toBe(before);
  }, 60_000);
});
