// PageService end to end: a real gateway in sandbox mode, a real grpc-js client, the sandbox's
// fake Graph keeping personas, profiles and templates per Page.

import { status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PageServiceService } from '../../gen/messenger/v1/page';
import { decodeStatusDetails } from '../../src/errors/decode-status-details';
import { METHOD_ACCESS } from '../../src/server/method-access';
import { generateApiKey, hashApiKey } from '../../src/server/caller-auth';
import { startTestGateway, type TestGateway } from '../support/gateway-harness';
import { pageClient, type PageCaller } from '../support/page-client';

const ORDERS_KEY = generateApiKey();
const SUPPORT_KEY = generateApiKey();
const callers = [
  { name: 'orders', apiKeyHash: hashApiKey(ORDERS_KEY), pages: ['1001'], ratePerSecond: 0 },
  { name: 'support', apiKeyHash: hashApiKey(SUPPORT_KEY), pages: ['1002'], ratePerSecond: 0 },
];

let gw: TestGateway;
let orders: PageCaller;
let support: PageCaller;

beforeAll(async () => {
  gw = await startTestGateway({ extra: { callers } });
  orders = pageClient(gw.target, ORDERS_KEY);
  support = pageClient(gw.target, SUPPORT_KEY);
});
afterAll(async () => {
  orders?.close();
  support?.close();
  await gw?.close();
});

async function refused(p: Promise<unknown>): Promise<{ err: ServiceError; reason?: string; details: ReturnType<typeof decodeStatusDetails> }> {
  try {
    await p;
  } catch (e) {
    const err = e as ServiceError;
    const details = decodeStatusDetails(err.metadata);
    return { err, reason: details.errorInfo?.reason, details };
  }
  throw new Error('the call succeeded but an error was expected');
}

const graphCalls = (pathPart: string) => gw.sandbox!.received.filter((r) => r.path.includes(pathPart)).length;

describe('personas', () => {
  it('create, get, list, delete', async () => {
    const { personaId } = await orders.call('createPersona', { pageId: '1001', name: 'Alice', profilePictureUrl: 'https://example.com/alice.png' });
    expect(personaId).toMatch(/^\d+$/);
    const got = await orders.call('getPersona', { pageId: '1001', personaId });
    expect(got.persona).toEqual({ personaId, name: 'Alice', profilePictureUrl: 'https://example.com/alice.png' });
    const listed = await orders.call('listPersonas', { pageId: '1001' });
    expect(listed.personas.map((p) => p.personaId)).toContain(personaId);
    expect((await orders.call('deletePersona', { pageId: '1001', personaId })).success).toBe(true);
    const gone = await refused(orders.call('getPersona', { pageId: '1001', personaId }));
    expect(gone.err.code).toBe(status.NOT_FOUND);
    expect(gone.reason).toBe('PERSONA_NOT_FOUND');
  });

  it('pages through a long list with next_cursor', async () => {
    for (let i = 0; i < 3; i++) await orders.call('createPersona', { pageId: '1001', name: `Agent ${i}`, profilePictureUrl: 'https://example.com/a.png' });
    const first = await orders.call('listPersonas', { pageId: '1001', limit: 2 });
    expect(first.personas).toHaveLength(2);
    expect(first.nextCursor).not.toBe('');
    const second = await orders.call('listPersonas', { pageId: '1001', limit: 2, after: first.nextCursor });
    expect(second.personas.length).toBeGreaterThan(0);
    expect(second.personas[0]!.personaId).not.toBe(first.personas[0]!.personaId);
  });

  it("another Page's persona is NOT_FOUND, never its content, and is not deleted; another caller's Page is PERMISSION_DENIED", async () => {
    const { personaId } = await support.call('createPersona', { pageId: '1002', name: 'Secret agent', profilePictureUrl: 'https://example.com/s.png' });
    const read = await refused(orders.call('getPersona', { pageId: '1001', personaId }));
    expect(read.err.code).toBe(status.NOT_FOUND);
    expect(read.reason).toBe('PERSONA_NOT_FOUND');
    expect(read.err.details).not.toContain('Secret agent');
    const del = await refused(orders.call('deletePersona', { pageId: '1001', personaId }));
    expect(del.reason).toBe('PERSONA_NOT_FOUND');
    // The persona is still there for its own Page.
    expect((await support.call('getPersona', { pageId: '1002', personaId })).persona?.name).toBe('Secret agent');
    const denied = await refused(orders.call('getPersona', { pageId: '1002', personaId }));
    expect(denied.err.code).toBe(status.PERMISSION_DENIED);
    expect(denied.reason).toBe('PAGE_NOT_GRANTED');
    // Graph never served the foreign persona to the wrong caller: no GET /{persona-id} on behalf of 1001.
    expect(gw.sandbox!.received.filter((r) => r.method === 'GET' && r.path.endsWith(`/${personaId}`)).length).toBe(1);
  });

  it('validation lists every violation before Graph: name length, https picture, numeric id', async () => {
    const before = graphCalls('/personas');
    const bad = await refused(orders.call('createPersona', { pageId: '1001', name: 'x'.repeat(51), profilePictureUrl: 'http://example.com/a.png' }));
    expect(bad.err.code).toBe(status.INVALID_ARGUMENT);
    expect(bad.details.badRequest?.fieldViolations.map((v) => v.field).sort()).toEqual(['name', 'profile_picture_url']);
    const badId = await refused(orders.call('getPersona', { pageId: '1001', personaId: 'abc' }));
    expect(badId.details.badRequest?.fieldViolations.map((v) => v.field)).toEqual(['persona_id']);
    expect(graphCalls('/personas')).toBe(before);
  });

  it("Graph's errors go through the catalogue (a magic name)", async () => {
    const err = await refused(orders.call('createPersona', { pageId: '1001', name: 'error-190', profilePictureUrl: 'https://example.com/a.png' }));
    expect(err.err.code).toBe(status.FAILED_PRECONDITION);
    expect(err.reason).toBe('PAGE_ACCESS_TOKEN_INVALID');
    expect(err.details.errorInfo?.domain).toBe('graph.facebook.com');
    // The chaos switchboard fails the Page's next call, whatever the edge.
    gw.sandbox!.chaos.set('1001', { failNext: { count: 1, code: 551 } });
    const chaos = await refused(orders.call('listPersonas', { pageId: '1001' }));
    expect(chaos.reason).toBe('RECIPIENT_UNAVAILABLE');
  });
});

