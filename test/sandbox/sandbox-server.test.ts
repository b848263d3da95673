import { createHmac, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox-server';
import { waitFor } from '../support/wait-for';

const PAGE = '1000000000001';
const TOKEN = 'page-token-1';
const SECURE_PAGE = '1000000000002';
const SECURE_TOKEN = 'page-token-2';
const SECRET = 'app-secret-2';

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({
    pages: { [PAGE]: { accessToken: TOKEN }, [SECURE_PAGE]: { accessToken: SECURE_TOKEN, appSecret: SECRET } },
  });
});
afterAll(async () => {
  await sandbox.close();
});

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: Record<string, unknown>;
}

async function post(path: string, body: unknown, opts: { token?: string | null; contentType?: string; signal?: AbortSignal } = {}): Promise<Reply> {
  const headers: Record<string, string> = { 'content-type': opts.contentType ?? 'application/json' };
  const token = opts.token === undefined ? TOKEN : opts.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const payload = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  const res = await request(`${sandbox.url}${path}`, { method: 'POST', headers, body: payload, signal: opts.signal });
  const text = await res.body.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // Left empty: some tests expect a body that is not JSON.
  }
  return { status: res.statusCode, headers: res.headers, text, json };
}

function send(body: unknown, opts?: Parameters<typeof post>[2]): Promise<Reply> {
  return post(`/v25.0/${PAGE}/messages`, body, opts);
}

function errorOf(reply: Reply): Record<string, unknown> {
  const error = reply.json.error;
  expect(error, reply.text).toBeTypeOf('object');
  return error as Record<string, unknown>;
}

function proof(token: string, time?: number): string {
  return createHmac('sha256', SECRET).update(time === undefined ? token : `${token}|${time}`).digest('hex');
}

describe('sandbox: successful sends', () => {
  it('answers a text message with recipient_id and an m_ message id, and usage headers', async () => {
    const reply = await send({ recipient: { id: '123' }, messaging_type: 'RESPONSE', message: { text: 'hi' } });
    expect(reply.status).toBe(200);
    expect(reply.json.recipient_id).toBe('123');
    expect(reply.json.message_id).toMatch(/^m_[A-Za-z0-9_-]+$/);
    expect(reply.json).not.toHaveProperty('attachment_id');
    const app = JSON.parse(String(reply.headers['x-app-usage'])) as Record<string, number>;
    expect(Object.keys(app).sort()).toEqual(['call_count', 'total_cputime', 'total_time']);
    const buc = JSON.parse(String(reply.headers['x-business-use-case-usage'])) as Record<string, Record<string, unknown>[]>;
    expect(buc[PAGE][0]).toMatchObject({ type: 'messenger', estimated_time_to_regain_access: 0 });
    expect(buc[PAGE][0].call_count).toBeLessThan(100);
  });

  it('accepts the unversioned path and /me, and the token as an access_token query param', async () => {
    const a = await post(`/${PAGE}/messages`, { recipient: { id: '1' }, message: { text: 'x' } });
    expect(a.status).toBe(200);
    const b = await post(`/me/messages?access_token=${TOKEN}`, { recipient: { id: '1' }, message: { text: 'x' } }, { token: null });
    expect(b.status).toBe(200);
  });

  it('adds attachment_id for a reusable media attachment', async () => {
    const reply = await send({ recipient: { id: '5' }, message: { attachment: { type: 'image', payload: { url: 'https://example.com/a.png', is_reusable: true } } } });
    expect(reply.status).toBe(200);
    expect(reply.json.attachment_id).toMatch(/^\d+$/);
  });

  it('gives a stable fake PSID for post_id and none for user_ref', async () => {
    const one = await send({ recipient: { comment_id: 'c_1' }, message: { text: 'x' } });
    const two = await send({ recipient: { comment_id: 'c_1' }, message: { text: 'y' } });
    expect(one.json.recipient_id).toMatch(/^\d{16}$/);
    expect(two.json.recipient_id).toBe(one.json.recipient_id);
    const ref = await send({ recipient: { user_ref: 'ref' }, message: { text: 'x' } });
    expect(ref.status).toBe(200);
    expect(ref.json).not.toHaveProperty('recipient_id');
    expect(ref.json.message_id).toMatch(/^m_/);
  });

  it('answers a sender action with recipient_id only', async () => {
    const reply = await send({ recipient: { id: '77' }, sender_action: 'TYPING_ON' });
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({ recipient_id: '77' });
    // A reaction names a message the sandbox knows, as on Graph: one it answered a send with.
    const sent = await send({ recipient: { id: '77' }, message: { text: 'to react to' } });
    const react = await send({ recipient: { id: '77' }, sender_action: 'react', payload: { message_id: sent.json.message_id, reaction: '😊' } });
    expect(react.json).toEqual({ recipient_id: '77' });
  });

  it('accepts form-urlencoded bodies with JSON-string objects and records them parsed', async () => {
    const form = new URLSearchParams({ recipient: JSON.stringify({ id: '42' }), message: JSON.stringify({ text: 'form' }), messaging_type: 'UPDATE' });
    const reply = await send(form.toString(), { contentType: 'application/x-www-form-urlencoded' });
    expect(reply.status, reply.text).toBe(200);
    const last = sandbox.received.at(-1);
    expect(last?.body).toEqual({ recipient: { id: '42' }, message: { text: 'form' }, messaging_type: 'UPDATE' });
    expect(last?.path).toBe(`/v25.0/${PAGE}/messages`);
  });
});

