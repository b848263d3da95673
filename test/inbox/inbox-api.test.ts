// The inbox without a browser: its JSON API, what the sandbox tells it (outcomes, gRPC statuses,
// sender actions), the chaos switchboard's rules, and the CLI's inbox address.
import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SenderAction } from '../../gen/messenger/v1/enums';
import { resolveConfig } from '../../src/config/resolve-config';
import { ConversationStore, TYPING_EXPIRES_MS } from '../../src/inbox/conversation-store';
import { customerMessagesOf } from '../../src/server/customer-messages';
import { parseWebhook } from '../../src/webhook/parse-webhook';
import { customerWebhookBody } from '../../src/sandbox/customer-webhook';
import type { InboxConversation, InboxSummary } from '../../src/inbox/inbox-types';
import { ChaosBoard } from '../../src/sandbox/chaos-board';
import { grpcError, startTestGateway, textTo, type TestGateway } from '../support/gateway-harness';
import { MAIN, NODE_TSX, ROOT } from '../support/gateway-process';

let gw: TestGateway;
let inbox: string;
const api = async <T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> => {
  const res = await fetch(`${inbox}${path}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as T };
};

describe('inbox JSON API', () => {
  beforeAll(async () => {
    gw = await startTestGateway({ extra: { inbox: { listen: '127.0.0.1:0' } } });
    inbox = gw.gateway.inbox!.url;
  });
  afterAll(() => gw?.close());

  it('lists conversations newest first and their items, with what the caller got for a refused send', async () => {
    await api('DELETE', '/api/conversations');
    const ok = await gw.send(textTo('8001', 'first'));
    await grpcError(gw.send(textTo('error-551', 'refused')));
    await gw.action({ pageId: '1001', recipient: { identifier: { $case: 'id', value: '8001' } }, action: SenderAction.SENDER_ACTION_TYPING_ON });
    const list = await api<{ conversations: InboxSummary[] }>('GET', '/api/conversations');
    expect(list.body.conversations.map((c) => c.recipient)).toEqual(['8001', 'error-551']);
    const c = await api<InboxConversation>('GET', '/api/conversations/1001/8001');
    expect(c.body).toMatchObject({ pageId: '1001', psid: '8001', typing: true, items: [{ from: 'page', mid: ok.messageId, message: { text: 'first' }, messagingType: 'RESPONSE' }] });
    const refused = await api<InboxConversation>('GET', '/api/conversations/1001/error-551');
    expect(refused.body.items[0].failure).toMatchObject({ graph: { code: 551 }, grpcCode: 'FAILED_PRECONDITION', reason: 'RECIPIENT_UNAVAILABLE', retried: false });
    const all = await api<{ messages: { recipient: string }[] }>('GET', '/api/messages');
    expect(all.body.messages.map((m) => m.recipient)).toEqual(['error-551', '8001']);
    // No credential reaches the inbox.
    expect(JSON.stringify(c.body)).not.toMatch(/access_token|appsecret/);
    await api('DELETE', '/api/conversations');
    expect((await api<{ conversations: unknown[] }>('GET', '/api/conversations')).body.conversations).toEqual([]);
  });

  it('sets, validates and clears chaos; a body without content-type application/json is refused (415)', async () => {
    expect((await api('PUT', '/api/chaos/1001', { failNext: { count: 0, code: 551 } })).status).toBe(400);
    expect((await api('PUT', '/api/chaos/1001', { latencyMs: 120_000 })).status).toBe(400);
    expect((await api('PUT', '/api/chaos/1001', { other: 1 })).status).toBe(400);
    const plain = await fetch(`${inbox}/api/chaos/1001`, { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: '{"latencyMs":10}' });
    expect(plain.status).toBe(415);
    const set = await api<{ pages: Record<string, unknown> }>('PUT', '/api/chaos/1001', { failNext: { count: 2, code: 1200 }, latencyMs: 50 });
    expect(set.body.pages['1001']).toEqual({ failNext: { count: 2, code: 1200 }, latencyMs: 50 });
    await api('DELETE', '/api/chaos/1001');
    expect((await api<{ pages: Record<string, unknown> }>('GET', '/api/chaos')).body.pages).toEqual({});
  });

  it('latency holds the answer back and is shown; a magic recipient uses up no failure', async () => {
    await api('PUT', '/api/chaos/1001', { failNext: { count: 1, code: 551 }, latencyMs: 200 });
    const started = Date.now();
    await grpcError(gw.send(textTo('error-368', 'magic')));
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    expect((await api<{ pages: Record<string, { failNext?: unknown }> }>('GET', '/api/chaos')).body.pages['1001'].failNext).toEqual({ count: 1, code: 551 });
    const magic = await api<InboxConversation>('GET', '/api/conversations/1001/error-368');
    expect(magic.body.items[0]).toMatchObject({ failure: { graph: { code: 368 }, grpcCode: 'PERMISSION_DENIED', reason: 'ACTION_BLOCKED_AS_ABUSIVE' } });
    expect(magic.body.items[0].delayedMs).toBeGreaterThanOrEqual(200);
    expect(magic.body.items[0].failure?.chaos).toBeUndefined();
    await api('DELETE', '/api/chaos');
  });
});

describe('ChaosBoard and ConversationStore', () => {
  it('counts failures down and tells its listeners', () => {
    const board = new ChaosBoard();
    let changes = 0;
    board.subscribe(() => changes++);
    expect(board.set('1', { failNext: { count: 2, code: 10, subcode: 1893063 } })).toBeUndefined();
    expect(board.apply('1', undefined, false).magic).toBeUndefined(); // sender actions are not sends
    expect(board.apply('1', undefined, true)).toEqual({ magic: { kind: 'graph-error', code: 10, subcode: 1893063 }, chaos: true });
    expect(board.apply('1', undefined, true).chaos).toBe(true);
    expect(board.apply('1', undefined, true)).toEqual({ magic: undefined, chaos: false });
    expect(board.list()).toEqual({});
    expect(changes).toBe(3);
  });

  it('reactions land on the message they name; unreact removes them; mark_seen sets seen', () => {
    const store = new ConversationStore();
    const body = (extra: Record<string, unknown>) => ({ recipient: { id: '9' }, ...extra });
    store.onSend({ at: 1, pageId: '1', body: body({ message: { text: 'hi' } }), outcome: { kind: 'ok', messageId: 'm_1' } });
    store.onSend({ at: 2, pageId: '1', body: body({ sender_action: 'react', payload: { message_id: 'm_1', reaction: '👍' } }), outcome: { kind: 'ok' } });
    expect(store.get('1', '9')?.items[0].reactions).toEqual(['👍']);
    store.onSend({ at: 3, pageId: '1', body: body({ sender_action: 'unreact', payload: { message_id: 'm_1' } }), outcome: { kind: 'ok' } });
    store.onSend({ at: 4, pageId: '1', body: body({ sender_action: 'mark_seen' }), outcome: { kind: 'ok' } });
    expect(store.get('1', '9')).toMatchObject({ seenAt: 4, items: [{ mid: 'm_1' }] });
    expect(store.get('1', '9')?.items[0].reactions).toBeUndefined();
  });
});

describe('the inbox and the gateway\'s record of events', () => {
  it('a typing indicator nothing turns off ends by itself after TYPING_EXPIRES_MS (about 20 s, as in Messenger), and tells its listeners', async () => {
    expect(TYPING_EXPIRES_MS).toBe(20_000);
    const store = new ConversationStore({ typingExpiresMs: 30 });
    const body = (extra: Record<string, unknown>) => ({ recipient: { id: '9' }, ...extra });
    const ended = new Promise<InboxConversation | undefined>((resolve) => store.subscribe((c) => c && !c.typing && resolve(c)));
    store.onSend({ at: 1, pageId: '1', body: body({ sender_action: 'typing_on' }), outcome: { kind: 'ok' } });
    expect(store.get('1', '9')?.typing).toBe(true);
    await expect(ended).resolves.toMatchObject({ typing: false });
    expect(store.get('1', '9')?.typing).toBe(false);
  });

  it('a typing_off or a message before the expiry ends it at once, and no stale expiry fires later', async () => {
    const store = new ConversationStore({ typingExpiresMs: 20 });
    const body = (extra: Record<string, unknown>) => ({ recipient: { id: '9' }, ...extra });
    store.onSend({ at: 1, pageId: '1', body: body({ sender_action: 'typing_on' }), outcome: { kind: 'ok' } });
    store.onSend({ at: 2, pageId: '1', body: body({ message: { text: 'hi' } }), outcome: { kind: 'ok', messageId: 'm_1' } });
    expect(store.get('1', '9')?.typing).toBe(false);
    let changes = 0;
    store.subscribe(() => changes++);
    // A second store's expiry, twice as long, is the signal that the first one's would have fired.
    const later = new ConversationStore({ typingExpiresMs: 40 });
    const fired = new Promise<void>((resolve) => later.subscribe((c) => c && !c.typing && resolve()));
    later.onSend({ at: 1, pageId: '1', body: body({ sender_action: 'typing_on' }), outcome: { kind: 'ok' } });
    await fired;
    expect(changes).toBe(0);
  });

  it('customer messages come from stored webhook events (messages, quick replies, postbacks; not echoes), once per mid', () => {
    const parse = (raw: Buffer) => {
      const r = parseWebhook(raw, { receivedAt: 5, traceparent: '', tracestate: '' });
      if (!r.ok) throw new Error(r.why);
      return r.events;
    };
    const text = parse(customerWebhookBody({ pageId: '1001', psid: '42', text: 'Hello', quickReplyPayload: 'HI' }, 1000));
    const postback = parse(customerWebhookBody({ pageId: '1001', psid: '42', postback: { title: 'Start', payload: 'GO' } }, 2000));
    const echo = parse(Buffer.from(JSON.stringify({ object: 'page', entry: [{ id: '1001', time: 3, messaging: [{ sender: { id: '1001' }, recipient: { id: '42' }, timestamp: 3, message: { mid: 'm_echo', text: 'from the page', is_echo: true } }] }] })));
    const messages = customerMessagesOf([...text, ...postback, ...echo]);
    expect(messages).toEqual([
      { at: 1000, pageId: '1001', psid: '42', mid: expect.stringMatching(/^m_/), text: 'Hello', quickReplyPayload: 'HI' },
      { at: 2000, pageId: '1001', psid: '42', mid: expect.stringMatching(/^m_/), postback: { title: 'Start', payload: 'GO' } },
    ]);
    const store = new ConversationStore();
    for (const m of [...messages, messages[0]]) store.onCustomerMessage(m);
    expect(store.get('1001', '42')?.items.map((i) => i.text ?? i.postback?.title)).toEqual(['Hello', 'Start']);
  });
});

describe('inbox address', () => {
  it('only in sandbox mode: 127.0.0.1:8025 by default, --inbox-listen / GATEWAY_INBOX_LISTEN to move it', () => {
    expect(resolveConfig({}, {}).inbox).toEqual({ listen: '127.0.0.1:8025' });
    expect(resolveConfig({ inboxListen: '127.0.0.1:9025' }, { GATEWAY_INBOX_LISTEN: '127.0.0.1:1' }).inbox).toEqual({ listen: '127.0.0.1:9025' });
    expect(resolveConfig({}, { GATEWAY_INBOX_LISTEN: '127.0.0.1:0' }).inbox).toEqual({ listen: '127.0.0.1:0' });
  });

  it('a busy inbox port: one line naming the address and --inbox-listen, exit 2', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as AddressInfo).port;
    try {
      const child = spawn(NODE_TSX[0], [...NODE_TSX.slice(1), MAIN, '--listen', '127.0.0.1:0', '--inbox-listen', `127.0.0.1:${port}`], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(code).toBe(2);
      expect(stderr.trim().split('\n')).toEqual([
        `cannot listen on 127.0.0.1:${port} (inbox listen): the address is already in use (EADDRINUSE): another gateway, or another program, is listening there; choose another address with --inbox-listen HOST:PORT (or GATEWAY_INBOX_LISTEN)`,
      ]);
    } finally {
      taken.close();
    }
  });
});
