/**
 * A sandbox-mode gateway with its inbox and its webhook (the sandbox's customers reach it), a
 * conversation client, and headless Chromium, for the enclosing describe block (started before
 * its tests, stopped after); `open` shows one conversation of Page 1001, collecting page errors.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { SANDBOX_WEBHOOK } from '../../src/config/gateway-config';
import { launchChromium } from './browser';
import { conversationClient, type ConversationClient } from './conversation-client';
import { startTestGateway, type TestGateway } from './gateway-harness';

export interface InboxInBrowser {
  gw(): TestGateway;
  conv(): ConversationClient;
  /** Opens the inbox on Page 1001's conversation with `psid`, once its heading shows. */
  open(psid: string): Promise<Page>;
  /** Errors thrown in any page opened so far. */
  readonly pageErrors: string[];
}

export function useInboxInBrowser(): InboxInBrowser {
  let gw: TestGateway | undefined;
  let conv: ConversationClient | undefined;
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
  const pageErrors: string[] = [];
  beforeAll(async () => {
    gw = await startTestGateway({ extra: { inbox: { listen: '127.0.0.1:0' }, webhook: { ...SANDBOX_WEBHOOK, listen: '127.0.0.1:0' } } });
    conv = conversationClient(gw.target);
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    conv?.close();
    await gw?.close();
  });
  return {
    gw: () => gw!,
    conv: () => conv!,
    pageErrors,
    open: async (psid) => {
      const page = await browser!.context.newPage();
      page.on('pageerror', (e) => pageErrors.push(e.message));
      await page.goto(`${gw!.gateway.inbox!.url}/#${encodeURIComponent(`1001/${psid}`)}`);
      await page.getByRole('heading', { name: `Page 1001 and ${psid}` }).waitFor();
      return page;
    },
  };
}
