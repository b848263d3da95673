// The sandbox inbox in headless Chromium (Debian's, driven by playwright-core): messages sent over
// gRPC appear on the page, live; replies typed or tapped there reach a StreamEvents consumer; a
// chaos switch makes the next send fail. Screenshots at phone and desktop widths
// (UPDATE_SCREENSHOTS=1 writes them to docs/screenshots/ for the README).
import { credentials, type ClientDuplexStream } from '@grpc/grpc-js';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaType, MessageTag, MessagingType, SenderAction } from '../../gen/messenger/v1/enums';
import { EventServiceClient, StartPosition, Subscribe, type StreamEventsRequest, type StreamEventsResponse } from '../../gen/messenger/v1/events';
import { QuickReply_ContentType, type Message } from '../../gen/messenger/v1/message';
import type { DeepPartial, SendMessageRequest } from '../../gen/messenger/v1/service';
import { FeedbackQuestion_QuestionType, MediaElement_MediaKind, UtilityComponent_ComponentType, type Template } from '../../gen/messenger/v1/template';
import { SANDBOX_WEBHOOK } from '../../src/config/gateway-config';
import { chromiumAvailable, launchChromium } from '../support/browser';
import { runCli } from '../cli/run-cli';
import { grpcError, startTestGateway, type TestGateway } from '../support/gateway-harness';
import { gradientPng } from '../support/png';
import { withDeadline } from '../support/wait-for';

const ROOT = join(__dirname, '../..');
const PAGE_ID = '1001';
const run = chromiumAvailable();

let gw: TestGateway;
let inboxUrl: string;
let images: Server;
let imageBase: string;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let context: BrowserContext;
const consoleErrors: string[] = [];

/** A Page send to `psid` with `message`. */
function to(psid: string, message: DeepPartial<Message>, rest: DeepPartial<SendMessageRequest> = {}): DeepPartial<SendMessageRequest> {
  return { pageId: PAGE_ID, recipient: { identifier: { $case: 'id', value: psid } }, messagingType: MessagingType.MESSAGING_TYPE_RESPONSE, message, ...rest };
}
const text = (value: string): DeepPartial<Message> => ({ content: { $case: 'text', value } });
const template = (value: DeepPartial<Template>): DeepPartial<Message> => ({ content: { $case: 'attachment', value: { kind: { $case: 'template', value } } } });
const media = (type: MediaType, url: string): DeepPartial<Message> => ({ content: { $case: 'attachment', value: { kind: { $case: 'media', value: { type, source: { $case: 'url', value: url } } } } } });

async function newPage(width = 1280, height = 900): Promise<Page> {
  const page = await context.newPage();
  await page.setViewportSize({ width, height });
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') consoleErrors.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
  return page;
}

/** Opens the inbox on one conversation (by its URL hash) and waits for the event stream. */
async function openConversation(page: Page, psid: string): Promise<void> {
  await page.goto(`${inboxUrl}/#${encodeURIComponent(`${PAGE_ID}/${psid}`)}`);
  await page.getByRole('status').filter({ hasText: 'live' }).waitFor();
  await page.getByRole('heading', { name: `Page ${PAGE_ID} and ${psid}` }).waitFor();
}

