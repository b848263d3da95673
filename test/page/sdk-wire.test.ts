// Each PageService call's Graph request, compared with what messaging-api-messenger (an
// independent SDK) puts on the wire for the same call, both captured by one real HTTP server.
// Bodies and queries must be equal, credentials aside (the SDK puts access_token in the query,
// the gateway its token in the Authorization header and appsecret_proof beside the parameters);
// paths may use the Page id where the SDK uses `me`.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway-harness';
import { pageClient, type PageCaller } from '../support/page-client';
import { startScriptedGraph, type ScriptedGraph, type SeenRequest } from '../support/scripted-graph';

const TOKEN = 'page-token-1001';
const PAGE = { id: '1001', accessToken: TOKEN, appSecret: 'app-secret', appsecretProof: 'classic' as const };
const VERSION = 'v25.0';
const CREDENTIALS = new Set(['access_token', 'appsecret_proof', 'appsecret_time']);

let graph: ScriptedGraph;
let gw: TestGateway;
let page: PageCaller;
let sdk: import('messaging-api-messenger').MessengerClient;

beforeAll(async () => {
  graph = await startScriptedGraph();
  gw = await startTestGateway({ sandbox: false, pages: [PAGE], graph: { baseUrl: graph.url, version: VERSION } });
  page = pageClient(gw.target);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { MessengerClient } = require('messaging-api-messenger') as typeof import('messaging-api-messenger');
  sdk = new MessengerClient({ accessToken: TOKEN, version: VERSION.slice(1), origin: graph.url });
});
afterAll(async () => {
  page?.close();
  await gw?.close();
  await graph?.close();
});

interface Wire {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
}

function wire(r: SeenRequest): Wire {
  const query = Object.fromEntries([...r.query].filter(([k]) => !CREDENTIALS.has(k)));
  let body: unknown = undefined;
  if (r.body !== '') {
    const parsed = JSON.parse(r.body) as Record<string, unknown>;
    body = Object.fromEntries(Object.entries(parsed).filter(([k]) => !CREDENTIALS.has(k)));
  }
  return { method: r.method, path: r.path.replace(`/${PAGE.id}/`, '/me/'), query, body };
}

/** Runs the SDK's call and the gateway's against the same answer; returns both requests as seen. */
async function both(answer: unknown, viaSdk: () => Promise<unknown>, viaGateway: () => Promise<unknown>): Promise<[Wire, Wire]> {
  graph.answers = [{ status: 200, body: answer }];
  graph.requests.length = 0;
  await viaSdk();
  await viaGateway();
  expect(graph.requests).toHaveLength(2);
  const [a, b] = graph.requests.map(wire);
  // The gateway authenticates in the header, never in the URL.
  expect(graph.requests[1]!.authorization).toBe(`Bearer ${TOKEN}`);
  expect([...graph.requests[1]!.query.keys()]).not.toContain('access_token');
  return [a!, b!];
}

