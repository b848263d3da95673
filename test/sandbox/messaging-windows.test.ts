// The sandbox enforces Meta's messaging windows and thread ownership on sends, over HTTP: the
// window runs from the person's last window-opening action the sandbox heard of (a customer
// action whose webhook the listener took, at Meta's time), aged through `/_sandbox/windows`.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox-server';
import { PAGE_INBOX_APP_ID } from '../../src/limits/graph-limits';
import { outsideWindowError } from '../../src/sandbox/graph-errors';

const PAGE = '1000000000007';
const HOUR = 3_600_000;
let sandbox: Sandbox;
let listener: Server;
let listenerStatus = 200;

beforeAll(async () => {
  sandbox = await startSandbox();
  // The gateway's webhook listener, as far as the customer API can tell: it answers 200 (stored) or not.
  listener = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(listenerStatus).end('{}'));
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  sandbox.setCustomer({ webhookUrl: `http://127.0.0.1:${(listener.address() as AddressInfo).port}/webhook`, appSecret: 's' });
});
afterAll(async () => {
  await sandbox.close();
  await new Promise<void>((resolve) => listener.close(() => resolve()));
});

/** The answers read here: a Graph error, a conversation's view, or what the customer API sent. */
interface Answer {
  error?: { code: number; error_subcode?: number; type: string; message: string; fbtrace_id: string; error_user_title?: string };
  known?: boolean;
  now?: number;
  lastActionAt?: number;
  standardWindowEndsAt?: number;
  ownerAppId?: string;
  standby?: boolean;
  sent?: { entry: Array<{ messaging: Array<{ timestamp: number }> }> };
}