/** A StreamEvents consumer of its own group, from the earliest event. */
function consumer(): { responses: StreamEventsResponse[]; next(pred: (r: StreamEventsResponse) => boolean): Promise<StreamEventsResponse>; close(): void } {
  const client = new EventServiceClient(gw.target, credentials.createInsecure());
  const call: ClientDuplexStream<StreamEventsRequest, StreamEventsResponse> = client.streamEvents();
  const responses: StreamEventsResponse[] = [];
  const waiters: { pred: (r: StreamEventsResponse) => boolean; resolve: (r: StreamEventsResponse) => void }[] = [];
  call.on('data', (r: StreamEventsResponse) => {
    responses.push(r);
    if (r.event) call.write({ ack: { eventIds: [r.event.eventId] } });
    for (const w of [...waiters]) if (w.pred(r)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(r);
    }
  });
  call.on('error', () => undefined);
  call.write({ subscribe: Subscribe.fromPartial({ consumerGroup: `inbox-test-${Math.random().toString(36).slice(2)}`, pageIds: [], maxOutstanding: 0, start: StartPosition.START_POSITION_EARLIEST }) });
  return {
    responses,
    next: (pred) => {
      const found = responses.find(pred);
      if (found) return Promise.resolve(found);
      return withDeadline(new Promise((resolve) => waiters.push({ pred, resolve })), 10_000, 'such an event');
    },
    close: () => {
      call.cancel();
      client.close();
    },
  };
}

