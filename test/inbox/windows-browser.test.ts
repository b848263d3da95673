// The inbox shows each conversation's messaging windows and owner as the sandbox (Meta) knows
// them, in headless Chromium, and its "age" control moves the conversation's clock: a RESPONSE
// then meets Meta's 10/2018278, shown in place.
import { status } from '@grpc/grpc-js';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { request } from 'undici';
import { chromiumAvailable } from '../support/browser';
import { textTo } from '../support/gateway-harness';
import { useInboxInBrowser } from '../support/inbox-in-browser';
import { waitFor } from '../support/wait-for';

describe.skipIf(!chromiumAvailable())("the inbox shows each conversation's windows and owner", () => {
  const inbox = useInboxInBrowser();
  const { open, pageErrors } = inbox;
  const gw = () => inbox.gw();

  async function customerSays(psid: string, text: string): Promise<void> {
    const res = await request(`${gw().sandbox!.url}/_sandbox/customer/messages`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pageId: '1001', psid, text }),
    });
    expect(res.statusCode, await res.body.text()).toBe(200);
  }

  const windows = (page: Page, text: string | RegExp) => page.getByRole('status', { name: 'Messaging windows' }).filter({ hasText: text }).waitFor();

  it('counts down both windows from the customer\'s message, ages the conversation, and shows the owner', async () => {
    const psid = '8880001';
    await customerSays(psid, 'hello, anyone there?');
    const page = await open(psid);
    await windows(page, /Standard window: 23 h 5\d min left/);
    await windows(page, /Human agent: 6 d 23 h left/);
    await page.getByRole('status', { name: 'Who owns the conversation' }).filter({ hasText: 'Handled by the bot (this gateway)' }).waitFor();

    await page.getByRole('button', { name: 'Age this conversation: last customer action 23h ago' }).click();
    await windows(page, /Standard window: (59 min|1 h) left/);

    await page.getByRole('button', { name: 'Age this conversation: last customer action 25h ago' }).click();
    await windows(page, /Standard window: closed (59 min|1 h) ago/);
    // 7 d less 25 h, less the moments since: 5 d 22 h 59 min… shows as 5 d 22 h.
    await windows(page, /Human agent: 5 d 2[23] h left/);
    // Meta (the sandbox) now refuses a RESPONSE: the caller gets the typed error, the inbox shows it in place.
    await expect(gw().send(textTo(psid, 'too late?'))).rejects.toMatchObject({ code: status.FAILED_PRECONDITION });
    await page.getByRole('note', { name: 'not delivered' }).filter({ hasText: 'Graph error 10/2018278' }).waitFor();

    await page.getByRole('button', { name: 'Age this conversation: last customer action 8d ago' }).click();
    await windows(page, /Human agent: closed (23 h 5\d min|1 d) ago/);

    // A new message from the customer opens the window again.
    await customerSays(psid, 'me again');
    await windows(page, /Standard window: 23 h 5\d min left/);

    await inbox.conv().pass({ pageId: '1001', recipientId: psid, targetAppId: '263902037430900' });
    await page.getByRole('status', { name: 'Who owns the conversation' }).filter({ hasText: 'Handled by the Page Inbox (a person)' }).waitFor();
    expect(pageErrors).toEqual([]);
  }, 90_000);

  it('a conversation with no customer action says so, and the inbox API serves the windows and refuses a bad age', async () => {
    const psid = '8880002';
    await gw().send(textTo(psid, 'first contact'));
    const page = await open(psid);
    await windows(page, 'no customer action seen yet');
    const inboxUrl = gw().gateway.inbox!.url;
    const bad = await request(`${inboxUrl}/api/windows`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pageId: '1001', psid, ago: 'soon' }) });
    expect(bad.statusCode).toBe(400);
    await bad.body.text();
    const aged = await request(`${inboxUrl}/api/windows`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pageId: '1001', psid, ago: '25h' }) });
    const view = (await aged.body.json()) as { known: boolean; standardWindowEndsAt: number; now: number };
    expect(view.known).toBe(true);
    expect(view.now - view.standardWindowEndsAt).toBe(3_600_000);
    await waitFor(async () => (await page.getByRole('status', { name: 'Messaging windows' }).textContent())?.includes('closed') === true, { what: 'the page to see the age from elsewhere' });
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