describe('sandbox: reactions name a message it knows, as on Graph', () => {
  it('refuses a reaction to a made-up message id with 100 "Invalid parameter", HTTP 400; accepts one to a message it answered', async () => {
    const made = await send({ recipient: { id: '78' }, sender_action: 'react', payload: { message_id: 'm_made_up', reaction: '😊' } });
    expect(made.status).toBe(400);
    expect(errorOf(made)).toMatchObject({ code: 100, type: 'OAuthException', message: '(#100) Invalid parameter' });
    expect(errorOf(made)).not.toHaveProperty('error_subcode');
    const unreact = await send({ recipient: { id: '78' }, sender_action: 'unreact', payload: JSON.stringify({ message_id: 'm_made_up' }) });
    expect(errorOf(unreact)).toMatchObject({ code: 100 });

    const sent = await send({ recipient: { id: '78' }, message: { text: 'react to me' } });
    const ok = await send({ recipient: { id: '78' }, sender_action: 'react', payload: JSON.stringify({ message_id: sent.json.message_id, reaction: '😊' }) });
    expect(ok.status, ok.text).toBe(200);
    // Another Page's message is not this Page's to react to.
    const other = await post(`/v25.0/${SECURE_PAGE}/messages`, { recipient: { id: '78' }, sender_action: 'react', payload: { message_id: sent.json.message_id, reaction: '😊' }, appsecret_proof: proof(SECURE_TOKEN) }, { token: SECURE_TOKEN });
    expect(errorOf(other)).toMatchObject({ code: 100, message: '(#100) Invalid parameter' });
  });

  it('accepts a reaction to a message it was told of (a customer\'s, stored by the gateway)', async () => {
    sandbox.rememberMessage(PAGE, 'm_from_the_customer');
    const ok = await send({ recipient: { id: '78' }, sender_action: 'react', payload: { message_id: 'm_from_the_customer', reaction: '❤️' } });
    expect(ok.status, ok.text).toBe(200);
  });

  it('setReactionCheck(false) accepts any id (for tests that make ids up), true restores the check', async () => {
    sandbox.setReactionCheck(false);
    try {
      expect((await send({ recipient: { id: '78' }, sender_action: 'react', payload: { message_id: 'm_fuzzed', reaction: '😊' } })).status).toBe(200);
    } finally {
      sandbox.setReactionCheck(true);
    }
    expect((await send({ recipient: { id: '78' }, sender_action: 'react', payload: { message_id: 'm_fuzzed', reaction: '😊' } })).status).toBe(400);
  });
});

