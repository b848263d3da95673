// The sandbox-mode gateway with no account configured: its two demo Instagram accounts, one per
// way in, send on their hosts, and the Instagram Login one's token is refreshed at start.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_INSTAGRAM_LOGIN_ACCOUNT, DEMO_INSTAGRAM_PAGE_ACCOUNT, DEMO_INSTAGRAM_TOKEN } from '../../src/sandbox/demo-pages';
import { startTestGateway, textTo, type TestGateway } from '../support/gateway-harness';
import { waitFor } from '../support/wait-for';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw.close());

describe('demo Instagram accounts', () => {
  it('the Instagram Login account: its token refreshed at start at the sandbox, then sent on the Instagram host', async () => {
    await waitFor(() => gw.gateway.tokens.tokens()[0]?.refreshes === 1, { what: 'the refresh at start' });
    const refresh = gw.sandbox!.received.find((r) => r.path === '/instagram/refresh_access_token')!;
    expect(refresh.headers.authorization).toBe(`Bearer ${DEMO_INSTAGRAM_TOKEN}`);
    await gw.send(textTo('4242', 'hello from the demo', DEMO_INSTAGRAM_LOGIN_ACCOUNT));
    const sent = gw.sandbox!.received.at(-1)!;
    expect(sent.path).toBe(`/instagram/v25.0/${DEMO_INSTAGRAM_LOGIN_ACCOUNT}/messages`);
    expect(sent.headers.authorization).toMatch(/^Bearer IGAA/);
    expect(gw.logs.some((l) => l.includes('Instagram token refreshed'))).toBe(true);
  });

  it('the account through Page 1001: sent as the Page on the Page host', async () => {
    await gw.send(textTo('4242', 'hello', DEMO_INSTAGRAM_PAGE_ACCOUNT));
    expect(gw.sandbox!.received.at(-1)!.path).toBe('/v25.0/1001/messages');
  });
});
