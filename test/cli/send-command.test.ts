import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/gateway-process';
import { runCli, useCliGateway } from './run-cli';

// A real gateway process in front of a sandbox run here, so that what the CLI made the gateway send is visible.
const cli = useCliGateway();
const dir = mkdtempSync(join(tmpdir(), 'cli-send-'));
const lastBody = () => cli.sandbox().received.at(-1)?.body;


describe('npm run send', () => {
  it('--help prints the usage, the exit codes and the messaging_type default; exit 0', async () => {
    const r = await runCli(['send', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--json FILE\|-/);
    expect(r.stdout).toMatch(/--quick-reply TITLE\[=PAYLOAD\]/);
    expect(r.stdout).toMatch(/--action react --message-id MID --reaction EMOJI/);
    expect(r.stdout).toMatch(/messaging_type defaults to RESPONSE and is always set explicitly/);
    expect(r.stdout).toMatch(/Exit codes:\n {2}0 +ok\n {2}1 .*gRPC error.*\n {2}2 +usage error.*\n {2}3 +gateway unreachable/);
  });

  it('sets messaging_type RESPONSE explicitly, and --messaging-type changes it', async () => {
    const r = await runCli(['send', '--target', cli.gateway().target, '--page', '1001', '--to', '123', '--text', 'hi']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ recipientId: '123', messageId: expect.stringMatching(/^m_/) });
    expect(lastBody()).toMatchObject({ messaging_type: 'RESPONSE', message: { text: 'hi' } });
    expect((await runCli(['send', '--target', cli.gateway().target, '--page', '1001', '--to', '123', '--text', 'hi', '--messaging-type', 'update'])).code).toBe(0);
    expect(lastBody()).toMatchObject({ messaging_type: 'UPDATE' });
  });

  it('--image URL with repeated --quick-reply TITLE[=PAYLOAD]', async () => {
    const r = await runCli(['send', '--target', cli.gateway().target, '--page', '1001', '--to', '123', '--image', 'https://example.com/cat.png',
      '--quick-reply', 'Yes', '--quick-reply', 'No thanks=NO']);
    expect(r.code, r.stderr).toBe(0);
    expect(lastBody()).toMatchObject({
      messaging_type: 'RESPONSE',
      message: {
        attachment: { type: 'image', payload: { url: 'https://example.com/cat.png' } },
        quick_replies: [{ content_type: 'text', title: 'Yes', payload: 'Yes' }, { content_type: 'text', title: 'No thanks', payload: 'NO' }],
      },
    });
  });

  it('--action react --message-id --reaction sends the reaction payload', async () => {
    // The sandbox, like Graph, refuses a reaction to a message it does not know.
    cli.sandbox().rememberMessage('1001', 'm_abc');
    const r = await runCli(['send', '--target', cli.gateway().target, '--page', '1001', '--to', '123', '--action', 'react', '--message-id', 'm_abc', '--reaction', '😀']);
    expect(r.code, r.stderr).toBe(0);
    expect(lastBody()).toMatchObject({ sender_action: 'react', payload: { message_id: 'm_abc', reaction: '😀' } });
  });

  it('--idempotency-key: the repeat is answered from the first send, Graph called once', async () => {
    const args = ['send', '--target', cli.gateway().target, '--page', '1001', '--to', '123', '--text', 'once', '--idempotency-key', `k-${Date.now()}`];
    const before = cli.sandbox().received.length;
    const first = await runCli(args);
    const second = await runCli(args);
    expect([first.code, second.code]).toEqual([0, 0]);
    expect(JSON.parse(second.stdout)).toEqual(JSON.parse(first.stdout));
    expect(cli.sandbox().received.length - before).toBe(1);
  });

  it('--json FILE and --json - send a SendMessageRequest in proto JSON as written', async () => {
    const file = join(dir, 'req.json');
    writeFileSync(file, JSON.stringify({ page_id: '1001', recipient: { id: '321' }, messaging_type: 'MESSAGING_TYPE_UPDATE', message: { text: 'from json' } }));
    const r = await runCli(['send', '--target', cli.gateway().target, '--json', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(lastBody()).toMatchObject({ recipient: { id: '321' }, messaging_type: 'UPDATE', message: { text: 'from json' } });
    const stdin = await runCli(['send', '--target', cli.gateway().target, '--json', '-'], JSON.stringify({ pageId: '1001', recipient: { id: '322' }, messagingType: 'MESSAGING_TYPE_RESPONSE', message: { text: 'stdin' } }));
    expect(stdin.code, stdin.stderr).toBe(0);
    expect(lastBody()).toMatchObject({ recipient: { id: '322' }, message: { text: 'stdin' } });
  });

  it('a request without messaging_type (--json) is refused, the violation naming the four values: exit 1', async () => {
    const before = cli.sandbox().received.length;
    const r = await runCli(['send', '--target', cli.gateway().target, '--json', '-'], JSON.stringify({ page_id: '1001', recipient: { id: '1' }, message: { text: 'x' } }));
    expect(r.code).toBe(1);
    const err = JSON.parse(r.stderr) as { code: string; errorInfo: { reason: string }; fieldViolations: string[] };
    expect(err).toMatchObject({ code: 'INVALID_ARGUMENT', errorInfo: { reason: 'INVALID_REQUEST' } });
    expect(err.fieldViolations).toEqual([expect.stringMatching(/^messaging_type: is required: one of MESSAGING_TYPE_RESPONSE .*MESSAGING_TYPE_UPDATE .*MESSAGING_TYPE_MESSAGE_TAG .*MESSAGING_TYPE_UTILITY /)]);
    expect(cli.sandbox().received.length).toBe(before);
  });

  it('a Graph error comes out with its details decoded: exit 1', async () => {
    const r = await runCli(['send', '--target', cli.gateway().target, '--page', '1001', '--to', 'error-551', '--text', 'hi']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stderr)).toMatchObject({ code: 'FAILED_PRECONDITION', errorInfo: { reason: 'RECIPIENT_UNAVAILABLE' }, graphError: { code: 551 } });
  });

  it.each([
    [['--page', '1001', '--to', '1', '--text', 'a', '--image', 'https://x/y.png'], /one of --text, --image or --action/],
    [['--page', '1001', '--to', '1', '--action', 'react', '--message-id', 'm_1'], /--action react needs --reaction EMOJI/],
    [['--page', '1001', '--to', '1', '--text', 'a', '--messaging-type', 'later'], /unknown --messaging-type later \(response, update, message_tag, utility\)/],
    [['--page', '1001', '--to', '1', '--text', 'a', '--bogus'], /Unknown option '--bogus'/],
    [['--json', '-', '--text', 'a'], /--json gives the whole request: drop --text/],
  ])('usage error %j: one line, exit 2, nothing sent', async (args, message) => {
    const before = cli.sandbox().received.length;
    const r = await runCli(['send', '--target', cli.gateway().target, ...args], '{}');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(cli.sandbox().received.length).toBe(before);
  });

  it('--json with a syntax error names line and column: exit 2', async () => {
    const r = await runCli(['send', '--target', cli.gateway().target, '--json', '-'], '{\n  "page_id": "1001",\n  "recipient": {"id": "1"},\n}');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--json: not valid JSON: line 4, column 1: expected another key after ","/);
  });

  it('a Graph error without user texts prints none (no empty errorUserTitle/errorUserMsg); one with them prints them', async () => {
    const bare = await runCli(['send', '--target', cli.gateway().target, '--page', '1001', '--to', 'error-551', '--text', 'hi']);
    const graph = (JSON.parse(bare.stderr) as { graphError: Record<string, unknown> }).graphError;
    expect(graph).toMatchObject({ code: 551, type: 'OAuthException' });
    expect(Object.keys(graph)).not.toContain('errorUserTitle');
    expect(Object.keys(graph)).not.toContain('errorUserMsg');
    expect(Object.values(graph)).not.toContain('');
    const titled = await runCli(['send', '--target', cli.gateway().target, '--page', '1001', '--to', 'error-10-2018278', '--text', 'hi']);
    expect(JSON.parse(titled.stderr)).toMatchObject({ graphError: { code: 10, errorSubcode: 2018278, errorUserTitle: expect.any(String), errorUserMsg: expect.any(String) } });
  });

  it.each([
    [['--page', 'my-shop', '--to', '1', '--text', 'a'], /--page: Page ids are numeric .*got "my-shop"/],
    [['--page', '1001', '--to', '1', '--text', 'a', '--tag', 'foo'], /unknown --tag foo \(one of human_agent, customer_feedback, account_update, confirmed_event_update, post_purchase_update\)/],
    [['--page', '1001', '--to', '1', 'hello'], /unexpected argument "hello": every value follows its flag/],
  ])('usage error %j: exit 2 before any call, nothing sent', async (args, message) => {
    const before = cli.sandbox().received.length;
    const r = await runCli(['send', '--target', cli.gateway().target, ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/did you forget/);
    expect(cli.sandbox().received.length).toBe(before);
  });

  it('--json with a non-numeric page_id: the gateway says Page ids are numeric (not "not configured")', async () => {
    const r = await runCli(['send', '--target', cli.gateway().target, '--json', '-'], JSON.stringify({ page_id: 'my-shop', recipient: { id: '1' }, messaging_type: 'MESSAGING_TYPE_RESPONSE', message: { text: 'x' } }));
    expect(r.code).toBe(1);
    expect((JSON.parse(r.stderr) as { fieldViolations: string[] }).fieldViolations).toEqual(['page_id: must be a numeric Page id (got "my-shop")']);
  });

  it('upload and listen refuse a non-numeric Page id too: exit 2', async () => {
    const upload = await runCli(['upload', '--target', cli.gateway().target, '--page', 'my-shop', '--file', 'examples/requests/photo.png']);
    expect([upload.code, upload.stderr]).toEqual([2, expect.stringMatching(/^upload: --page: Page ids are numeric/)]);
    const listen = await runCli(['listen', '--target', cli.gateway().target, '--group', 'g1', '--page', '1001', '--page', 'my-shop']);
    expect([listen.code, listen.stderr]).toEqual([2, expect.stringMatching(/^listen: --page: Page ids are numeric .*got "my-shop"/)]);
  });

  it('no gateway at the target: exit 3, saying so', async () => {
    const r = await runCli(['send', '--target', `127.0.0.1:${await freePort()}`, '--page', '1001', '--to', '1', '--text', 'a']);
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stderr)).toMatchObject({ code: 'UNAVAILABLE', hint: expect.stringMatching(/no gateway answered at 127\.0\.0\.1:\d+.*--target/) });
  });
});
