// The inbox's Page setup parts in headless Chromium: a conversation starts as Messenger shows it
// (greeting, Get Started, ice breakers, the persistent menu), each tap reaches a StreamEvents
// consumer as the customer's postback (through the sandbox's customer webhook), and a persona's
// name and picture show on the messages sent with it.

import { credentials, type ClientDuplexStream } from '@grpc/grpc-js';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MessagingType } from '../../gen/messenger/v1/enums';
import { EventServiceClient, StartPosition, Subscribe, type StreamEventsRequest, type StreamEventsResponse } from '../../gen/messenger/v1/events';
import { SANDBOX_WEBHOOK } from '../../src/config/gateway-config';
import { chromiumAvailable, launchChromium } from '../support/browser';
import { startTestGateway, type TestGateway } from '../support/gateway-harness';
import { pageClient, type PageCaller } from '../support/page-client';

const PAGE_ID = '1001';
let gw: TestGateway;
let pages: PageCaller;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let consumerCall: ClientDuplexStream<StreamEventsRequest, StreamEventsResponse>;
let events: EventServiceClient;
const postbacks: string[] = [];
const pageErrors: string[] = [];

async function openConversation(psid: string): Promise<Page> {
  const page = await browser.context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(`${gw.gateway.inbox!.url}/#${encodeURIComponent(`${PAGE_ID}/${psid}`)}`);
  await page.getByRole('status').filter({ hasText: 'live' }).waitFor();
  await page.getByRole('heading', { name: `Page ${PAGE_ID} and ${psid}` }).waitFor();
  return page;
}

describe.skipIf(!chromiumAvailable())('the inbox shows the Page setup', () => {
  beforeAll(async () => {
    gw = await startTestGateway({ extra: { inbox: { listen: '127.0.0.1:0' }, webhook: { ...SANDBOX_WEBHOOK, listen: '127.0.0.1:0' } } });
    pages = pageClient(gw.target);
    browser = await launchChromium();
    browser.context.setDefaultTimeout(8_000);
    events = new EventServiceClient(gw.target, credentials.createInsecure());
    consumerCall = events.streamEvents();
    consumerCall.on('data', (r: StreamEventsResponse) => {
      if (!r.event) return;
      consumerCall.write({ ack: { eventIds: [r.event.eventId] } });
      const raw = JSON.parse(Buffer.from(r.event.rawJson).toString('utf8')) as { postback?: { payload?: string } };
      if (raw.postback?.payload) postbacks.push(raw.postback.payload);
    });
    consumerCall.on('error', () => undefined);
    consumerCall.write({ subscribe: Subscribe.fromPartial({ consumerGroup: 'page-setup-inbox', pageIds: [], start: StartPosition.START_POSITION_EARLIEST }) });
    await pages.call('setMessengerProfile', {
      pageId: PAGE_ID,
      getStarted: { payload: 'GET_STARTED' },
      greeting: [{ locale: 'default', text: 'Hello {{user_first_name}}, welcome to the shop!' }],
      iceBreakers: [{ locale: 'default', callToActions: [{ question: 'Where is my order?', payload: 'ORDER_STATUS' }] }],
      persistentMenu: [{ locale: 'default', callToActions: [{ type: 'postback', title: 'Talk to a person', payload: 'HUMAN' }, { type: 'web_url', title: 'Shop', url: 'https://example.com/shop' }] }],
    });
  });
  afterAll(async () => {
    consumerCall?.cancel();
    events?.close();
    pages?.close();
    await browser?.close();
    await gw?.close();
  });

  it('greeting, Get Started, ice breakers and the menu; each tap is the customer postback a consumer receives', async () => {
    const psid = '8101';
    await gw.send({ pageId: PAGE_ID, recipient: { identifier: { $case: 'id', value: psid } }, messagingType: MessagingType.MESSAGING_TYPE_RESPONSE, message: { content: { $case: 'text', value: 'Hi!' } } });
    const page = await openConversation(psid);
    const intro = page.getByRole('region', { name: 'How the conversation starts' });
    await intro.getByText('Hello there, welcome to the shop!').waitFor();
    await intro.getByRole('button', { name: 'Get Started' }).click();
    await expect.poll(() => postbacks.includes('GET_STARTED'), { timeout: 10_000 }).toBe(true);
    await intro.getByRole('group', { name: 'Ice breakers' }).getByRole('button', { name: 'Where is my order?' }).click();
    await expect.poll(() => postbacks.includes('ORDER_STATUS'), { timeout: 10_000 }).toBe(true);
    await page.getByRole('button', { name: 'Menu' }).click();
    const menu = page.getByRole('menu', { name: 'Persistent menu' });
    expect(await menu.getByRole('menuitem', { name: 'Shop' }).getAttribute('href')).toBe('https://example.com/shop');
    await menu.getByRole('menuitem', { name: 'Talk to a person' }).click();
    await expect.poll(() => postbacks.includes('HUMAN'), { timeout: 10_000 }).toBe(true);
    // The taps show in the conversation as the customer's postbacks.
    await page.getByRole('log', { name: 'Messages' }).getByText('Talk to a person').waitFor();
    // A change of the profile shows live.
    await pages.call('setMessengerProfile', { pageId: PAGE_ID, greeting: [{ locale: 'default', text: 'New greeting' }] });
    await intro.getByText('New greeting').waitFor();
    expect(pageErrors).toEqual([]);
  });

  it("a persona's picture and name on the messages sent with it", async () => {
    const psid = '8102';
    const { personaId } = await pages.call('createPersona', { pageId: PAGE_ID, name: 'Alice from support', profilePictureUrl: 'https://example.com/alice.png' });
    await gw.send({ pageId: PAGE_ID, recipient: { identifier: { $case: 'id', value: psid } }, messagingType: MessagingType.MESSAGING_TYPE_RESPONSE, personaId, message: { content: { $case: 'text', value: 'Alice here, how can I help?' } } });
    const page = await openConversation(psid);
    const log = page.getByRole('log', { name: 'Messages' });
    await log.getByText('Alice here, how can I help?').waitFor();
    const label = log.locator('.label.persona');
    await expect.poll(() => label.textContent()).toBe('Alice from support');
    expect(await label.locator('img').getAttribute('src')).toBe('https://example.com/alice.png');
    expect(pageErrors).toEqual([]);
  });
});