describe.skipIf(!run)('sandbox inbox in Chromium', () => {
  beforeAll(async () => {
    images = createServer((req, res) => {
      const n = [...(req.url ?? '')].reduce((a, c) => a + c.charCodeAt(0), 0);
      const png = gradientPng(382, 200, [40 + (n % 160), 90, 200 - (n % 120)], [250, 180 + (n % 60), 90]);
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length, 'cache-control': 'no-store' }).end(png);
    });
    await new Promise<void>((resolve) => images.listen(0, '127.0.0.1', resolve));
    imageBase = `http://127.0.0.1:${(images.address() as AddressInfo).port}`;
    gw = await startTestGateway({ extra: { inbox: { listen: '127.0.0.1:0' }, webhook: { ...SANDBOX_WEBHOOK, listen: '127.0.0.1:0' } } });
    inboxUrl = gw.gateway.inbox!.url;
    browser = await launchChromium();
    context = browser.context;
    // A step that cannot happen fails with its locator, well before the test's own timeout.
    context.setDefaultTimeout(8_000);
  });

  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await new Promise((resolve) => images?.close(resolve));
  });

  it('draws each kind of message sent over gRPC: text, media, cards with titles and buttons, chips, labels, typing, seen, reactions', async () => {
    const psid = '7001';
    const page = await newPage();
    // Before the conversation exists: it must appear live, without a reload.
    await page.goto(inboxUrl);
    await page.getByRole('status').filter({ hasText: 'live' }).waitFor();
    const first = await gw.send(to(psid, text('Hi Ada! Your order is on its way.')));
    await page.getByRole('button', { name: new RegExp(`Page ${PAGE_ID} · ${psid}`) }).click();
    await expect.poll(() => page.getByRole('log', { name: 'Messages' }).getByText('Hi Ada! Your order is on its way.').count()).toBe(1);

    await gw.send(to(psid, media(MediaType.MEDIA_TYPE_IMAGE, `${imageBase}/parcel.png`)));
    await gw.send(to(psid, media(MediaType.MEDIA_TYPE_VIDEO, `${imageBase}/unboxing.mp4`)));
    await gw.send(to(psid, media(MediaType.MEDIA_TYPE_AUDIO, `${imageBase}/voice.mp3`)));
    await gw.send(to(psid, media(MediaType.MEDIA_TYPE_FILE, `${imageBase}/invoice-42.pdf`)));
    await gw.send(to(psid, template({
      kind: { $case: 'generic', value: { elements: [
        { title: 'Linen shirt', subtitle: 'Blue, size M', imageUrl: `${imageBase}/shirt.png`, buttons: [
          { kind: { $case: 'postback', value: { title: 'Buy now', payload: 'BUY_SHIRT' } } },
          { kind: { $case: 'webUrl', value: { title: 'View', url: 'https://shop.example/shirt' } } },
        ] },
        { title: 'Straw hat', subtitle: 'One size', imageUrl: `${imageBase}/hat.png`, buttons: [{ kind: { $case: 'postback', value: { title: 'Buy the hat', payload: 'BUY_HAT' } } }] },
      ] } },
    })));
    await gw.send(to(psid, template({ kind: { $case: 'button', value: { text: 'Need anything else?', buttons: [
      { kind: { $case: 'postback', value: { title: 'Talk to a person', payload: 'AGENT' } } },
      { kind: { $case: 'phoneNumber', value: { title: 'Call us', phoneNumber: '+15105551234' } } },
    ] } } })));
    await gw.send(to(psid, template({ kind: { $case: 'media', value: { element: { mediaType: MediaElement_MediaKind.MEDIA_KIND_IMAGE, source: { $case: 'url', value: `${imageBase}/media.png` }, buttons: [{ kind: { $case: 'webUrl', value: { title: 'Open gallery', url: 'https://shop.example/g' } } }] } } } })));
    await gw.send(to(psid, template({ kind: { $case: 'receipt', value: {
      recipientName: 'Ada Lovelace', orderNumber: 'o-42', currency: 'EUR', paymentMethod: 'Visa 2345',
      elements: [{ title: 'Linen shirt', subtitle: 'Blue', quantity: 1, price: 49, currency: 'EUR', imageUrl: `${imageBase}/s.png` }],
      summary: { totalCost: 49 },
    } } })));
    await gw.send(to(psid, template({ kind: { $case: 'coupon', value: { title: '10% off your next order', couponCode: 'SAVE10', subtitle: 'Until Sunday', couponUrl: 'https://shop.example/c', couponUrlButtonTitle: 'Shop' } } })));
    await gw.send(to(psid, template({ kind: { $case: 'customerFeedback', value: {
      title: 'How did we do?', subtitle: 'One question', buttonTitle: 'Rate us', businessPrivacyUrl: 'https://shop.example/privacy',
      feedbackScreens: [{ questions: [{ id: 'q1', type: FeedbackQuestion_QuestionType.QUESTION_TYPE_CSAT, title: 'Your delivery', scoreLabel: 'neg_pos', scoreOption: 'five_stars' }] }],
    } } }), { messagingType: MessagingType.MESSAGING_TYPE_MESSAGE_TAG, tag: MessageTag.MESSAGE_TAG_CUSTOMER_FEEDBACK }));
    await gw.send(to(psid, { content: { $case: 'template', value: { name: 'order_shipped', languageCode: 'en_US', components: [
      { type: UtilityComponent_ComponentType.COMPONENT_TYPE_BODY, parameters: [{ kind: { $case: 'text', value: 'Ada' } }, { kind: { $case: 'text', value: 'o-42' } }] },
    ] } } }, { messagingType: MessagingType.MESSAGING_TYPE_UTILITY }));
    await gw.send(to(psid, text('Ada, a person from our team here.'), {
      messagingType: MessagingType.MESSAGING_TYPE_MESSAGE_TAG, tag: MessageTag.MESSAGE_TAG_HUMAN_AGENT, personaId: '555000111', replyTo: first.messageId,
    }));
    await gw.action({ pageId: PAGE_ID, recipient: { identifier: { $case: 'id', value: psid } }, action: SenderAction.SENDER_ACTION_REACT, payload: { messageId: first.messageId, reaction: '❤️' } });
    await gw.send(to(psid, { content: { $case: 'text', value: 'Was this helpful?' }, quickReplies: [
      { contentType: QuickReply_ContentType.CONTENT_TYPE_TEXT, title: 'Yes', payload: 'HELPFUL_YES', imageUrl: `${imageBase}/yes.png` },
      { contentType: QuickReply_ContentType.CONTENT_TYPE_TEXT, title: 'Not really', payload: 'HELPFUL_NO' },
    ] }));
    await gw.action({ pageId: PAGE_ID, recipient: { identifier: { $case: 'id', value: psid } }, action: SenderAction.SENDER_ACTION_TYPING_ON });

    const log = page.getByRole('log', { name: 'Messages' });
    await page.getByRole('listitem', { name: 'The Page is typing' }).waitFor();
    await expect.poll(() => log.locator('img[src$="parcel.png"]').getAttribute('alt')).toBe('image attachment');
    await expect.poll(() => log.locator('video[src$="unboxing.mp4"]').count()).toBe(1);
    await expect.poll(() => log.locator('audio[src$="voice.mp3"]').count()).toBe(1);
    expect(await log.getByRole('link', { name: /invoice-42\.pdf/ }).count()).toBe(1);
    // The carousel: two cards, each with its image, title, subtitle and buttons.
    const carousel = log.getByRole('group', { name: 'carousel' });
    expect(await carousel.getByRole('article').count()).toBe(2);
    expect(await carousel.getByRole('heading', { name: 'Linen shirt' }).count()).toBe(1);
    expect(await carousel.getByText('Blue, size M').count()).toBe(1);
    expect(await carousel.getByRole('img', { name: 'Straw hat' }).count()).toBe(1);
    expect(await carousel.getByRole('button', { name: 'Buy now' }).count()).toBe(1);
    expect(await carousel.getByRole('link', { name: 'View' }).getAttribute('href')).toBe('https://shop.example/shirt');
    expect(await log.getByRole('article', { name: 'button template' }).getByRole('button', { name: 'Talk to a person' }).count()).toBe(1);
    expect(await log.getByRole('link', { name: 'Call us' }).getAttribute('href')).toBe('tel:+15105551234');
    expect(await log.getByRole('article', { name: 'media template' }).getByRole('link', { name: 'Open gallery' }).count()).toBe(1);
    const receipt = log.getByRole('article', { name: 'receipt' });
    expect(await receipt.getByText('o-42').count()).toBe(1);
    expect(await receipt.getByText('Ada Lovelace').count()).toBe(1);
    expect(await log.getByRole('article', { name: 'coupon' }).getByText('SAVE10').count()).toBe(1);
    expect(await log.getByRole('article', { name: 'customer feedback' }).getByRole('heading', { name: 'How did we do?' }).count()).toBe(1);
    expect(await log.getByRole('article', { name: 'utility template' }).getByRole('heading', { name: 'order_shipped' }).count()).toBe(1);
    expect(await log.getByText('Persona 555000111').count()).toBe(1);
    expect(await log.getByText('tag HUMAN_AGENT').count()).toBe(1);
    expect(await log.getByText('tag CUSTOMER_FEEDBACK').count()).toBe(1);
    expect(await log.getByText('utility', { exact: true }).count()).toBe(1);
    expect(await log.getByRole('blockquote').or(log.locator('blockquote')).first().textContent()).toContain('Hi Ada! Your order is on its way.');
    expect(await log.getByRole('img', { name: 'reaction ❤️' }).count()).toBe(1);
    // Quick replies as chips under the last message, in the order sent.
    const chips = page.getByRole('group', { name: 'quick replies' }).getByRole('button');
    expect(await chips.allTextContents()).toEqual(['Yes', 'Not really']);
    // Every image loaded (none broken).
    await expect.poll(() => page.locator('img').evaluateAll((imgs) => imgs.every((i) => (i as unknown as { complete: boolean; naturalWidth: number }).complete && (i as unknown as { naturalWidth: number }).naturalWidth > 0))).toBe(true);

    // mark_seen: the customer's side shows it.
    await gw.action({ pageId: PAGE_ID, recipient: { identifier: { $case: 'id', value: psid } }, action: SenderAction.SENDER_ACTION_MARK_SEEN });
    await page.getByText('Seen', { exact: true }).waitFor();
    await page.close();
  });

  it('a reply typed in the inbox reaches a StreamEvents consumer, and the conversation shows it', async () => {
    const psid = '7002';
    await gw.send(to(psid, text('Hello! How can we help?')));
    const events = consumer();
    try {
      const page = await newPage();
      await openConversation(page, psid);
      const box = page.getByRole('textbox', { name: 'Reply as the customer' });
      await box.fill('Where is my parcel?');
      await box.press('Enter');
      const r = await events.next((x) => x.event?.kind?.$case === 'message' && x.event.senderId === psid);
      expect(r.event).toMatchObject({ pageId: PAGE_ID, senderId: psid, recipientId: PAGE_ID });
      expect(r.event?.kind?.$case === 'message' && r.event.kind.value.text).toBe('Where is my parcel?');
      expect(r.deliveryAttempt).toBe(1);
      const bubble = page.getByRole('log', { name: 'Messages' }).getByRole('listitem').filter({ hasText: 'Where is my parcel?' });
      await bubble.waitFor();
      expect(await bubble.getAttribute('class')).toContain('from-customer');
      await expect.poll(() => box.inputValue()).toBe('');
      await page.close();
    } finally {
      events.close();
    }
  });

  it('a tapped quick reply carries its payload, a tapped postback button its postback, to StreamEvents', async () => {
    const psid = '7003';
    await gw.send(to(psid, template({ kind: { $case: 'button', value: { text: 'Shall we start?', buttons: [{ kind: { $case: 'postback', value: { title: 'Get started', payload: 'GET_STARTED' } } }] } } })));
    await gw.send(to(psid, { content: { $case: 'text', value: 'Pick a size' }, quickReplies: [
      { contentType: QuickReply_ContentType.CONTENT_TYPE_TEXT, title: 'Small', payload: 'SIZE_S' },
      { contentType: QuickReply_ContentType.CONTENT_TYPE_TEXT, title: 'Large', payload: 'SIZE_L' },
    ] }));
    const events = consumer();
    try {
      const page = await newPage();
      await openConversation(page, psid);
      // Keyboard: Tab to the chip and press Enter.
      const chip = page.getByRole('group', { name: 'quick replies' }).getByRole('button', { name: 'Large' });
      await chip.focus();
      await page.keyboard.press('Enter');
      const qr = await events.next((x) => x.event?.senderId === psid && x.event.kind?.$case === 'message');
      expect(qr.event?.kind?.$case === 'message' && qr.event.kind.value).toMatchObject({ text: 'Large', quickReplyPayload: 'SIZE_L' });
      await page.getByText('quick reply SIZE_L').waitFor();
      // After the customer's answer the chips are gone, as in Messenger.
      await expect.poll(() => page.getByRole('group', { name: 'quick replies' }).count()).toBe(0);

      await page.getByRole('button', { name: 'Get started' }).click();
      const pb = await events.next((x) => x.event?.senderId === psid && x.event.kind?.$case === 'postback');
      expect(pb.event?.kind?.$case === 'postback' && pb.event.kind.value).toMatchObject({ title: 'Get started', payload: 'GET_STARTED' });
      await page.getByText('postback GET_STARTED').waitFor();
      await page.close();
    } finally {
      events.close();
    }
  });

  it('a chaos switch makes the next send fail with its Graph code, shown in place with the gRPC status; then sends succeed again', async () => {
    const psid = '7004';
    await gw.send(to(psid, text('Before the chaos')));
    const page = await newPage();
    await openConversation(page, psid);
    await page.getByText(`Chaos for page ${PAGE_ID}`).click();
    const form = page.getByRole('form', { name: `Chaos switchboard for page ${PAGE_ID}` });
    await form.getByLabel('Graph error').selectOption({ label: '551 person unavailable' });
    await form.getByLabel('for the next sends').fill('1');
    await form.getByRole('button', { name: 'Arm' }).click();
    await page.getByRole('status').filter({ hasText: 'the next 1 send fail with Graph error 551' }).waitFor();

    const err = await grpcError(gw.send(to(psid, text('This one is refused'))));
    expect(err.code).toBe(9); // FAILED_PRECONDITION
    expect(err.details).toContain('551');
    const refused = page.getByRole('note', { name: 'not delivered' });
    await refused.waitFor();
    expect(await refused.textContent()).toMatch(/Graph error 551.*FAILED_PRECONDITION \(RECIPIENT_UNAVAILABLE\)/);
    expect(await refused.textContent()).toContain('chaos');
    await page.getByRole('status').filter({ hasText: 'Off' }).waitFor();

    // Used up: the next send goes through; magic recipients still work meanwhile.
    await expect(gw.send(to(psid, text('After the chaos')))).resolves.toMatchObject({ recipientId: psid });
    const magic = await grpcError(gw.send(to('error-10-1893063', text('restricted'))));
    expect(magic.details).toContain('10/1893063');

    // Subcode 1893063 from the switchboard, through the JSON API this time.
    const put = await fetch(`${inboxUrl}/api/chaos/${PAGE_ID}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ failNext: { count: 1, code: 10, subcode: 1893063 } }) });
    expect(put.status).toBe(200);
    const restricted = await grpcError(gw.send(to(psid, text('restricted by chaos'))));
    expect(restricted.code).toBe(7); // PERMISSION_DENIED
    expect(restricted.details).toContain('10/1893063');
    await expect.poll(() => page.getByRole('note', { name: 'not delivered' }).count()).toBe(2);
    await page.close();
  });

  it('a customer played by `npm run customer` (a signed webhook straight to the listener) and the bot\'s reply both appear, in order', async () => {
    const psid = '7005';
    const page = await newPage();
    await page.goto(inboxUrl);
    await page.getByRole('status').filter({ hasText: 'live' }).waitFor();
    // What `npm run customer` runs, against this gateway's listener.
    const customer = await runCli(['customer', '--webhook', gw.gateway.webhookUrl!, '--page', PAGE_ID, '--from', psid, '--text', 'Is my parcel on its way?']);
    expect(customer.code, customer.stderr).toBe(0);
    const mid = (JSON.parse(customer.stdout) as { mid: string }).mid;
    // The conversation appears live from the customer's message alone.
    await page.getByRole('button', { name: new RegExp(`Page ${PAGE_ID} · ${psid}`) }).click();
    const log = page.getByRole('log', { name: 'Messages' });
    await log.getByText('Is my parcel on its way?').waitFor();
    // The bot answers it, quoting it, and reacts to it: the sandbox knows the customer's message.
    await gw.send(to(psid, text('Yes: it ships today.'), { replyTo: mid }));
    await gw.action({ pageId: PAGE_ID, recipient: { identifier: { $case: 'id', value: psid } }, action: SenderAction.SENDER_ACTION_REACT, payload: { messageId: mid, reaction: '👍' } });
    await log.getByRole('img', { name: 'reaction 👍' }).waitFor();
    const bubbles = log.getByRole('listitem').filter({ has: page.locator('.bubble-text') });
    expect(await bubbles.evaluateAll((items) => items.map((i) => `${i.className.includes('from-customer') ? 'customer' : 'page'}: ${i.querySelector('.bubble-text')?.textContent ?? ''}`)))
      .toEqual(['customer: Is my parcel on its way?', 'page: Yes: it ships today.']);
    await page.close();
  });

  it('the README\'s image example, run as written against this inbox, draws the sandbox\'s demo image', async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const line = readme.split('\n').find((l) => l.startsWith('npm run send -- ') && l.includes('--image'));
    expect(line).toContain('http://127.0.0.1:8025/_sandbox/demo/cat.png');
    // The README's words, split as the shell splits them (only double quotes are used there).
    const words = line!.replace(/^npm run send -- /, '').match(/"[^"]*"|\S+/g)!.map((w) => w.replace(/^"|"$/g, ''));
    const args = words.map((w) => w.replace('http://127.0.0.1:8025', inboxUrl).replace(/^123$/, '7006'));
    const r = await runCli(['send', '--target', gw.target, ...args]);
    expect(r.code, r.stderr).toBe(0);
    const page = await newPage();
    await openConversation(page, '7006');
    const img = page.getByRole('log', { name: 'Messages' }).locator('img[src$="/_sandbox/demo/cat.png"]');
    await expect.poll(() => img.evaluate((i) => (i as unknown as { complete: boolean; naturalWidth: number }).complete && (i as unknown as { naturalWidth: number }).naturalWidth)).toBe(240);
    await page.close();
  });

  it('shows "loading" until the first answer of its conversation list, never "no conversations" before it', async () => {
    const page = await newPage();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/api/conversations', async (route) => {
      await held;
      await route.continue();
    });
    await page.goto(inboxUrl);
    await page.getByText('Loading conversations…').waitFor();
    expect(await page.getByText('No conversations yet').count()).toBe(0);
    release();
    await page.getByRole('navigation', { name: 'Conversations' }).getByRole('button', { name: /Page 1001 · 7001/ }).waitFor();
    expect(await page.getByText('Loading conversations…').count()).toBe(0);
    await page.close();
  });

  it('the chaos panel fits a 390 px phone: no horizontal overflow with it open', async () => {
    const phone = await newPage(390, 844);
    await openConversation(phone, '7004');
    await phone.getByText(`Chaos for page ${PAGE_ID}`).click();
    await phone.getByRole('form', { name: `Chaos switchboard for page ${PAGE_ID}` }).waitFor();
    expect(await phone.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    // Nothing of the panel is cut off by a container that hides its overflow either.
    const form = phone.getByRole('form', { name: `Chaos switchboard for page ${PAGE_ID}` });
    expect(await form.evaluate((f) => [f, ...f.querySelectorAll('*')].filter((e) => e.getBoundingClientRect().right > 390).map((e) => e.tagName))).toEqual([]);
    const dir = process.env.UPDATE_SCREENSHOTS ? join(ROOT, 'docs/screenshots') : mkdtempSync(join(tmpdir(), 'inbox-shots-'));
    await phone.screenshot({ path: join(dir, 'inbox-phone-chaos.png') });
    await phone.close();
  });

  it('screenshots at phone width (390) and desktop width (1280)', async () => {
    const dir = process.env.UPDATE_SCREENSHOTS ? join(ROOT, 'docs/screenshots') : mkdtempSync(join(tmpdir(), 'inbox-shots-'));
    mkdirSync(dir, { recursive: true });
    const desktop = await newPage(1280, 860);
    await openConversation(desktop, '7001');
    await desktop.getByRole('group', { name: 'carousel' }).waitFor();
    await desktop.getByRole('group', { name: 'carousel' }).evaluate((e) => e.scrollIntoView({ block: 'start' }));
    const d = await desktop.screenshot({ path: join(dir, 'inbox-desktop.png') });
    expect(d.subarray(1, 4).toString()).toBe('PNG');
    await desktop.close();
    const phone = await newPage(390, 844);
    await openConversation(phone, '7001');
    await phone.getByRole('button', { name: 'Back to the conversations' }).waitFor();
    await phone.getByRole('textbox', { name: 'Reply as the customer' }).evaluate((e) => e.scrollIntoView({ block: 'end' }));
    await phone.locator('.log').evaluate((e) => (e.scrollTop = e.scrollHeight));
    const p = await phone.screenshot({ path: join(dir, 'inbox-phone.png') });
    expect(p.subarray(1, 4).toString()).toBe('PNG');
    // On a phone the list is one tap away.
    await phone.getByRole('button', { name: 'Back to the conversations' }).click();
    await phone.getByRole('navigation', { name: 'Conversations' }).getByRole('button', { name: /Page 1001 · 7004/ }).waitFor();
    await phone.screenshot({ path: join(dir, 'inbox-phone-list.png') });
    await phone.close();
  });

  it('logged no console error or warning, and threw no page error, on any page', () => {
    expect(consoleErrors).toEqual([]);
  });
});
