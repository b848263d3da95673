import { describe, expect, it } from 'vitest';
import { runCli, useCliGateway } from './run-cli';

// `npm run thread` as its own process against a real gateway process in front of a sandbox run here.
const cli = useCliGateway();
const last = () => cli.sandbox().received.at(-1)!;

describe('npm run thread', () => {
  it('--help prints the four actions and the exit codes; exit 0', async () => {
    const r = await runCli(['thread', '--help']);
    expect(r.code).toBe(0);
    for (const action of ['pass', 'take', 'request', 'owner']) expect(r.stdout).toContain(`thread -- ${action}`);
    expect(r.stdout).toMatch(/Exit codes:/);
  });

  it('pass (to the Page Inbox by default), owner, take, request: JSON on stdout', async () => {
    const target = cli.gateway().target;
    const pass = await runCli(['thread', 'pass', '--target', target, '--page', '1001', '--to', '4242', '--metadata', 'a person please']);
    expect(pass.code).toBe(0);
    expect(JSON.parse(pass.stdout)).toEqual({ success: true });
    expect(last().body).toMatchObject({ recipient: { id: '4242' }, target_app_id: 263902037430900, metadata: 'a person please' });
    const owner = await runCli(['thread', 'owner', '--target', target, '--page', '1001', '--to', '4242']);
    expect(JSON.parse(owner.stdout)).toEqual({ appId: '263902037430900' });
    expect((await runCli(['thread', 'take', '--target', target, '--page', '1001', '--to', '4242', '--idempotency-key', 'take-4242'])).code).toBe(0);
    expect(last().path).toBe('/v25.0/1001/take_thread_control');
    expect(JSON.parse((await runCli(['thread', 'request', '--target', target, '--page', '1001', '--to', '4242'])).stdout)).toEqual({ success: true });
  });

  it('exit 1 with the decoded error on stderr; exit 2 on usage errors; exit 3 when no gateway answers', async () => {
    const bad = await runCli(['thread', 'pass', '--target', cli.gateway().target, '--page', '1001', '--to', 'not-a-psid']);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stderr)).toMatchObject({ code: 'INVALID_ARGUMENT', errorInfo: { reason: 'INVALID_REQUEST' } });
    expect((await runCli(['thread', 'give', '--page', '1001', '--to', '1'])).code).toBe(2);
    expect((await runCli(['thread', 'owner', '--page', '1001', '--to', '1', '--app', '5'])).code).toBe(2);
    expect((await runCli(['thread', 'owner', '--target', '127.0.0.1:1', '--page', '1001', '--to', '1'])).code).toBe(3);
  });
});