describe('the gateway sends what messaging-api-messenger sends', () => {
  it('CreatePersona: POST /{page}/personas {name, profile_picture_url}', async () => {
    const [s, g] = await both(
      { id: '42' },
      () => sdk.createPersona({ name: 'Alice', profilePictureUrl: 'https://example.com/a.png' }),
      () => page.call('createPersona', { pageId: PAGE.id, name: 'Alice', profilePictureUrl: 'https://example.com/a.png' }),
    );
    expect(g).toEqual(s);
    expect(g.body).toEqual({ name: 'Alice', profile_picture_url: 'https://example.com/a.png' });
  });

  it('GetPersona: GET /{persona-id}', async () => {
    // The gateway first finds the persona in the Page's list (ownership); the compared call is the GET.
    graph.answers = [{ status: 200, body: { data: [{ id: '42', name: 'Alice', profile_picture_url: 'https://example.com/a.png' }] } }];
    await page.call('listPersonas', { pageId: PAGE.id });
    const [s, g] = await both(
      { id: '42', name: 'Alice', profile_picture_url: 'https://example.com/a.png' },
      () => sdk.getPersona('42'),
      () => page.call('getPersona', { pageId: PAGE.id, personaId: '42' }),
    );
    expect(g).toEqual(s);
    expect(g).toMatchObject({ method: 'GET', path: `/${VERSION}/42` });
  });

  it('ListPersonas: GET /{page}/personas (and with a cursor: after=)', async () => {
    const answer = { data: [], paging: { cursors: { before: 'b', after: 'a' } } };
    const [s, g] = await both(answer, () => sdk.getPersonas(), () => page.call('listPersonas', { pageId: PAGE.id }));
    expect(g).toEqual(s);
    const [s2, g2] = await both(answer, () => sdk.getPersonas('CURSOR'), () => page.call('listPersonas', { pageId: PAGE.id, after: 'CURSOR' }));
    expect(g2).toEqual(s2);
    expect(g2.query).toEqual({ after: 'CURSOR' });
  });

  it('DeletePersona: DELETE /{persona-id}', async () => {
    const [s, g] = await both({ success: true }, () => sdk.deletePersona('42'), () => page.call('deletePersona', { pageId: PAGE.id, personaId: '42' }));
    expect(g).toEqual(s);
    expect(g.method).toBe('DELETE');
  });

  it('GetMessengerProfile: GET /{page}/messenger_profile?fields=a,b', async () => {
    const [s, g] = await both(
      { data: [{ get_started: { payload: 'GO' } }] },
      () => sdk.getMessengerProfile(['get_started', 'persistent_menu']),
      () => page.call('getMessengerProfile', { pageId: PAGE.id, fields: ['get_started', 'persistent_menu'] }),
    );
    expect(g).toEqual(s);
    expect(g.query).toEqual({ fields: 'get_started,persistent_menu' });
  });

  it('SetMessengerProfile: POST /{page}/messenger_profile with the properties', async () => {
    const [s, g] = await both(
      { result: 'success' },
      () => sdk.setMessengerProfile({
        getStarted: { payload: 'GET_STARTED' },
        greeting: [{ locale: 'default', text: 'Hi {{user_first_name}}' }],
        persistentMenu: [{ locale: 'default', composerInputDisabled: false, callToActions: [{ type: 'postback', title: 'Restart', payload: 'RESTART' }, { type: 'web_url', title: 'Shop', url: 'https://example.com', webviewHeightRatio: 'tall' }] }],
        whitelistedDomains: ['https://example.com'],
        accountLinkingUrl: 'https://example.com/link',
      } as never),
      () => page.call('setMessengerProfile', {
        pageId: PAGE.id,
        getStarted: { payload: 'GET_STARTED' },
        greeting: [{ locale: 'default', text: 'Hi {{user_first_name}}' }],
        persistentMenu: [{ locale: 'default', composerInputDisabled: false, callToActions: [{ type: 'postback', title: 'Restart', payload: 'RESTART' }, { type: 'web_url', title: 'Shop', url: 'https://example.com', webviewHeightRatio: 'tall' }] }],
        whitelistedDomains: ['https://example.com'],
        accountLinkingUrl: 'https://example.com/link',
      }),
    );
    expect(g).toEqual(s);
  });

  it('SetMessengerProfile: ice breakers in the current per-locale form', async () => {
    const iceBreakers = [{ locale: 'default', callToActions: [{ question: 'Where is my order?', payload: 'ORDER' }] }];
    const [s, g] = await both({ result: 'success' }, () => sdk.setMessengerProfile({ iceBreakers } as never), () => page.call('setMessengerProfile', { pageId: PAGE.id, iceBreakers }));
    expect(g).toEqual(s);
    expect(g.body).toEqual({ ice_breakers: [{ call_to_actions: [{ question: 'Where is my order?', payload: 'ORDER' }], locale: 'default' }] });
  });

  it('DeleteMessengerProfile: DELETE /{page}/messenger_profile {fields}', async () => {
    const [s, g] = await both(
      { result: 'success' },
      () => sdk.deleteMessengerProfile(['get_started', 'persistent_menu']),
      () => page.call('deleteMessengerProfile', { pageId: PAGE.id, fields: ['get_started', 'persistent_menu'] }),
    );
    expect(g).toEqual(s);
    expect(g.body).toEqual({ fields: ['get_started', 'persistent_menu'] });
  });
});

