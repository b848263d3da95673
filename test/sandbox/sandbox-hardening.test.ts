import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway-harness';

// What an outside attack on the sandbox and its inbox found: cross-origin "simple" POSTs to
// the customer API, javascript: URLs accepted by the fake Graph and drawn by the inbox, bodies
// kept whole in the request log, and an inbox answering any Host (DNS rebinding).
let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ extra: { inbox: { listen: '127.0.0.1:0' } } });
});
afterAll(() => gw.close());

describe('the sandbox and its inbox, hardened', () => {
  it('the customer API takes only application/json (a page on another origin cannot post it)', async () => {
    const res = await request(`${gw.sandbox!.url}/_sandbox/customer/messages`, {
      method: 'POST', headers: { 'content-type': 'text/plain', origin: 'http://evil.example' },
      body: JSON.stringify({ pageId: '1001', psid: '777', text: 'csrf' }),
    });
    expect(res.statusCode).toBe(415);
    await res.body.text();
  });

  it('the fake Graph refuses a javascript: URL in a button, as Graph does', async () => {
    const template = { attachment: { type: 'template', payload: { template_type: 'button', text: 'hi', buttons: [{ type: 'web_url', title: 'x', url: 'javascript:alert(1)' }] } } };
    const res = await request(`${gw.sandbox!.url}/v25.0/1001/messages`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer t' },
      body: JSON.stringify({ recipient: { id: '999' }, messaging_type: 'RESPONSE', message: template }),
    });
    expect(res.statusCode).toBe(400);
    expect(((await res.body.json()) as { error: { message: string } }).error.message).toMatch(/url/i);
  });

  it('a body of megabytes is recorded by its size, not kept whole', async () => {
    const res = await request(`${gw.sandbox!.url}/v25.0/1001/messages`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer t' },
      body: JSON.stringify({ recipient: { id: '999' }, messaging_type: 'RESPONSE', message: { text: 'x'.repeat(3_000_000) } }),
    });
    await res.body.text();
    const last = gw.sandbox!.received.at(-1)!;
    expect(JSON.stringify(last.body).length).toBeLessThan(1_000);
    expect(last.body).toMatchObject({ bytes: expect.any(Number) });
  });

  it('the inbox answers only to its own (loopback) name', async () => {
    const inbox = new URL(gw.gateway.inbox!.url);
    const foreign = await request(`${inbox.origin}/api/conversations`, { headers: { host: `attacker.example:${inbox.port}` } });
    expect(foreign.statusCode).toBe(421);
    await foreign.body.text();
    const own = await request(`${inbox.origin}/api/conversations`);
    expect(own.statusCode).toBe(200);
    await own.body.text();
  });

  it('a cross-origin form POST to the fake Graph is refused, and no conversation is injected into the inbox', async () => {
    const before = gw.sandbox!.received.length;
    const form = new URLSearchParams({ recipient: JSON.stringify({ id: 'csrf-form' }), messaging_type: 'RESPONSE', message: JSON.stringify({ text: 'injected' }), access_token: 't' });
    const res = await request(`${gw.sandbox!.url}/v25.0/1001/messages`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://evil.example' }, body: form.toString(),
    });
    expect(res.statusCode).toBe(403);
    await res.body.text();
    expect(gw.sandbox!.received.length).toBe(before);
    const inbox = await request(`${gw.gateway.inbox!.url}/api/conversations`);
    expect(await inbox.body.text()).not.toContain('csrf-form');
    // Same-origin, loopback and origin-less clients keep working.
    for (const origin of [undefined, gw.sandbox!.url, 'http://localhost:8025', 'null']) {
      const ok = await request(`${gw.sandbox!.url}/v25.0/1001/messages`, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...(origin ? { origin } : {}) }, body: form.toString(),
      });
      expect(ok.statusCode, String(origin)).toBe(origin === 'null' ? 403 : 200);
      await ok.body.text();
    }
  });

  it("the threads API (it sends signed thread-control webhooks) refuses another site's Origin", async () => {
    const body = JSON.stringify({ pageId: '1001', psid: 'csrf-thread', action: 'take' });
    const res = await request(`${gw.sandbox!.url}/_sandbox/threads`, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'http://evil.example' }, body });
    expect(res.statusCode).toBe(403);
    await res.body.text();
    const own = await request(`${gw.sandbox!.url}/_sandbox/threads?pageId=1001&psid=csrf-thread`);
    expect(own.statusCode).not.toBe(403);
    await own.body.text();
  });

  it('a rebinding Host is refused: the customer API no longer signs webhooks for another site', async () => {
    const { port } = new URL(gw.sandbox!.url);
    const body = JSON.stringify({ pageId: '1001', psid: 'rebound', text: 'signed for evil' });
    const rebound = await request(`${gw.sandbox!.url}/_sandbox/customer/messages`, {
      method: 'POST', headers: { 'content-type': 'application/json', host: `evil.example:${port}` }, body,
    });
    expect(rebound.statusCode).toBe(421);
    await rebound.body.text();
    for (const path of ['/v25.0/1001/messages', '/_sandbox/customer/messages']) {
      const res = await request(`${gw.sandbox!.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', host: `evil.example:${port}`, authorization: 'Bearer t' }, body: '{}' });
      expect(res.statusCode, path).toBe(421);
      await res.body.text();
    }
    // The gateway's own Graph client (undici: Host 127.0.0.1:port, no Origin) still sends.
    const sent = await gw.send({ pageId: '1001', recipient: { identifier: { $case: 'id', value: 'after-rebind' } }, messagingType: 1, message: { content: { $case: 'text', value: 'hi' } } });
    expect(sent.messageId).toBeTruthy();
  });
});