async function call(method: 'GET' | 'POST', path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await request(`${sandbox.url}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, json: JSON.parse(text) as Answer };
}

const send = (body: Record<string, unknown>) => call('POST', `/v25.0/${PAGE}/messages?access_token=t`, body);
const response = (psid: string) => send({ recipient: { id: psid }, messaging_type: 'RESPONSE', message: { text: 'hi' } });
const humanAgent = (psid: string) => send({ recipient: { id: psid }, messaging_type: 'MESSAGE_TAG', tag: 'HUMAN_AGENT', message: { text: 'a person here' } });
const utility = (psid: string) => send({ recipient: { id: psid }, messaging_type: 'UTILITY', message: { template: { name: 'order_update', language: { code: 'en_US' } } } });
const age = (psid: string, ago: string) => call('POST', '/_sandbox/windows', { pageId: PAGE, psid, ago });

function expectOutsideWindow(reply: { status: number; json: Answer }): void {
  expect(reply.status, JSON.stringify(reply.json)).toBe(400);
  const e = reply.json.error!;
  expect(e).toMatchObject({ code: 10, error_subcode: 2018278, type: 'OAuthException', error_user_title: 'Message Not Sent' });
  expect(e.message).toMatch(/^\(#10\) This message is sent outside of allowed window/);
  expect(e.fbtrace_id).toMatch(/^[A-Za-z0-9]{11}$/);
}

describe('messaging windows in the sandbox', () => {
  it('a person never seen is taken as inside the window: every send goes out', async () => {
    expect((await response('never-wrote-1')).status).toBe(200);
    expect((await send({ recipient: { id: 'never-wrote-1' }, sender_action: 'typing_on' })).status).toBe(200);
    expect((await call('GET', `/_sandbox/windows?pageId=${PAGE}&psid=never-wrote-1`)).json).toMatchObject({ known: false, standby: false });
  });

  it('23 h after the last action a RESPONSE goes out', async () => {
    const view = await age('aged-23h', '23h');
    expect(view.status).toBe(200);
    expect(view.json.known).toBe(true);
    expect(view.json.standardWindowEndsAt! - view.json.now!).toBe(HOUR);
    expect((await response('aged-23h')).status).toBe(200);
  });

  it('25 h after it: RESPONSE, UPDATE and a sender action get 10/2018278; HUMAN_AGENT and a utility template go out', async () => {
    await age('aged-25h', '25h');
    expectOutsideWindow(await response('aged-25h'));
    expectOutsideWindow(await send({ recipient: { id: 'aged-25h' }, messaging_type: 'UPDATE', message: { text: 'news' } }));
    expectOutsideWindow(await send({ recipient: { id: 'aged-25h' }, message: { text: 'no type' } }));
    expectOutsideWindow(await send({ recipient: { id: 'aged-25h' }, sender_action: 'typing_on' }));
    expect((await humanAgent('aged-25h')).status).toBe(200);
    expect((await utility('aged-25h')).status).toBe(200);
  });

  it('8 days after it HUMAN_AGENT is refused too; a utility template still goes out', async () => {
    await age('aged-8d', '8d');
    expectOutsideWindow(await humanAgent('aged-8d'));
    expect((await utility('aged-8d')).status).toBe(200);
  });

  it('a send to a conversation another app owns gets 10/2018300, until the conversation is passed back', async () => {
    const psid = 'owned-elsewhere';
    expect((await call('POST', '/_sandbox/threads', { pageId: PAGE, psid, action: 'take' })).json.ownerAppId).toBe(PAGE_INBOX_APP_ID);
    const refused = await response(psid);
    expect(refused.status).toBe(400);
    expect(refused.json.error).toMatchObject({ code: 10, error_subcode: 2018300, type: 'OAuthException' });
    expect(refused.json.error!.message).toBe('(#10) Message failed to send because another app is controlling this thread now.');
    expect(refused.json.error!.fbtrace_id).toMatch(/^[A-Za-z0-9]{11}$/);
    expect((await send({ recipient: { id: psid }, sender_action: 'mark_seen' })).json.error!.error_subcode).toBe(2018300);
    expect((await call('GET', `/_sandbox/windows?pageId=${PAGE}&psid=${psid}`)).json).toMatchObject({ ownerAppId: PAGE_INBOX_APP_ID, standby: true });
    await call('POST', '/_sandbox/threads', { pageId: PAGE, psid, action: 'pass' });
    expect((await response(psid)).status).toBe(200);
  });

  it("a customer's action dated 25 h ago (the customer API's `ago`) closes the window; a new message opens it again", async () => {
    const psid = 'customer-ago';
    const sent = await call('POST', '/_sandbox/customer/messages', { pageId: PAGE, psid, text: 'long ago', ago: '25h' });
    expect(sent.status).toBe(200);
    const item = sent.json.sent!.entry[0]!.messaging[0]!;
    expect(Date.now() - item.timestamp).toBeGreaterThanOrEqual(25 * HOUR);
    expect(Date.now() - item.timestamp).toBeLessThan(25 * HOUR + 60_000);
    expect((await call('GET', `/_sandbox/windows?pageId=${PAGE}&psid=${psid}`)).json.lastActionAt).toBe(item.timestamp);
    expectOutsideWindow(await response(psid));

    await call('POST', '/_sandbox/customer/messages', { pageId: PAGE, psid, postback: { title: 'Start', payload: 'GET_STARTED' } });
    expect((await response(psid)).status).toBe(200);
    // An older action does not shorten the window: Meta's runs from the latest.
    await call('POST', '/_sandbox/customer/messages', { pageId: PAGE, psid, text: 'late retry', ago: '2d' });
    expect((await response(psid)).status).toBe(200);
  });

  it("an item dated more than a year back, or before 1970, says nothing of the conversation's window; one from the future counts as now", async () => {
    // What the gateway tells the sandbox of each stored item (storedEventsObserver): Meta's time as the item says it.
    sandbox.windows.opened(PAGE, 'dated-1970', 0);
    sandbox.windows.opened(PAGE, 'dated-1970', -5);
    sandbox.windows.opened(PAGE, 'dated-1970', Date.now() - 366 * 24 * HOUR);
    expect((await call('GET', `/_sandbox/windows?pageId=${PAGE}&psid=dated-1970`)).json.known).toBe(false);
    expect((await response('dated-1970')).status).toBe(200);
    const before = Date.now();
    sandbox.windows.opened(PAGE, 'dated-future', before + 10 * 24 * HOUR);
    const view = (await call('GET', `/_sandbox/windows?pageId=${PAGE}&psid=dated-future`)).json;
    expect(view.lastActionAt).toBeGreaterThanOrEqual(before);
    expect(view.lastActionAt).toBeLessThanOrEqual(view.now!);
  });

  it('only a webhook the listener took opens a window', async () => {
    listenerStatus = 403;
    try {
      const sent = await call('POST', '/_sandbox/customer/messages', { pageId: PAGE, psid: 'refused-webhook', text: 'forged?' });
      expect(sent.status).toBe(502);
    } finally {
      listenerStatus = 200;
    }
    expect((await call('GET', `/_sandbox/windows?pageId=${PAGE}&psid=refused-webhook`)).json.known).toBe(false);
  });

  it("the window error is the account's: 10/2018278 on Messenger, 10/2534022 for an Instagram account", () => {
    expect(outsideWindowError('messenger')).toMatchObject({ code: 10, error_subcode: 2018278 });
    expect(outsideWindowError('instagram')).toMatchObject({ code: 10, error_subcode: 2534022, message: '(#10) This message is sent outside of allowed window.' });
  });

  it('refuses a bad age, a bad conversation and another origin', async () => {
    expect((await age('x', '25 hours')).status).toBe(400);
    expect((await age('x', '400d')).status).toBe(400);
    expect((await call('POST', '/_sandbox/windows', { pageId: 'abc', psid: 'x', ago: '1h' })).status).toBe(400);
    expect((await call('POST', '/_sandbox/customer/messages', { pageId: PAGE, psid: 'x', text: 'a', ago: 5 })).status).toBe(400);
    expect((await call('POST', '/_sandbox/windows', { pageId: PAGE, psid: 'x', ago: '1h' }, { origin: 'https://evil.example' })).status).toBe(403);
    const form = await request(`${sandbox.url}/_sandbox/windows`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' });
    await form.body.text();
    expect(form.statusCode).toBe(415);
    expect((await call('GET', `/_sandbox/windows?pageId=${PAGE}&psid=x`)).json.known).toBe(false);
  });
});
