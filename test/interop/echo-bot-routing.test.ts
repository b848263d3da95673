import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_APP_ID } from '../../src/sandbox/thread-owners';
import { startTestGateway, type TestGateway } from '../support/gateway-harness';
import { ROOT, TSX } from '../support/gateway-process';
import { waitFor } from '../support/wait-for';

// The TypeScript echo bot (examples/typescript/echo-bot.ts) as its own process against a sandbox
// gateway: the customer asks for a person, the bot passes the conversation to the Page Inbox,
// the customer's next messages reach it as standby (and it keeps out), a postback takes it back.
const INBOX = '263902037430900';
let gw: TestGateway;
let bot: ChildProcess;
let out = '';
let err = '';

beforeAll(async () => {
  gw = await startTestGateway({ extra: { webhook: { listen: '127.0.0.1:0', path: '/webhook', verifyToken: 'verify-token', appSecret: 'routing-webhook-secret', maxBodyBytes: 1024 * 1024 } } });
  bot = spawn(TSX, ['examples/typescript/echo-bot.ts', '--target', gw.target, '--page', '1001', '--group', 'routing-bot'], { cwd: ROOT });
  bot.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  bot.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  await waitFor(() => (/echo bot on /.test(err) ? true : undefined), { what: 'the bot to subscribe', timeoutMs: 30_000 });
}, 60_000);
afterAll(async () => {
  if (bot.exitCode === null) {
    const exited = new Promise((resolve) => bot.once('exit', resolve));
    bot.kill('SIGTERM');
    await exited;
  }
  await gw.close();
});

async function customer(psid: string, body: Record<string, unknown>): Promise<void> {
  const res = await request(`${gw.sandbox!.url}/_sandbox/customer/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pageId: '1001', psid, ...body }) });
  expect(res.statusCode).toBe(200);
  await res.body.text();
}

const line = (pattern: RegExp, what: string) => waitFor(() => out.split('\n').find((l) => pattern.test(l)), { what, timeoutMs: 20_000 });

describe('the echo bot routes conversations', () => {
  it('passes to the Page Inbox on "human", stays quiet in standby, takes the conversation back on a postback', async () => {
    const psid = '6160001';
    await customer(psid, { text: 'hi' });
    await line(/^replied .* to=6160001 .*text="echo: hi"/, 'the echo');

    await customer(psid, { text: 'Human!' });
    await line(/^replied .*text="A person will answer you here shortly\."/, 'the notice');
    await line(/^passed .* to=6160001 app=263902037430900$/, 'the pass');
    expect(gw.sandbox!.threads.ownerOf('1001', psid)).toBe(INBOX);
    const pass = gw.sandbox!.received.find((r) => r.path.endsWith('/pass_thread_control'))!;
    expect(pass.body).toMatchObject({ recipient: { id: psid }, target_app_id: 263902037430900 });

    await customer(psid, { text: 'are you there?' });
    await line(/^skipped .* from=6160001 kind=message standby/, 'the standby message left alone');

    await customer(psid, { postback: { title: 'Talk to the bot', payload: 'BOT' } });
    await line(/^took .* to=6160001$/, 'the take');
    expect(gw.sandbox!.threads.ownerOf('1001', psid)).toBe(SANDBOX_APP_ID);
    await line(/^replied .*text="The bot is back/, 'the welcome back');

    await customer(psid, { text: 'hello again' });
    await line(/^replied .*text="echo: hello again"/, 'the echo after the take');
  });
});
