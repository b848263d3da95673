// The inbox draws what clients sent, refused sends included. A send the fake Graph refuses
// (a `javascript:` URL) still reaches the inbox as a refused send: in Chromium, only http:,
// https: and tel: URLs become links; everything else is shown as text.
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium } from '../support/browser';
import { startTestGateway, type TestGateway } from '../support/gateway-harness';

const run = chromiumAvailable();
let gw: TestGateway;
let browser: Awaited<ReturnType<typeof launchChromium>>;

/** A send straight to the fake Graph, as any local client may make it; resolves with its HTTP status. */
async function sendToSandbox(psid: string, message: unknown): Promise<number> {
  const res = await request(`${gw.sandbox!.url}/v25.0/1001/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer t' },
    body: JSON.stringify({ recipient: { id: psid }, messaging_type: 'RESPONSE', message }),
  });
  await res.body.text();
  return res.statusCode;
}

const buttons = (list: unknown[]) => ({ attachment: { type: 'template', payload: { template_type: 'button', text: 'Pick one', buttons: list } } });

describe.skipIf(!run)('inbox links in Chromium', () => {
  beforeAll(async () => {
    gw = await startTestGateway({ extra: { inbox: { listen: '127.0.0.1:0' } } });
    browser = await launchChromium();
    browser.context.setDefaultTimeout(8_000);
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
  });

  it('links only http:, https: and tel: URLs; javascript:, data: and vbscript: ones stay text', async () => {
    const psid = '8801';
    // Refused by the fake Graph (as by Graph), and shown in the inbox as refused sends.
    expect(await sendToSandbox(psid, buttons([{ type: 'web_url', title: 'Evil button', url: 'javascript:alert(document.domain)' }]))).toBe(400);
    expect(await sendToSandbox(psid, buttons([{ type: 'web_url', title: 'Data button', url: 'data:text/html,<script>alert(1)</script>' }]))).toBe(400);
    await sendToSandbox(psid, { attachment: { type: 'file', payload: { url: 'javascript:alert(2)//evil.pdf' } } });
    await sendToSandbox(psid, { attachment: { type: 'template', payload: { template_type: 'coupon', title: 'Deal', coupon_code: 'X', coupon_url: 'vbscript:msgbox(1)', coupon_url_button_title: 'Evil coupon' } } });
    // Accepted sends with good links.
    expect(await sendToSandbox(psid, buttons([
      { type: 'web_url', title: 'Good link', url: 'https://shop.example/item' },
      { type: 'phone_number', title: 'Call us', payload: '+15105551234' },
    ]))).toBe(200);

    const page = await browser.context.newPage();
    await page.goto(`${gw.gateway.inbox!.url}/#${encodeURIComponent(`1001/${psid}`)}`);
    const log = page.getByRole('log', { name: 'Messages' });
    await log.getByText('Good link').waitFor();
    await log.getByText('Evil button').waitFor();
    await log.getByText('Evil coupon').waitFor();

    const hrefs = await page.locator('a[href]').evaluateAll((links) => links.map((a) => a.getAttribute('href') ?? ''));
    expect(hrefs).toContain('https://shop.example/item');
    expect(hrefs).toContain('tel:+15105551234');
    for (const href of hrefs) expect(href, href).toMatch(/^(https?:|tel:|#|\/)/);
    for (const name of ['Evil button', 'Data button', 'Evil coupon']) {
      expect(await log.getByRole('link', { name }).count(), name).toBe(0);
      expect(await log.getByText(name).count(), name).toBeGreaterThan(0);
    }
    await page.close();
  });
});