// messaging-api-messenger (2020) predates utility templates: these are checked against the
// shapes of Meta's utility-messages page instead.
describe("utility templates on the wire (Meta's documented shapes; the SDK has no such call)", () => {
  async function one(answer: unknown, call: () => Promise<unknown>): Promise<Wire> {
    graph.answers = [{ status: 200, body: answer }];
    graph.requests.length = 0;
    await call();
    expect(graph.requests).toHaveLength(1);
    return wire(graph.requests[0]!);
  }

  it('create, custom and from the library; list; get by name; delete by name', async () => {
    const custom = await one({ id: '7', status: 'APPROVED', category: 'UTILITY' }, () => page.call('createMessageTemplate', {
      pageId: PAGE.id, name: 'order_shipped', language: 'en_US', components: [{ type: 'BODY', text: 'Order {{1}} shipped' }],
    }));
    expect(custom).toEqual({ method: 'POST', path: `/${VERSION}/me/message_templates`, query: {}, body: { name: 'order_shipped', language: 'en_US', category: 'UTILITY', components: [{ type: 'BODY', text: 'Order {{1}} shipped' }] } });
    const library = await one({ id: '8', status: 'APPROVED', category: 'UTILITY' }, () => page.call('createMessageTemplate', {
      pageId: PAGE.id, name: 'reminder', language: 'en_US', libraryTemplateName: 'appointment_reminder', libraryTemplateButtonInputs: [{ type: 'URL', url: { base_url: 'https://example.com' } }],
    }));
    expect(library.body).toEqual({ name: 'reminder', language: 'en_US', category: 'UTILITY', library_template_name: 'appointment_reminder', library_template_button_inputs: [{ type: 'URL', url: { base_url: 'https://example.com' } }] });
    const list = await one({ data: [] }, () => page.call('listMessageTemplates', { pageId: PAGE.id, limit: 10 }));
    expect(list).toEqual({ method: 'GET', path: `/${VERSION}/me/message_templates`, query: { limit: '10' }, body: undefined });
    const get = await one({ data: [{ id: '7', name: 'order_shipped', status: 'APPROVED' }] }, () => page.call('getMessageTemplate', { pageId: PAGE.id, name: 'order_shipped' }));
    expect(get.query).toEqual({ name: 'order_shipped' });
    const del = await one({ success: true }, () => page.call('deleteMessageTemplate', { pageId: PAGE.id, name: 'order_shipped' }));
    expect(del).toEqual({ method: 'DELETE', path: `/${VERSION}/me/message_templates`, query: { name: 'order_shipped' }, body: undefined });
  });
});

describe('secrets never come back', () => {
  it("a Graph answer echoing the Page token or proof is redacted in the caller's answer and error", async () => {
    graph.answers = [{ status: 200, body: { data: [{ id: '99', name: `leak ${TOKEN}`, profile_picture_url: `https://example.com/p.png?access_token=${TOKEN}` }] } }];
    const listed = await page.call('listPersonas', { pageId: PAGE.id });
    expect(JSON.stringify(listed)).not.toContain(TOKEN);
    graph.answers = [{ status: 400, body: { error: { message: `Invalid token ${TOKEN}`, type: 'OAuthException', code: 190, fbtrace_id: 'x' } } }];
    const err = await page.call('getMessengerProfile', { pageId: PAGE.id, fields: ['greeting'] }).then(() => undefined, (e: Error & { details?: string; metadata?: { getMap(): Record<string, unknown> } }) => e);
    expect(err).toBeDefined();
    expect(`${err!.details} ${JSON.stringify(err!.metadata?.getMap())}`).not.toContain(TOKEN);
  });
});
