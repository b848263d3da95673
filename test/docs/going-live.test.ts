// docs/going-live.md cannot rot: its config example goes through the real config loader (with the
// environment its commands export) and starts a real gateway; the JSON its commands read with jq
// has those fields; a gateway with pages and no webhook block says so in one warning line.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../src/config/load-config';
import { hashApiKey } from '../../src/server/caller-auth';
import { killGateway, MAIN, NODE_TSX, ROOT, spawnGateway, type GatewayProcess } from '../support/gateway-process';

const DOC = readFileSync(join(ROOT, 'docs/going-live.md'), 'utf8');
/** The config example: the doc's first JSON block. */
const EXAMPLE = /^```json\n([\s\S]*?)^```/m.exec(DOC)![1];

/** What the doc's commands export, with made-up values of the right shape. */
const ENV = {
  PAGE_ID: '112233445566778',
  PAGE_TOKEN: 'EAAGm0PX4ZCpsBAPage-token-for-the-test',
  APP_SECRET: '0123456789abcdef0123456789abcdef',
  WEBHOOK_VERIFY_TOKEN: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
  SUPPORT_BOT_KEY_HASH: hashApiKey('mgw_the-key-the-support-bot-sends'),
};

function exampleFile(config: string = EXAMPLE): string {
  const file = join(mkdtempSync(join(tmpdir(), 'going-live-')), 'gateway.json');
  writeFileSync(file, config);
  return file;
}

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}
const lines = (proc: GatewayProcess): LogLine[] => proc.stdout.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine);

let proc: GatewayProcess | undefined;
afterEach(async () => {
  await killGateway(proc);
  proc = undefined;
});

describe('docs/going-live.md', () => {
  it('its config example loads through the real config loader: the Page, its app secret, the webhook and the caller', () => {
    const config = loadConfigFile(exampleFile(), ENV);
    expect(config.pages).toEqual([{ id: ENV.PAGE_ID, accessToken: ENV.PAGE_TOKEN, appSecret: ENV.APP_SECRET, appsecretProof: 'classic', conversationPolicy: 'enforce' }]);
    expect(config.webhook).toMatchObject({ listen: '0.0.0.0:8088', path: '/webhook', verifyToken: ENV.WEBHOOK_VERIFY_TOKEN, appSecret: ENV.APP_SECRET });
    expect(config.callers).toEqual([{ name: 'support-bot', apiKeyHash: ENV.SUPPORT_BOT_KEY_HASH, certificate: undefined, pages: [ENV.PAGE_ID], ratePerSecond: 0 }]);
    expect(config.graph.version).toBe('v25.0');
  });

  it('a mistake it names is reported as it says: the key, never the value', () => {
    const { PAGE_TOKEN: _unset, ...env } = ENV;
    expect(() => loadConfigFile(exampleFile(), env)).toThrow('config: pages[0].accessToken: environment variable PAGE_TOKEN is not set');
    expect(() => loadConfigFile(exampleFile(), { ...ENV, SUPPORT_BOT_KEY_HASH: 'not-a-hash' })).toThrow(
      'config: callers[0].apiKeyHash: must be sha256:<salt hex>:<hash hex>, as printed by `npm start -- hash-key`',
    );
  });

  it('starts a real gateway (no sandbox) that logs what the doc says, answers Meta\'s verification, and gives no webhook warning', async () => {
    proc = await spawnGateway(['--config', exampleFile()], { ...ENV, GATEWAY_WEBHOOK_LISTEN: '127.0.0.1:0' });
    const ready = lines(proc).find((l) => l.msg === 'gateway ready')!;
    expect(ready).toMatchObject({ pages: [ENV.PAGE_ID], callers: ['support-bot'], graph: 'https://graph.facebook.com', version: 'v25.0' });
    expect(ready).not.toHaveProperty('inbox');
    expect(lines(proc).some((l) => /SANDBOX MODE|no webhook listener/.test(l.msg))).toBe(false);
    // Step 4's check: Meta's verification request answers the challenge.
    const res = await request(`${String(ready.webhook)}?hub.mode=subscribe&hub.verify_token=${ENV.WEBHOOK_VERIFY_TOKEN}&hub.challenge=42`);
    expect([res.statusCode, await res.body.text()]).toEqual([200, '42']);
  });

  it('without the webhook block, the gateway says so in one warning line naming the keys to set', async () => {
    const { webhook: _none, ...rest } = JSON.parse(EXAMPLE) as Record<string, unknown>;
    proc = await spawnGateway(['--config', exampleFile(JSON.stringify(rest))], ENV);
    const warnings = lines(proc).filter((l) => l.msg.startsWith('no webhook listener'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: 40, key: 'webhook.listen' });
    expect(warnings[0].msg).toContain('Set webhook.listen, webhook.verifyToken and webhook.appSecret in the config');
    expect(lines(proc).find((l) => l.msg === 'gateway ready')).not.toHaveProperty('webhook');
  });

  it('the JSON its commands read with jq has those fields (hash-key: .apiKey, .config.apiKeyHash)', async () => {
    expect(DOC).toContain('jq -r .apiKey caller-key.json');
    expect(DOC).toContain('jq -r .config.apiKeyHash caller-key.json');
    const out = await new Promise<string>((resolve) => {
      const child = spawn(NODE_TSX[0], [...NODE_TSX.slice(1), MAIN, 'hash-key'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
      let text = '';
      child.stdout.on('data', (b: Buffer) => (text += b.toString()));
      child.once('exit', () => resolve(text));
    });
    const key = JSON.parse(out) as { apiKey: string; config: { apiKeyHash: string } };
    expect(key.apiKey).toMatch(/^mgw_/);
    // The hash it prints is one the config loader takes.
    expect(loadConfigFile(exampleFile(), { ...ENV, SUPPORT_BOT_KEY_HASH: key.config.apiKeyHash }).callers[0].apiKeyHash).toBe(key.config.apiKeyHash);
  });
});
