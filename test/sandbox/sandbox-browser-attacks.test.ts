// The two attacks on the sandbox from a web page, played by a real browser: Chromium resolves
// evil.example to 127.0.0.1 (as a site that rebinds its name to loopback does). A page of that
// site posts a form to the fake Graph (a "simple" request, no preflight), and, served from the
// sandbox's own port under its own name, calls the customer API same-origin to have a webhook
// signed with the app secret.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_WEBHOOK } from '../../src/config/gateway-config';
import { chromiumAvailable, launchChromium } from '../support/browser';
import { startTestGateway, type TestGateway } from '../support/gateway-harness';

const run = chromiumAvailable();
let gw: TestGateway;
let evil: Server;
let evilPort: number;
let browser: Awaited<ReturnType<typeof launchChromium>>;

describe.skipIf(!run)('a web page against the sandbox, in Chromium', () => {
  beforeAll(async () => {
    // With a webhook listener: the customer API would sign for whoever reaches it.
    gw = await startTestGateway({ extra: { inbox: { listen: '127.0.0.1:0' }, webhook: { ...SANDBOX_WEBHOOK, listen: '127.0.0.1:0' } } });
    const target = `${gw.sandbox!.url}/v25.0/1001/messages`;
    // The attacker's page: a form that posts itself to the fake Graph as soon as it loads.
    evil = createServer((_req, res) => {
      const html = `<!doctype html><form id="f" method="POST" action="${target}" enctype="application/x-www-form-urlencoded">
        <input name="recipient" value='{"id":"csrf-browser"}'><input name="messaging_type" value="RESPONSE">
        <input name="message" value='{"text":"injected from another site"}'><input name="access_token" value="t"></form>
        <script>document.getElementById('f').submit()</script>`;
      res.writeHead(200, { 'content-type': 'text/html' }).end(html);
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    evilPort = (evil.address() as AddressInfo).port;
    browser = await launchChromium(['--host-resolver-rules=MAP evil.example 127.0.0.1']);
    browser.context.setDefaultTimeout(8_000);
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await new Promise((resolve) => evil?.close(resolve));
  });

  it("a cross-origin form POST is refused (403) and injects no conversation", async () => {
    const page = await browser.context.newPage();
    const posted = page.waitForResponse((r) => r.url().startsWith(gw.sandbox!.url) && r.request().method() === 'POST');
    await page.goto(`http://evil.example:${evilPort}/`);
    const answer = await posted;
    expect(answer.request().headers().origin ?? (await answer.request().allHeaders()).origin).toBe(`http://evil.example:${evilPort}`);
    expect(answer.status()).toBe(403);
    const inbox = await request(`${gw.gateway.inbox!.url}/api/conversations`);
    expect(await inbox.body.text()).not.toContain('csrf-browser');
    await page.close();
  });

  it('after rebinding, the sandbox answers its own port under the foreign name with 421: no webhook is signed', async () => {
    const page = await browser.context.newPage();
    const { port } = new URL(gw.sandbox!.url);
    const landing = await page.goto(`http://evil.example:${port}/`);
    // Same-origin for the page now: JSON needs no preflight.
    const status = await page.evaluate(async () => {
      const res = await fetch('/_sandbox/customer/messages', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pageId: '1001', psid: 'rebound-browser', text: 'signed for evil' }) });
      return res.status;
    });
    expect(status).toBe(421);
    const inbox = await request(`${gw.gateway.inbox!.url}/api/conversations`);
    expect(await inbox.body.text()).not.toContain('rebound-browser');
    expect(landing?.status()).toBe(421);
    await page.close();
  });
});
