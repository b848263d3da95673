// An Instagram conversation in the sandbox inbox, in headless Chromium (Debian's, driven by
// playwright-core): the customer is played by `npm run customer -- --instagram` (a message, a story
// reply, a story mention, a shared post, then the unsend of the first message), the account
// replies over gRPC. The inbox draws it as Instagram does: its badge and colours, the story above
// the reply to it, the mention, the post, the unsent message shown as removed.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MessagingType } from '../../gen/messenger/v1/enums';
import { SANDBOX_WEBHOOK } from '../../src/config/gateway-config';
import { DEMO_INSTAGRAM_PAGE_ACCOUNT } from '../../src/sandbox/demo-pages';
import { signBody } from '../../src/webhook/verify-signature';
import { runCli } from '../cli/run-cli';
import { chromiumAvailable, launchChromium } from '../support/browser';
import { startTestGateway, type TestGateway } from '../support/gateway-harness';
import { gradientPng } from '../support/png';

const ROOT = join(__dirname, '../..');
const IGSID = '6152382598190001';
const run = chromiumAvailable();

let gw: TestGateway;
let inboxUrl: string;
let images: Server;
let imageBase: string;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let context: BrowserContext;
const consoleErrors: string[] = [];

/** The page's computed style of an element (test/ compiles without the DOM's types). */
type StyleOf = (e: unknown) => { backgroundImage: string; backgroundColor: string };

/** `npm run customer -- --instagram ...` as its own process; the mid it sent. */
async function customer(...args: string[]): Promise<string> {
  const r = await runCli(['customer', '--instagram', '--from', IGSID, '--webhook', gw.gateway.webhookUrl!, ...args]);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { mid: string }).mid;
}

