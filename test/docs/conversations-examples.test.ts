import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway-harness';
import { ROOT } from '../support/gateway-process';

// The shell examples of docs/conversations.md ("Try it on the sandbox"), run as written against
// a sandbox gateway: only the two documented addresses (and GATEWAY_TARGET, the CLI's) are
// pointed at this test's gateway.
const doc = readFileSync(join(ROOT, 'docs/conversations.md'), 'utf8');
const sectionOf = (heading: string) => {
  const from = doc.indexOf(heading);
  const to = doc.indexOf('\n## ', from + heading.length);
  return doc.slice(from, to === -1 ? undefined : to);
};
const shBlocks = (text: string) => [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
const blocks = shBlocks(sectionOf('## Try it on the sandbox'));
const windowBlocks = shBlocks(sectionOf('## Messaging windows on the sandbox'));

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({
    extra: {
      inbox: { listen: '127.0.0.1:0' },
      webhook: { listen: '127.0.0.1:0', path: '/webhook', verifyToken: 'verify-token', appSecret: 'docs-webhook-secret', maxBodyBytes: 1024 * 1024 },
    },
  });
});
afterAll(() => gw.close());

function runBlock(script: string, shellFlags = ['-euo', 'pipefail']): Promise<{ code: number; stdout: string; stderr: string }> {
  const inbox = new URL(gw.gateway.inbox!.url).host;
  const pointed = script.replaceAll('127.0.0.1:50051', gw.target).replaceAll('127.0.0.1:8025', inbox);
  return new Promise((resolve) => {
    // The CLI's default target (127.0.0.1:50051) moves with GATEWAY_TARGET, and the customer's
    // webhook and app secret with --webhook's default and GATEWAY_WEBHOOK_APP_SECRET, as documented.
    const env = { ...process.env, GATEWAY_TARGET: gw.target, GATEWAY_WEBHOOK_APP_SECRET: 'docs-webhook-secret' };
    const withWebhook = pointed.replaceAll('npm run customer -- ', `npm run customer -- --webhook ${gw.gateway.webhookUrl!} `);
    execFile('bash', [...shellFlags, '-c', withWebhook], { cwd: ROOT, timeout: 120_000, env }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

describe('docs/conversations.md examples', () => {
  it('has the three example blocks', () => {
    expect(blocks).toHaveLength(3);
  });

  it('the CLI and curl walk-through: pass, standby, take', async () => {
    const r = await runBlock(blocks[0]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('"appId": "263902037430900"');
    expect(r.stdout).toContain('["id","standby","time"]');
    expect(r.stdout).toContain('"appId": "1000000000000001"');
  }, 180_000);

  it('the buf curl calls', async () => {
    const r = await runBlock(blocks[1]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('"success": true');
    expect(r.stdout).toContain('"appId": "263902037430900"');
    expect(r.stdout).toMatch(/"firstName": "\w+"/);
  }, 180_000);

  it('the messaging-window walk-through: a message 25 h old, a refused reply, HUMAN_AGENT, the windows', async () => {
    expect(windowBlocks).toHaveLength(1);
    // One command is meant to fail (the refused reply): each line's outcome is checked instead.
    const r = await runBlock(windowBlocks[0]!, ['-uo', 'pipefail']);
    expect(r.stdout).toMatch(/"status":200,"mid":"m_[^"]+","timestamp":"/);
    expect(r.stderr).toContain('"reason": "OUTSIDE_MESSAGING_WINDOW"');
    expect(r.stdout).toMatch(/"messageId": "m_/);
    expect(r.stdout).toMatch(/"known":true,"lastActionAt":\d+,"standardWindowEndsAt":\d+,"humanAgentWindowEndsAt":\d+,"ownerAppId":"1000000000000001","standby":false/);
  }, 180_000);

  it("the other app's moves", async () => {
    const r = await runBlock(blocks[2]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('{"ownerAppId":"1000000000000001","webhookStatus":200}');
    expect(r.stdout).toContain('{"ownerAppId":"1000000000000001","standby":false}');
  }, 180_000);
});
