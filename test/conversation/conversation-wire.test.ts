import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MessengerClient } from 'messaging-api-messenger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conversationClient, type ConversationClient } from '../support/conversation-client';
import { startTestGateway, type TestGateway } from '../support/gateway-harness';

// For each ConversationService call, the Graph request the gateway makes compared with what an
// independent SDK (messaging-api-messenger) puts on the wire for the same call, both captured by
// one real HTTP server. Bodies and queries must be equal once the credentials are set aside (the
// SDK sends the token in the query, the gateway in the Authorization header); the SDK's paths
// say `me` where the gateway names the Page. The appsecret_proof must be the same value.
const PAGE = '1001';
const TOKEN = 'wire-page-token-1001';
const APP_SECRET = 'wire-app-secret';

interface Captured {
  method: string;
  path: string;
  query: Record<string, string>;
  body: Record<string, unknown> | undefined;
  authorization?: string;
}

let captured: Captured[] = [];
let server: Server;
let gw: TestGateway;
let conv: ConversationClient;
let sdk: MessengerClient;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://graph');
      const text = Buffer.concat(chunks).toString('utf8');
      captured.push({ method: req.method ?? '', path: url.pathname, query: Object.fromEntries(url.searchParams), body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined, authorization: req.headers.authorization });
      const answer = url.pathname.endsWith('/thread_owner')
        ? { data: [{ thread_owner: { app_id: '263902037430900' } }] }
        : url.pathname.endsWith('_thread_control')
          ? { success: true }
          : { id: '5551234', first_name: 'Ada', last_name: 'Lovelace', profile_pic: 'https://example.com/ada.png' };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  gw = await startTestGateway({ sandbox: false, graph: { baseUrl: origin }, pages: [{ id: PAGE, accessToken: TOKEN, appSecret: APP_SECRET, appsecretProof: 'classic' }] });
  conv = conversationClient(gw.target);
  sdk = new MessengerClient({ accessToken: TOKEN, appSecret: APP_SECRET, origin, version: '25.0' });
});
afterAll(async () => {
  conv.close();
  await gw.close();
  await new Promise((resolve) => server.close(resolve));
});

const CREDENTIALS = ['access_token', 'appsecret_proof'];

/** A captured request without its credentials, its path naming the Page; and the proof it carried. */
function normalized(c: Captured): { request: Omit<Captured, 'authorization'>; proof: unknown } {
  const strip = (o: Record<string, unknown> | undefined) => (o === undefined ? undefined : Object.fromEntries(Object.entries(o).filter(([k]) => !CREDENTIALS.includes(k))));
  const body = strip(c.body);
  return {
    request: { method: c.method, path: c.path.replace('/me/', `/${PAGE}/`), query: strip(c.query) as Record<string, string>, body: body && Object.keys(body).length > 0 ? body : undefined },
    proof: c.query.appsecret_proof ?? c.body?.appsecret_proof,
  };
}

/** Runs the gateway's call, then the SDK's, and compares the two requests Graph got. */
async function compare(viaGateway: () => Promise<unknown>, viaSdk: () => Promise<unknown>): Promise<Captured> {
  captured = [];
  await viaGateway();
  await viaSdk();
  expect(captured).toHaveLength(2);
  const [ours, theirs] = captured.map(normalized);
  expect(ours.request).toEqual(theirs.request);
  expect(ours.proof).toBe(theirs.proof);
  // The gateway's token travels in the header, never in the URL.
  expect(captured[0].authorization).toBe(`Bearer ${TOKEN}`);
  expect(captured[0].query.access_token).toBeUndefined();
  return captured[0];
}

describe('the Graph requests of ConversationService against messaging-api-messenger', () => {
  it('PassThreadControl = passThreadControl', async () => {
    const ours = await compare(
      () => conv.pass({ pageId: PAGE, recipientId: '5551234', targetAppId: '263902037430900', metadata: 'to a person' }),
      () => sdk.passThreadControl('5551234', 263902037430900, 'to a person'),
    );
    expect(ours.path).toBe(`/v25.0/${PAGE}/pass_thread_control`);
  });

  it('PassThreadControl to the Page Inbox = passThreadControlToPageInbox', async () => {
    await compare(
      () => conv.pass({ pageId: PAGE, recipientId: '5551234', targetAppId: '263902037430900', metadata: 'inbox' }),
      () => sdk.passThreadControlToPageInbox('5551234', 'inbox'),
    );
  });

  it('TakeThreadControl = takeThreadControl', async () => {
    await compare(() => conv.take({ pageId: PAGE, recipientId: '5551234', metadata: 'back' }), () => sdk.takeThreadControl('5551234', 'back'));
  });

  it('RequestThreadControl = requestThreadControl', async () => {
    await compare(() => conv.request({ pageId: PAGE, recipientId: '5551234', metadata: 'may I' }), () => sdk.requestThreadControl('5551234', 'may I'));
  });

  it('GetThreadOwner = getThreadOwner', async () => {
    const ours = await compare(() => conv.owner({ pageId: PAGE, recipientId: '5551234' }), () => sdk.getThreadOwner('5551234'));
    expect(ours.query.recipient).toBe('5551234');
  });

  it('GetUserProfile = getUserProfile, with the same fields', async () => {
    const fields: Array<'id' | 'name' | 'first_name' | 'last_name' | 'profile_pic'> = ['id', 'name', 'first_name', 'last_name', 'profile_pic'];
    await compare(() => conv.profile({ pageId: PAGE, recipientId: '5551234', fields }), () => sdk.getUserProfile('5551234', { fields }));
  });
});