/** The same through the inbox's customer API (what the page itself calls), quicker than a process. */
async function customerApi(action: Record<string, unknown>): Promise<void> {
  const res = await request(`${inboxUrl}/api/customer/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pageId: DEMO_INSTAGRAM_PAGE_ACCOUNT, psid: IGSID, instagram: true, ...action }) });
  const text = await res.body.text();
  expect(res.statusCode, text).toBe(200);
}

describe.skipIf(!run)('an Instagram conversation in the inbox (Chromium)', () => {
  beforeAll(async () => {
    images = createServer((req, res) => {
      const png = gradientPng(270, 480, [250, 120, 30], [150, 47, 191]);
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length, 'cache-control': 'no-store' }).end(png);
    });
    await new Promise<void>((resolve) => images.listen(0, '127.0.0.1', resolve));
    imageBase = `http://127.0.0.1:${(images.address() as AddressInfo).port}`;
    gw = await startTestGateway({ extra: { inbox: { listen: '127.0.0.1:0' }, webhook: { ...SANDBOX_WEBHOOK, listen: '127.0.0.1:0' } } });
    inboxUrl = gw.gateway.inbox!.url;
    browser = await launchChromium();
    context = browser.context;
    context.setDefaultTimeout(8_000);
  });

  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await new Promise((resolve) => images?.close(resolve));
  });

  async function newPage(width = 1280, height = 900): Promise<Page> {
    const page = await context.newPage();
    await page.setViewportSize({ width, height });
    page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
    return page;
  }

  it('draws the story reply above the message, the mention, the shared post, the reply, and the unsent message as removed', async () => {
    const page = await newPage();
    await page.goto(inboxUrl);
    await page.getByRole('status').filter({ hasText: 'live' }).waitFor();

    const first = await customer('--text', 'Do you ship to Lisbon?');
    await customerApi({ text: 'Love this look!', storyReply: { id: '17989024561234567', url: `${imageBase}/story.png` } });
    // A story that no longer renders (expired, deleted): a placeholder, as Meta asks.
    await customerApi({ storyMention: { url: 'http://127.0.0.1:9/expired-story.jpg' } });
    await customerApi({ sharedPost: { id: '18139494541428835', url: `${imageBase}/post.png`, title: 'Our spring collection' } });
    // The account answers through the same SendMessage, with page_id the Instagram account.
    await gw.send({ pageId: DEMO_INSTAGRAM_PAGE_ACCOUNT, recipient: { identifier: { $case: 'id', value: IGSID } }, messagingType: MessagingType.MESSAGING_TYPE_RESPONSE, message: { content: { $case: 'text', value: 'Yes, we ship to Lisbon!' } } });

    const entry = page.getByRole('button', { name: new RegExp(`Instagram ${DEMO_INSTAGRAM_PAGE_ACCOUNT} · ${IGSID}`) });
    await entry.click();
    const section = page.getByRole('region', { name: `Conversation of Instagram account ${DEMO_INSTAGRAM_PAGE_ACCOUNT} and ${IGSID}` });
    await section.waitFor();
    expect(await section.getAttribute('class')).toContain('instagram');
    expect(await section.getByLabel('Instagram').count()).toBe(1);
    const log = page.getByRole('log', { name: 'Messages' });
    await log.getByText('Yes, we ship to Lisbon!').waitFor();
    await log.getByText('Do you ship to Lisbon?').waitFor();

    // The story reply: the story (loaded from its URL) drawn above the message.
    const reply = log.getByRole('listitem').filter({ hasText: 'Love this look!' });
    const story = reply.getByRole('img', { name: 'your story' });
    await expect.poll(() => story.evaluate((i) => (i as unknown as { complete: boolean; naturalWidth: number }).naturalWidth)).toBeGreaterThan(0);
    const [storyBox, textBox] = await Promise.all([story.boundingBox(), reply.getByText('Love this look!').boundingBox()]);
    expect(storyBox!.y + storyBox!.height).toBeLessThanOrEqual(textBox!.y);
    expect(await reply.getByText('Replied to your story').count()).toBe(1);

    // The mention: its story no longer renders, so the placeholder shows.
    const mention = log.getByLabel('mentioned you in their story');
    await mention.getByRole('img', { name: 'their story: no longer available' }).waitFor();
    // The shared post, with its caption.
    const post = log.getByLabel('shared post', { exact: true });
    expect(await post.getByText('Our spring collection').count()).toBe(1);

    // Instagram's colours: the customer's bubbles in Instagram's purple gradient, the account's in grey.
    const customerBubble = log.getByText('Do you ship to Lisbon?');
    expect(await customerBubble.evaluate((e) => (globalThis as unknown as { getComputedStyle: StyleOf }).getComputedStyle(e).backgroundImage)).toContain('linear-gradient');
    expect(await log.getByText('Yes, we ship to Lisbon!').evaluate((e) => (globalThis as unknown as { getComputedStyle: StyleOf }).getComputedStyle(e).backgroundColor)).toBe('rgb(239, 239, 239)');

    // The unsend: the message's text is gone from the inbox, the trace that it was unsent stays.
    await customer('--unsend', first);
    await log.getByLabel('unsent message').waitFor();
    expect(await log.getByText('Do you ship to Lisbon?').count()).toBe(0);
    await expect.poll(() => entry.textContent()).toContain('Yes, we ship to Lisbon!');

    const dir = process.env.UPDATE_SCREENSHOTS ? join(ROOT, 'docs/screenshots') : mkdtempSync(join(tmpdir(), 'inbox-shots-'));
    mkdirSync(dir, { recursive: true });
    // Tall enough for the whole conversation, the unsent message at the top included.
    await page.setViewportSize({ width: 1280, height: 1280 });
    const shot = await page.screenshot({ path: join(dir, 'inbox-instagram.png') });
    expect(shot.subarray(1, 4).toString()).toBe('PNG');
    await page.close();
    expect(consoleErrors).toEqual([]);
  }, 60_000);

  it('a story URL that is no http(s) URL (javascript:, data:) is never drawn: the placeholder shows', async () => {
    const psid = '6152382598190002';
    const item = (message: string) => `{"sender":{"id":"${psid}"},"recipient":{"id":"${DEMO_INSTAGRAM_PAGE_ACCOUNT}"},"timestamp":${Date.now()},"message":${message}}`;
    const body = Buffer.from(`{"object":"instagram","entry":[{"id":"${DEMO_INSTAGRAM_PAGE_ACCOUNT}","time":1,"messaging":[${[
      item('{"mid":"aWdfX1","attachments":[{"type":"story_mention","payload":{"url":"javascript:alert(1)"}}]}'),
      item('{"mid":"aWdfX2","text":"look","reply_to":{"story":{"id":"1","url":"data:image/svg+xml,<svg xmlns=\\"http://www.w3.org/2000/svg\\" onload=\\"alert(1)\\"/>"}}}'),
    ].join(',')}]}]}`);
    const posted = await request(gw.gateway.webhookUrl!, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(body, SANDBOX_WEBHOOK.appSecret) } });
    expect(posted.statusCode, await posted.body.text()).toBe(200);
    const page = await newPage();
    let dialogs = 0;
    page.on('dialog', (d) => {
      dialogs++;
      void d.dismiss();
    });
    await page.goto(`${inboxUrl}/#${encodeURIComponent(`${DEMO_INSTAGRAM_PAGE_ACCOUNT}/${psid}`)}`);
    const log = page.getByRole('log', { name: 'Messages' });
    await log.getByRole('img', { name: 'their story: no longer available' }).waitFor();
    await log.getByRole('img', { name: 'your story: no longer available' }).waitFor();
    expect(await log.locator('img[src^="javascript:"], img[src^="data:"]').count()).toBe(0);
    expect(dialogs).toBe(0);
    await page.close();
  }, 30_000);

  it('a Messenger conversation keeps Messenger\'s look', async () => {
    await runCli(['customer', '--page', '1001', '--from', '424242', '--text', 'hello from Messenger', '--webhook', gw.gateway.webhookUrl!]);
    const page = await newPage();
    await page.goto(`${inboxUrl}/#${encodeURIComponent('1001/424242')}`);
    const section = page.getByRole('region', { name: 'Conversation of Page 1001 and 424242' });
    await section.waitFor();
    expect(await section.getAttribute('class')).not.toContain('instagram');
    expect(await section.getByLabel('Instagram').count()).toBe(0);
    const bubble = page.getByRole('log', { name: 'Messages' }).getByText('hello from Messenger');
    expect(await bubble.evaluate((e) => (globalThis as unknown as { getComputedStyle: StyleOf }).getComputedStyle(e).backgroundImage)).toBe('none');
    await page.close();
  }, 30_000);
});
