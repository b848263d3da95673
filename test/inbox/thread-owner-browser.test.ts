// The inbox's thread-owner badge in headless Chromium: who owns the conversation follows the
// gateway's PassThreadControl, and the badge's button plays the Page Inbox (hand back, take).
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_WEBHOOK } from '../../src/config/gateway-config';
import { SANDBOX_APP_ID } from '../../src/sandbox/thread-owners';
import { chromiumAvailable, launchChromium } from '../support/browser';
import { conversationClient, type ConversationClient } from '../support/conversation-client';
import { startTestGateway, textTo, type TestGateway } from '../support/gateway-harness';

const run = chromiumAvailable();
let gw: TestGateway;
let conv: ConversationClient;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let context: BrowserContext;
const pageErrors: string[] = [];

describe.skipIf(!run)('the inbox shows who owns the thread', () => {
  beforeAll(async () => {
    gw = await startTestGateway({ extra: { inbox: { listen: '127.0.0.1:0' }, webhook: { ...SANDBOX_WEBHOOK, listen: '127.0.0.1:0' } } });
    conv = conversationClient(gw.target);
    browser = await launchChromium();
    context = browser.context;
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    conv?.close();
    await gw?.close();
  });

  async function open(psid: string): Promise<Page> {
    const page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${gw.gateway.inbox!.url}/#${encodeURIComponent(`1001/${psid}`)}`);
    await page.getByRole('heading', { name: `Page 1001 and ${psid}` }).waitFor();
    return page;
  }
  const badge = (page: Page, text: string) => page.getByRole('status', { name: 'Who owns the conversation' }).filter({ hasText: text }).waitFor();

  it('follows a pass, hands back and takes as the Page Inbox', async () => {
    const psid = '7770001';
    await gw.send(textTo(psid, 'hello'));
    const page = await open(psid);
    await badge(page, 'Handled by the bot (this gateway)');

    await conv.pass({ pageId: '1001', recipientId: psid, targetAppId: '263902037430900' });
    await badge(page, 'Handled by the Page Inbox (a person)');

    await page.getByRole('button', { name: 'Hand back to the bot' }).click();
    await badge(page, 'Handled by the bot (this gateway)');
    expect(gw.sandbox!.threads.ownerOf('1001', psid)).toBe(SANDBOX_APP_ID);

    await page.getByRole('button', { name: 'Take as the Page Inbox' }).click();
    await badge(page, 'Handled by the Page Inbox (a person)');
    expect(await conv.owner({ pageId: '1001', recipientId: psid })).toEqual({ appId: '263902037430900' });
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