describe('sandbox: demo images', () => {
  it('serves its demo image itself, as a real PNG; an unknown name is 404', async () => {
    const res = await request(`${sandbox.url}/_sandbox/demo/cat.png`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/png');
    const png = Buffer.from(await res.body.arrayBuffer());
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.readUInt32BE(16)).toBeGreaterThan(0); // IHDR width
    const missing = await request(`${sandbox.url}/_sandbox/demo/..%2Fsandbox-server.ts`);
    expect(missing.statusCode).toBe(404);
    await missing.body.dump();
  });
});

describe('sandbox: uploads', () => {
  function multipart(fields: Record<string, string>, file: { name: string; type: string; data: Buffer }): { boundary: string; body: Buffer } {
    const boundary = `----test${randomBytes(8).toString('hex')}`;
    const parts: Buffer[] = [];
    for (const [k, v] of Object.entries(fields)) parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="filedata"; filename="${file.name}"\r\nContent-Type: ${file.type}\r\n\r\n`));
    parts.push(file.data, Buffer.from(`\r\n--${boundary}--\r\n`));
    return { boundary, body: Buffer.concat(parts) };
  }

  it('uploads a URL attachment as JSON', async () => {
    const reply = await post(`/v25.0/${PAGE}/message_attachments`, { message: { attachment: { type: 'image', payload: { url: 'https://example.com/x.png', is_reusable: true } } } });
    expect(reply.status, reply.text).toBe(200);
    expect(reply.json).toEqual({ attachment_id: expect.stringMatching(/^\d+$/) });
  });

  it('streams a multipart file of a few hundred KB, counting its bytes', async () => {
    // Bytes that include CR, LF and dashes, so the boundary scan is really exercised.
    const data = Buffer.alloc(300 * 1024 + 7);
    for (let i = 0; i < data.length; i++) data[i] = [13, 10, 45, 65 + (i % 26)][i % 4];
    const { boundary, body } = multipart({ message: JSON.stringify({ attachment: { type: 'file', payload: { is_reusable: true } } }) }, { name: 'doc.pdf', type: 'application/pdf', data });
    const reply = await post(`/v25.0/${PAGE}/message_attachments`, body, { contentType: `multipart/form-data; boundary=${boundary}` });
    expect(reply.status, reply.text).toBe(200);
    expect(reply.json.attachment_id).toMatch(/^\d+$/);
    const last = sandbox.received.at(-1);
    expect(last?.file).toEqual({ field: 'filedata', filename: 'doc.pdf', contentType: 'application/pdf', size: data.length });
    expect(last?.body).toEqual({ message: { attachment: { type: 'file', payload: { is_reusable: true } } } });
  });

  it('accepts a multipart upload built by fetch FormData', async () => {
    const form = new FormData();
    form.append('message', JSON.stringify({ attachment: { type: 'audio', payload: { is_reusable: true } } }));
    form.append('filedata', new Blob([randomBytes(50_000)], { type: 'audio/mpeg' }), 'voice.mp3');
    const res = await fetch(`${sandbox.url}/v25.0/${PAGE}/message_attachments`, { method: 'POST', body: form, headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(sandbox.received.at(-1)?.file?.size).toBe(50_000);
  });

  it('refuses audio without an audio/* content type (100/2018047)', async () => {
    const { boundary, body } = multipart({ message: JSON.stringify({ attachment: { type: 'audio', payload: {} } }) }, { name: 'a.bin', type: 'application/octet-stream', data: randomBytes(1000) });
    const reply = await post(`/v25.0/${PAGE}/message_attachments`, body, { contentType: `multipart/form-data; boundary=${boundary}` });
    expect(reply.status).toBe(400);
    expect(errorOf(reply)).toMatchObject({ code: 100, error_subcode: 2018047 });
  });

  it('refuses a file over 25 MB (100/2018109)', async () => {
    const { boundary, body } = multipart({ message: JSON.stringify({ attachment: { type: 'video', payload: {} } }) }, { name: 'v.mp4', type: 'video/mp4', data: Buffer.alloc(25 * 1024 * 1024 + 1) });
    const reply = await post(`/v25.0/${PAGE}/message_attachments`, body, { contentType: `multipart/form-data; boundary=${boundary}` });
    expect(errorOf(reply)).toMatchObject({ code: 100, error_subcode: 2018109 });
  });

  it('sends a message with a multipart file part', async () => {
    const { boundary, body } = multipart(
      { recipient: JSON.stringify({ id: '9' }), message: JSON.stringify({ attachment: { type: 'image', payload: { is_reusable: true } } }) },
      { name: 'p.png', type: 'image/png', data: randomBytes(2048) },
    );
    const reply = await send(body, { contentType: `multipart/form-data; boundary=${boundary}` });
    expect(reply.status, reply.text).toBe(200);
    expect(reply.json).toMatchObject({ recipient_id: '9', attachment_id: expect.stringMatching(/^\d+$/) });
  });
});

describe('sandbox: auth', () => {
  const body = { recipient: { id: '1' }, message: { text: 'x' } };

  it('refuses a missing token with 190', async () => {
    const reply = await send(body, { token: null });
    expect(reply.status).toBe(400);
    expect(errorOf(reply)).toMatchObject({ code: 190, type: 'OAuthException', message: expect.stringContaining('active access token') });
    expect(errorOf(reply).fbtrace_id).toMatch(/^[A-Za-z0-9]{11}$/);
  });

  it('refuses a wrong token with 190 and never echoes it', async () => {
    const reply = await send(body, { token: 'wrong-secret-token' });
    expect(errorOf(reply)).toMatchObject({ code: 190, message: 'Invalid OAuth access token - Cannot parse access token' });
    expect(reply.text).not.toContain('wrong-secret-token');
    expect(JSON.stringify(reply.headers)).not.toContain('wrong-secret-token');
  });

  it('accepts any token for a Page it was not told about', async () => {
    const reply = await post('/v25.0/555/messages', body, { token: 'anything' });
    expect(reply.status).toBe(200);
  });

  it('requires appsecret_proof when the Page has an app secret', async () => {
    const path = `/v25.0/${SECURE_PAGE}/messages`;
    const missing = await post(path, body, { token: SECURE_TOKEN });
    expect(errorOf(missing)).toMatchObject({ code: 100, type: 'GraphMethodException' });
    const wrong = await post(path, { ...body, appsecret_proof: proof('other') }, { token: SECURE_TOKEN });
    expect(errorOf(wrong)).toMatchObject({ code: 100, message: 'Invalid appsecret_proof provided in the API argument' });
    const classic = await post(path, { ...body, appsecret_proof: proof(SECURE_TOKEN) }, { token: SECURE_TOKEN });
    expect(classic.status, classic.text).toBe(200);
    const inQuery = await post(`${path}?appsecret_proof=${proof(SECURE_TOKEN)}`, body, { token: SECURE_TOKEN });
    expect(inQuery.status, inQuery.text).toBe(200);
  });

  it('accepts the time-stamped proof within 5 minutes only', async () => {
    const path = `/v25.0/${SECURE_PAGE}/messages`;
    const now = Math.floor(Date.now() / 1000);
    const fresh = await post(path, { ...body, appsecret_proof: proof(SECURE_TOKEN, now), appsecret_time: now }, { token: SECURE_TOKEN });
    expect(fresh.status, fresh.text).toBe(200);
    const old = now - 3600;
    const stale = await post(path, { ...body, appsecret_proof: proof(SECURE_TOKEN, old), appsecret_time: old }, { token: SECURE_TOKEN });
    expect(errorOf(stale)).toMatchObject({ code: 100 });
  });

  it('checks /me against the Page that owns the token', async () => {
    const reply = await post('/v25.0/me/messages', body, { token: SECURE_TOKEN });
    expect(errorOf(reply).code).toBe(100);
  });
});

describe('sandbox: validation and paths', () => {
  it('answers 404 for unknown paths, and records the request', async () => {
    const reply = await post('/v25.0/123/feed', { a: 1 });
    expect(reply.status).toBe(404);
    expect(errorOf(reply)).toMatchObject({ code: 100, message: expect.stringContaining('Unknown path components') });
    expect(sandbox.received.at(-1)).toMatchObject({ method: 'POST', path: '/v25.0/123/feed', body: undefined });
  });

  it('refuses invalid bodies with Graph errors, and records them', async () => {
    const cases: [unknown, number, number | undefined][] = [
      [{ message: { text: 'x' } }, 100, undefined],
      [{ recipient: { id: '1', user_ref: 'r' }, message: { text: 'x' } }, 100, undefined],
      [{ recipient: { id: '1' }, message: { text: 'x' }, sender_action: 'typing_on' }, 100, 2018014],
      [{ recipient: { id: '1' }, message: { text: 'x'.repeat(2000) } }, 100, undefined],
      [{ recipient: { id: '1' }, messaging_type: 'MESSAGE_TAG', message: { text: 'x' } }, 100, undefined],
      [{ recipient: { id: '1' }, messaging_type: 'MESSAGE_TAG', tag: 'ACCOUNT_UPDATE', message: { text: 'x' } }, 100, undefined],
      [{ recipient: { id: '1' }, message: { text: 'x' }, bogus: 1 }, 100, undefined],
    ];
    for (const [body, code, subcode] of cases) {
      const reply = await send(body);
      expect(reply.status, JSON.stringify(body)).toBe(400);
      const error = errorOf(reply);
      expect(error.code).toBe(code);
      expect(error.message).toMatch(/^\(#100\) /);
      if (subcode !== undefined) expect(error.error_subcode).toBe(subcode);
      expect(sandbox.received.at(-1)?.body).toEqual(body);
    }
  });

  it('refuses a body that is not JSON', async () => {
    const reply = await send('{not json');
    expect(errorOf(reply).code).toBe(100);
  });
});

describe('sandbox: errors on demand', () => {
  it('answers error-551 with Graph wording', async () => {
    const reply = await send({ recipient: { id: 'error-551' }, message: { text: 'x' } });
    expect(reply.status).toBe(400);
    expect(errorOf(reply)).toMatchObject({ code: 551, type: 'OAuthException', message: "(#551) This person isn't available right now." });
  });

  it('answers error-10-2018278 with subcode and user texts, for any identifier', async () => {
    const reply = await send({ recipient: { user_ref: 'error-10-2018278' }, message: { text: 'x' } });
    expect(errorOf(reply)).toMatchObject({ code: 10, error_subcode: 2018278, error_user_title: expect.any(String), error_user_msg: expect.any(String) });
  });

  it('answers 2 and 1200 with HTTP 500, 2 as transient', async () => {
    const two = await send({ recipient: { id: 'error-2' }, message: { text: 'x' } });
    expect(two.status).toBe(500);
    expect(errorOf(two)).toMatchObject({ code: 2, is_transient: true, message: 'An unexpected error has occurred. Please retry your request later.' });
    const busy = await send({ recipient: { id: 'error-1200' }, message: { text: 'x' } });
    expect(busy.status).toBe(500);
    expect(errorOf(busy).message).toBe('(#1200) Temporary send message failure. Please try again later');
  });

  it('answers error-613 with usage headers at 100%', async () => {
    const reply = await send({ recipient: { id: 'error-613' }, message: { text: 'x' } });
    expect(reply.status).toBe(400);
    expect(errorOf(reply)).toMatchObject({ code: 613, message: '(#613) Calls to this api have exceeded the rate limit.' });
    expect(JSON.parse(String(reply.headers['x-app-usage']))).toEqual({ call_count: 100, total_cputime: 100, total_time: 100 });
    expect(JSON.parse(String(reply.headers['x-page-usage']))).toMatchObject({ call_count: 100 });
    const buc = JSON.parse(String(reply.headers['x-business-use-case-usage'])) as Record<string, Record<string, unknown>[]>;
    expect(buc[PAGE][0]).toMatchObject({ type: 'messenger', call_count: 100, estimated_time_to_regain_access: 0.25 }); // 15 s: a short simulated pause
  });

  it('answers error-http-502 with an HTML body', async () => {
    const reply = await send({ recipient: { id: 'error-http-502' }, message: { text: 'x' } });
    expect(reply.status).toBe(502);
    expect(String(reply.headers['content-type'])).toContain('text/html');
    expect(reply.text).toContain('<html>');
  });

  it('answers error-malformed with 200 and invalid JSON', async () => {
    const reply = await send({ recipient: { id: 'error-malformed' }, message: { text: 'x' } });
    expect(reply.status).toBe(200);
    expect(() => JSON.parse(reply.text)).toThrow();
  });

  it('answers delay-<ms> after the delay, and delay-<ms>-error-613 with the error', async () => {
    const started = Date.now();
    const reply = await send({ recipient: { id: 'delay-300-abc' }, message: { text: 'x' } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(reply.json.recipient_id).toBe('delay-300-abc');
    const late = await send({ recipient: { id: 'delay-50-error-613' }, message: { text: 'x' } });
    expect(errorOf(late).code).toBe(613);
  });

  it('applies magic to uploads through the file URL', async () => {
    const reply = await post(`/v25.0/${PAGE}/message_attachments`, { message: { attachment: { type: 'image', payload: { url: 'https://example.com/error-100-2018008.png' } } } });
    expect(errorOf(reply)).toMatchObject({ code: 100, error_subcode: 2018008 });
  });

  it('hangs on error-hang until the client aborts, and close() still resolves', async () => {
    const own = await startSandbox();
    try {
      const controller = new AbortController();
      const call = request(`${own.url}/v25.0/${PAGE}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer t' },
        body: JSON.stringify({ recipient: { id: 'error-hang' }, message: { text: 'x' } }),
        signal: controller.signal,
      });
      // The client gives up once the sandbox has the request (and holds it).
      await waitFor(() => own.received.length === 1, { what: 'the hanging request at the sandbox' });
      controller.abort();
      await expect(call).rejects.toThrow();
      expect(own.received).toHaveLength(1);
      expect(own.received[0].body).toMatchObject({ recipient: { id: 'error-hang' } });
      // A second hanging request still open when close() runs.
      const pending = request(`${own.url}/me/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer t' },
        body: JSON.stringify({ recipient: { id: 'error-hang' }, message: { text: 'x' } }),
      }).catch((err: unknown) => err);
      await waitFor(() => own.received.length === 2, { what: 'the second hanging request at the sandbox' });
      await own.close();
      expect(await pending).toBeInstanceOf(Error);
    } finally {
      await own.close();
    }
  });

  it('close() also ends pending delays and keep-alive sockets', async () => {
    const own = await startSandbox();
    const pending = request(`${own.url}/me/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer t' },
      body: JSON.stringify({ recipient: { id: 'delay-600000' }, message: { text: 'x' } }),
    }).catch((err: unknown) => err);
    await waitFor(() => own.received.length === 1, { what: 'the delayed request at the sandbox' });
    const started = Date.now();
    await own.close();
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await pending).toBeInstanceOf(Error);
  });

  it('keeps only the last maxReceived requests, in the same array', async () => {
    const own = await startSandbox({ maxReceived: 3 });
    try {
      const received = own.received;
      for (let i = 0; i < 5; i++) {
        const res = await request(`${own.url}/me/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer t' },
          body: JSON.stringify({ recipient: { id: String(i) }, message: { text: 'x' } }),
        });
        await res.body.dump();
      }
      expect(own.received).toBe(received);
      expect(received.map((r) => (r.body?.recipient as { id: string }).id)).toEqual(['2', '3', '4']);
    } finally {
      await own.close();
    }
  });
});
