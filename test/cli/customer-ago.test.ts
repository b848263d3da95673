// `npm run customer -- --ago 25h`, as its own process against a gateway process in sandbox mode:
// the webhook carries Meta's old timestamp, the sandbox's window runs from it, and a RESPONSE to
// that person is refused as outside the messaging window.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { runCli } from './run-cli';
import { killGateway, spawnGateway, type GatewayProcess } from '../support/gateway-process';
import { waitFor } from '../support/wait-for';

const HOUR = 3_600_000;
let proc: GatewayProcess | undefined;
let webhook: string;
let sandboxUrl: string;

beforeAll(async () => {
  proc = await spawnGateway(['--inbox-listen', '127.0.0.1:0', '--webhook-listen', '127.0.0.1:0']);
  const lines = proc.stdout.map((l) => JSON.parse(l) as { msg: string; webhook?: string; sandbox?: string });
  webhook = lines.find((l) => l.msg === 'gateway ready')!.webhook!;
  sandboxUrl = lines.find((l) => l.sandbox !== undefined)!.sandbox!;
}, 30_000);
afterAll(async () => {
  await killGateway(proc);
});

async function windowOf(psid: string): Promise<{ known: boolean; lastActionAt?: number; now: number }> {
  const res = await request(`${sandboxUrl}/_sandbox/windows?pageId=1001&psid=${psid}`);
  return (await res.body.json()) as { known: boolean; lastActionAt?: number; now: number };
}

describe('npm run customer -- --ago', () => {
  it('--help documents --ago and its units', async () => {
    const help = await runCli(['customer', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--ago DURATION');
    expect(help.stdout).toMatch(/units m, h, d: 25h, 90m, 8d/);
  });

  it('dates the message 25 h ago: the webhook carries that time, the window is closed, a RESPONSE is refused', async () => {
    const psid = '31415001';
    const said = await runCli(['customer', '--page', '1001', '--from', psid, '--text', 'yesterday', '--ago', '25h', '--webhook', webhook]);
    expect(said.code, said.stderr).toBe(0);
    const out = JSON.parse(said.stdout) as { status: number; timestamp: string };
    expect(out.status).toBe(200);
    const dated = Date.parse(out.timestamp);
    expect(Date.now() - dated).toBeGreaterThanOrEqual(25 * HOUR);
    expect(Date.now() - dated).toBeLessThan(25 * HOUR + 60_000);
    const w = await waitFor(async () => {
      const v = await windowOf(psid);
      return v.known && v;
    }, { what: 'the sandbox to hear of the stored message' });
    expect(w.lastActionAt).toBe(dated);

    const reply = await runCli(['send', '--target', proc!.target, '--page', '1001', '--to', psid, '--text', 'sorry for the wait', '--messaging-type', 'response']);
    expect(reply.code).not.toBe(0);
    expect(reply.stderr).toContain('OUTSIDE_MESSAGING_WINDOW');
    const human = await runCli(['send', '--target', proc!.target, '--page', '1001', '--to', psid, '--text', 'a person here', '--messaging-type', 'message_tag', '--tag', 'HUMAN_AGENT']);
    expect(human.code, human.stderr).toBe(0);
  }, 60_000);

  it('takes m, h and d and their sums; refuses anything else before sending', async () => {
    const psid = '31415002';
    const ok = await runCli(['customer', '--page', '1001', '--from', psid, '--text', 'an hour and a half ago', '--ago', '1h30m', '--webhook', webhook]);
    expect(ok.code, ok.stderr).toBe(0);
    const dated = Date.parse((JSON.parse(ok.stdout) as { timestamp: string }).timestamp);
    expect(Date.now() - dated).toBeGreaterThanOrEqual(90 * 60_000);
    expect(Date.now() - dated).toBeLessThan(91 * 60_000 + 30_000);
    for (const bad of ['25 hours', '400d']) {
      const refused = await runCli(['customer', '--page', '1001', '--from', psid, '--text', 'x', '--ago', bad, '--webhook', webhook]);
      expect(refused.code, bad).toBe(2);
      expect(refused.stderr).toContain('--ago');
    }
  }, 60_000);
});
