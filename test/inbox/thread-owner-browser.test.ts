// The inbox's thread-owner badge in headless Chromium: who owns the conversation follows the
// gateway's PassThreadControl, and the badge's button plays the Page Inbox (hand back, take).
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { SANDBOX_APP_ID } from '../../src/sandbox/thread-owners';
import { chromiumAvailable } from '../support/browser';
import { textTo } from '../support/gateway-harness';
import { useInboxInBrowser } from '../support/inbox-in-browser';

describe.skipIf(!chromiumAvailable())('the inbox shows who owns the thread', () => {
  const inbox = useInboxInBrowser();
  const { open, pageErrors } = inbox;
  const badge = (page: Page, text: string) => page.getByRole('status', { name: 'Who owns the conversation' }).filter({ hasText: text }).waitFor();

  it('follows a pass, hands back and takes as the Page Inbox', async () => {
    const [gw, conv] = [inbox.gw(), inbox.conv()];
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
