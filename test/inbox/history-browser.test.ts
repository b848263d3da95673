// The inbox marks backfilled messages as history, in headless Chromium: a conversation's past
// messages (seeded on the sandbox, backfilled through the gateway) shown oldest first, each with
// the "history" label, then the customer's live message without it.
import type { Page } from 'playwright-core';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackfillState } from '../../gen/messenger/v1/history';
import { SANDBOX_WEBHOOK } from '../../src/config/gateway-config';
import { chromiumAvailable, launchChromium } from '../support/browser';
import { startTestGateway, type TestGateway } from '../support/gateway-harness';
import { waitFor } from '../support/wait-for';
import { historyClient, type HistoryClient } from '../history/history-client';

const run = chromiumAvailable();
let gw: TestGateway;
let history: HistoryClient;
let browser: Awaited<ReturnType<typeof launchChromium>>;
const pageErrors: string[] = [];

describe.skipIf(!run)('the inbox shows past messages marked as history', () => {
  beforeAll(async () => {
    gw = await startTestGateway({ extra: { inbox: { listen: '127.0.0.1:0' }, webhook: { ...SANDBOX_WEBHOOK, listen: '127.0.0.1:0' } } });
    history = historyClient(gw.target);
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    history?.close();
    await gw?.close();
  });

  const post = async (path: string, body: object): Promise<void> => {
    const res = await request(`${gw.sandbox!.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
  };

  it('three backfilled messages labelled history, oldest first, then the live one without the label', async () => {
    const psid = '7780001';
    await post('/_sandbox/history', { pageId: '1001', psid, count: 3 });
    const { backfillId } = await history.backfillConversation({ pageId: '1001', personId: psid });
    await waitFor(async () => ((await history.backfillStatus({ pageId: '1001', backfillId })).state === BackfillState.BACKFILL_STATE_DONE ? true : undefined), { what: 'the backfill', timeoutMs: 30_000 });
    await post('/_sandbox/customer/messages', { pageId: '1001', psid, text: 'and now?' });

    const page: Page = await browser.context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${gw.gateway.inbox!.url}/#${encodeURIComponent(`1001/${psid}`)}`);
    await page.getByRole('heading', { name: `Page 1001 and ${psid}` }).waitFor();
    const items = page.locator('li.item');
    await items.filter({ hasText: 'and now?' }).waitFor();
    const shown = await items.evaluateAll((els) => els.map((el) => ({ text: el.textContent ?? '', history: el.querySelector('.label.historical')?.textContent ?? '' })));
    expect(shown).toHaveLength(4);
    expect(shown.map((s) => s.history)).toEqual(['history', 'history', 'history', '']);
    expect(shown[0]!.text).toContain('Customer #1: ');
    expect(shown[1]!.text).toContain('Page #2: ');
    expect(shown[2]!.text).toContain('Customer #3: ');
    expect(shown[3]!.text).toContain('and now?');
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