describe('the Messenger Profile', () => {
  it('set, get, delete, within the budget; past it RESOURCE_EXHAUSTED with RetryInfo and no Graph call', async () => {
    const page = { pageId: '1001' };
    const set = await orders.call('setMessengerProfile', {
      ...page,
      getStarted: { payload: 'GET_STARTED' },
      greeting: [{ locale: 'default', text: 'Hello {{user_first_name}}!' }],
      iceBreakers: [{ locale: 'default', callToActions: [{ question: 'Where is my order?', payload: 'ORDER' }] }],
      persistentMenu: [{ locale: 'default', callToActions: [{ type: 'postback', title: 'Talk to a person', payload: 'HUMAN' }, { type: 'web_url', title: 'Shop', url: 'https://example.com' }] }],
      whitelistedDomains: ['https://example.com'],
    });
    expect(set.result).toBe('success');
    const got = await orders.call('getMessengerProfile', { ...page, fields: ['get_started', 'greeting', 'persistent_menu'] });
    expect(got.profile?.getStarted).toEqual({ payload: 'GET_STARTED' });
    expect(got.profile?.greeting).toEqual([{ locale: 'default', text: 'Hello {{user_first_name}}!' }]);
    expect(got.profile?.persistentMenu[0]?.callToActions.map((c) => c.title)).toEqual(['Talk to a person', 'Shop']);
    expect(got.profile?.iceBreakers).toEqual([]);
    expect((await orders.call('deleteMessengerProfile', { ...page, fields: ['whitelisted_domains'] })).result).toBe('success');
    // 3 calls so far; 7 more fit in the 10-minute window.
    for (let i = 0; i < 7; i++) await orders.call('getMessengerProfile', { ...page, fields: ['greeting'] });
    const before = graphCalls('/messenger_profile');
    const over = await refused(orders.call('getMessengerProfile', { ...page, fields: ['greeting'] }));
    expect(over.err.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(over.reason).toBe('PROFILE_BUDGET_EXHAUSTED');
    expect(Number(over.details.retryInfo?.retryDelay?.seconds ?? 0)).toBeGreaterThan(500);
    expect(graphCalls('/messenger_profile')).toBe(before);
    // Another Page's budget is its own.
    expect((await support.call('getMessengerProfile', { pageId: '1002', fields: ['greeting'] })).profile).toBeDefined();
  });

  it('validation: greeting length and default locale, https URLs, menu only with get_started and at most 20 items, at most 50 domains; no budget spent', async () => {
    const bad = await refused(support.call('setMessengerProfile', {
      pageId: '1002',
      greeting: [{ locale: 'en_US', text: 'x'.repeat(161) }],
      persistentMenu: [{ locale: 'default', callToActions: Array.from({ length: 21 }, (_, i) => ({ type: 'postback', title: `item ${i}`, payload: 'P' })) }],
      whitelistedDomains: Array.from({ length: 51 }, (_, i) => `https://d${i}.example.com`),
      accountLinkingUrl: 'http://example.com/link',
    }));
    expect(bad.err.code).toBe(status.INVALID_ARGUMENT);
    const fields = bad.details.badRequest?.fieldViolations.map((v) => v.field).sort();
    expect(fields).toEqual(['account_linking_url', 'greeting', 'greeting[0].text', 'persistent_menu', 'persistent_menu[0].call_to_actions', 'whitelisted_domains'].sort());
    const huge = await refused(support.call('setMessengerProfile', { pageId: '1002', getStarted: { payload: 'G' }, persistentMenu: [{ locale: 'default', callToActions: Array.from({ length: 5000 }, () => ({ type: 'postback', title: 't', payload: 'p' })) }] }));
    expect(huge.details.badRequest?.fieldViolations).toHaveLength(1);
    const unknownField = await refused(support.call('getMessengerProfile', { pageId: '1002', fields: ['home_url'] }));
    expect(unknownField.details.badRequest?.fieldViolations.map((v) => v.field)).toEqual(['fields[0]']);
    // Refusals cost no budget: 9 calls are still free (one was spent by the previous test).
    for (let i = 0; i < 9; i++) await support.call('getMessengerProfile', { pageId: '1002', fields: ['greeting'] });
    expect((await refused(support.call('getMessengerProfile', { pageId: '1002', fields: ['greeting'] }))).reason).toBe('PROFILE_BUDGET_EXHAUSTED');
  });
});

describe('utility templates', () => {
  it('create (custom and from the library), list, get, delete; a missing name is NOT_FOUND', async () => {
    const custom = await orders.call('createMessageTemplate', {
      pageId: '1001', name: 'order_shipped', language: 'en_US',
      components: [{ type: 'BODY', text: 'Your order {{1}} has shipped', example: { body_text: [['A-1']] } }],
    });
    expect(custom.status).toBe('APPROVED');
    expect(custom.category).toBe('UTILITY');
    const library = await orders.call('createMessageTemplate', { pageId: '1001', name: 'appointment', language: 'en_US', libraryTemplateName: 'appointment_reminder_1' });
    expect(library.id).toMatch(/^\d+$/);
    const list = await orders.call('listMessageTemplates', { pageId: '1001' });
    expect(list.templates.map((t) => t.name).sort()).toEqual(['appointment', 'order_shipped']);
    const one = await orders.call('getMessageTemplate', { pageId: '1001', name: 'order_shipped' });
    expect(one.template?.components[0]).toMatchObject({ type: 'BODY', text: 'Your order {{1}} has shipped' });
    // Another Page's templates are not reachable through this Page.
    expect((await refused(support.call('getMessageTemplate', { pageId: '1002', name: 'order_shipped' }))).reason).toBe('TEMPLATE_NOT_FOUND');
    expect((await refused(support.call('getMessageTemplate', { pageId: '1001', name: 'order_shipped' }))).reason).toBe('PAGE_NOT_GRANTED');
    expect((await orders.call('deleteMessageTemplate', { pageId: '1001', name: 'appointment' })).success).toBe(true);
    expect((await refused(orders.call('getMessageTemplate', { pageId: '1001', name: 'appointment' }))).err.code).toBe(status.NOT_FOUND);
  });

  it('validation: name shape, language, exactly one of components and library_template_name', async () => {
    const bad = await refused(orders.call('createMessageTemplate', { pageId: '1001', name: 'Bad Name', language: '', category: 'MARKETING' }));
    expect(bad.details.badRequest?.fieldViolations.map((v) => v.field).sort()).toEqual(['category', 'components', 'language', 'name']);
  });
});

describe('access declarations', () => {
  it('every PageService method is declared a page method, its Page read from page_id', () => {
    for (const m of Object.values(PageServiceService)) {
      const access = METHOD_ACCESS.get(m.path);
      expect(access?.kind, m.path).toBe('page');
      if (access?.kind === 'page') expect(access.pagesOf({ pageId: '42' })).toEqual(['42']);
    }
  });
});
