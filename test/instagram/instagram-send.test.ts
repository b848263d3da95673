// Instagram accounts end to end: a real sandbox-mode gateway (grpc-js server, the sandbox's real
// HTTP fake Graph with its Instagram host stand-in) and real grpc-js clients. What Graph received
// is observed at the sandbox: the host (the `/instagram` prefix), the path, the token, the proof.

import { createHmac } from 'node:crypto';
import { Metadata, status } from '@grpc/grpc-js';
import type { UploadAttachmentRequest, UploadAttachmentResponse } from '../../gen/messenger/v1/service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaType, MessageTag, MessagingType } from '../../gen/messenger/v1/enums';
import { Sticker_Kind } from '../../gen/messenger/v1/message';
import type { ServiceError } from '@grpc/grpc-js';
import { decodeStatusDetails as decodeDetails } from '../../src/errors/decode-status-details';

/** The reason, violated fields and ErrorInfo metadata of a failed call. */
function decodeStatusDetails(metadata: ServiceError['metadata']): { reason?: string; violations?: Array<{ field: string; description: string }>; metadata?: Record<string, string> } {
  const d = decodeDetails(metadata);
  return { reason: d.errorInfo?.reason, violations: d.badRequest?.fieldViolations, metadata: d.errorInfo?.metadata };
}
import { conversationClient, type ConversationClient } from '../support/conversation-client';
import { grpcError, startTestGateway, textTo, type TestGateway } from '../support/gateway-harness';
import { pageClient, type PageCaller } from '../support/page-client';

const PAGE_TOKEN = 'EAAB-instagram-e2e-page-token-0123';
const FB_SECRET = 'facebook-app-secret-e2e';
const IG_TOKEN = 'IGAA-instagram-login-token-e2e-4567';
const IG_SECRET = 'instagram-app-secret-e2e';
const IG_PAGE = '17841400000000011';
const IG_LOGIN = '17841400000000022';
const IGSID = '9876543210123';

let gw: TestGateway;
let pages: PageCaller;
let conv: ConversationClient;
beforeAll(async () => {
  gw = await startTestGateway({
    pages: [
      { id: '1001', accessToken: PAGE_TOKEN, appSecret: FB_SECRET, appsecretProof: 'classic' },
      { id: IG_PAGE, platform: 'instagram', pageId: '1001', accessToken: PAGE_TOKEN, appSecret: FB_SECRET, appsecretProof: 'classic' },
      // A far expiry: no refresh during this file (token refresh has its own tests).
      { id: IG_LOGIN, platform: 'instagram', login: 'instagram', accessToken: IG_TOKEN, appSecret: IG_SECRET, appsecretProof: 'classic', token: { expiresAt: '2099-01-01T00:00:00Z' } },
    ],
  });
  pages = pageClient(gw.target);
  conv = conversationClient(gw.target);
});
afterAll(async () => {
  pages.close();
  conv.close();
  await gw.close();
});

const received = () => gw.sandbox!.received;
const proof = (secret: string, token: string) => createHmac('sha256', secret).update(token).digest('hex');

describe('both hosts: base URL, token and path per account', () => {
  it('a Messenger Page sends /{page}/messages on the Page host with its token', async () => {
    await gw.send(textTo('24681357', 'hi', '1001'));
    const req = received().at(-1)!;
    expect(req.path).toBe('/v25.0/1001/messages');
    expect(req.headers.authorization).toBe(`Bearer ${PAGE_TOKEN}`);
    expect(req.body?.appsecret_proof).toBe(proof(FB_SECRET, PAGE_TOKEN));
  });

  it('an Instagram account through its Page sends as the Page: /{pageId}/messages on the Page host, the Page token', async () => {
    const res = await gw.send(textTo(IGSID, 'hi on Instagram', IG_PAGE));
    expect(res.recipientId).toBe(IGSID);
    const req = received().at(-1)!;
    expect(req.path).toBe('/v25.0/1001/messages');
    expect(req.headers.authorization).toBe(`Bearer ${PAGE_TOKEN}`);
    expect(req.body?.appsecret_proof).toBe(proof(FB_SECRET, PAGE_TOKEN));
    expect(req.body?.message).toEqual({ text: 'hi on Instagram' });
  });

  it('an Instagram Login account sends /{id}/messages on the Instagram host with its user token and the Instagram app secret proof', async () => {
    await gw.send(textTo(IGSID, 'hi through Instagram Login', IG_LOGIN));
    const req = received().at(-1)!;
    expect(req.path).toBe(`/instagram/v25.0/${IG_LOGIN}/messages`);
    expect(req.headers.authorization).toBe(`Bearer ${IG_TOKEN}`);
    expect(req.body?.appsecret_proof).toBe(proof(IG_SECRET, IG_TOKEN));
    expect(JSON.stringify(req)).not.toContain(PAGE_TOKEN);
  });

  it('the sandbox keeps tokens per host: a Page token on the Instagram host and an Instagram token on the Page host are 190', async () => {
    const base = gw.sandbox!.url;
    const body = JSON.stringify({ recipient: { id: IGSID }, messaging_type: 'RESPONSE', message: { text: 'x' } });
    const onIg = await fetch(`${base}/instagram/v25.0/${IG_LOGIN}/messages`, { method: 'POST', headers: { authorization: `Bearer ${PAGE_TOKEN}`, 'content-type': 'application/json' }, body });
    expect(onIg.status).toBe(400);
    expect(((await onIg.json()) as { error: { code: number } }).error.code).toBe(190);
    const onPage = await fetch(`${base}/v25.0/1001/messages`, { method: 'POST', headers: { authorization: `Bearer ${IG_TOKEN}`, 'content-type': 'application/json' }, body });
    expect(((await onPage.json()) as { error: { code: number } }).error.code).toBe(190);
  });
});

describe('what only Instagram has is typed', () => {
  it('sends the like_heart sticker and a shared post on Instagram', async () => {
    await gw.send({ pageId: IG_LOGIN, recipient: { identifier: { $case: 'id', value: IGSID } }, messagingType: MessagingType.MESSAGING_TYPE_RESPONSE, message: { content: { $case: 'attachment', value: { kind: { $case: 'sticker', value: { kind: Sticker_Kind.KIND_LIKE_HEART } } } } } });
    expect(received().at(-1)!.body?.message).toEqual({ attachment: { type: 'like_heart' } });
    await gw.send({ pageId: IG_PAGE, recipient: { identifier: { $case: 'id', value: IGSID } }, messagingType: MessagingType.MESSAGING_TYPE_RESPONSE, message: { content: { $case: 'attachment', value: { kind: { $case: 'mediaShare', value: { postId: '17900000000000001' } } } } } });
    expect(received().at(-1)!.body?.message).toEqual({ attachment: { type: 'MEDIA_SHARE', payload: { id: '17900000000000001' } } });
  });

  it('refuses them for a Messenger Page before Graph', async () => {
    const before = received().length;
    const err = await grpcError(gw.send({ pageId: '1001', recipient: { identifier: { $case: 'id', value: '1' } }, messagingType: MessagingType.MESSAGING_TYPE_RESPONSE, message: { content: { $case: 'attachment', value: { kind: { $case: 'sticker', value: { kind: Sticker_Kind.KIND_LIKE_HEART } } } } } }));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(decodeStatusDetails(err.metadata).reason).toBe('INVALID_REQUEST');
    expect(decodeStatusDetails(err.metadata).violations?.map((v) => v.field)).toContain('message.attachment.sticker');
    expect(received().length).toBe(before);
  });
});

/** Sends `req` to both Instagram accounts; each is refused before Graph with NOT_SUPPORTED_ON_INSTAGRAM naming `fields`. */
async function refusedOnInstagram(req: Parameters<TestGateway['send']>[0], fields: string[]): Promise<void> {
  for (const account of [IG_PAGE, IG_LOGIN]) {
    const before = received().length;
    const err = await grpcError(gw.send({ ...req, pageId: account }));
    const details = decodeStatusDetails(err.metadata);
    expect(err.code, account).toBe(status.INVALID_ARGUMENT);
    expect(details.reason, account).toBe('NOT_SUPPORTED_ON_INSTAGRAM');
    const named = details.violations?.map((v) => v.field) ?? [];
    for (const f of fields) expect(named, `${account}: ${f}`).toContain(f);
    expect(received().length, `${account}: nothing reached Graph`).toBe(before);
  }
}

const to = { recipient: { identifier: { $case: 'id' as const, value: IGSID } }, messagingType: MessagingType.MESSAGING_TYPE_RESPONSE };

describe("Instagram's rules, refused before Graph with the violation named", () => {
  it('text over 1000 bytes of UTF-8 (501 characters of é are 1002 bytes), though under Messenger\'s 2000 characters', async () => {
    await refusedOnInstagram({ ...to, message: { content: { $case: 'text', value: 'é'.repeat(501) } } }, ['message.text']);
    // 1000 bytes exactly go through.
    await gw.send({ ...to, pageId: IG_LOGIN, message: { content: { $case: 'text', value: 'é'.repeat(500) } } });
  });

  it('receipt, media, coupon and customer feedback templates', async () => {
    const templates = [
      ['receipt', { $case: 'receipt', value: { recipientName: 'A', orderNumber: '1', currency: 'USD', paymentMethod: 'Visa', summary: { totalCost: '1' } } }],
      ['media', { $case: 'media', value: { elements: [{ mediaType: 1, url: 'https://www.facebook.com/photo.php?fbid=1' }] } }],
      ['coupon', { $case: 'coupon', value: { title: 'T', couponCode: 'C' } }],
      ['customer_feedback', { $case: 'customerFeedback', value: { title: 'T' } }],
    ] as const;
    for (const [field, kind] of templates) {
      await refusedOnInstagram({ ...to, message: { content: { $case: 'attachment', value: { kind: { $case: 'template', value: { kind } } } } } } as never, [`message.attachment.template.${field}`]);
    }
  });

  it('tags other than HUMAN_AGENT, and HUMAN_AGENT goes through', async () => {
    await refusedOnInstagram({ ...to, messagingType: MessagingType.MESSAGING_TYPE_MESSAGE_TAG, tag: MessageTag.MESSAGE_TAG_CUSTOMER_FEEDBACK, message: { content: { $case: 'text', value: 'x' } } }, ['tag']);
    await gw.send({ ...to, pageId: IG_LOGIN, messagingType: MessagingType.MESSAGING_TYPE_MESSAGE_TAG, tag: MessageTag.MESSAGE_TAG_HUMAN_AGENT, message: { content: { $case: 'text', value: 'a human here' } } });
    expect(received().at(-1)!.body?.tag).toBe('HUMAN_AGENT');
  });

  it('media types and formats outside Instagram\'s table', async () => {
    const media = (type: MediaType, url: string) => ({ ...to, message: { content: { $case: 'attachment' as const, value: { kind: { $case: 'media' as const, value: { type, source: { $case: 'url' as const, value: url } } } } } } });
    await refusedOnInstagram(media(MediaType.MEDIA_TYPE_FILE, 'https://example.com/a.pdf'), ['message.attachment.media.type']);
    await refusedOnInstagram(media(MediaType.MEDIA_TYPE_IMAGE, 'https://example.com/a.gif'), ['message.attachment.media.url']);
    await refusedOnInstagram(media(MediaType.MEDIA_TYPE_AUDIO, 'https://example.com/a.mp3'), ['message.attachment.media.url']);
    await gw.send({ ...media(MediaType.MEDIA_TYPE_IMAGE, 'https://example.com/a.png'), pageId: IG_LOGIN });
  });

  it('personas (Meta documents them for Messenger Pages only)', async () => {
    await refusedOnInstagram({ ...to, personaId: '555', message: { content: { $case: 'text', value: 'x' } } }, ['persona_id']);
  });

  it('lists every violation in one answer, Instagram\'s and the others', async () => {
    const err = await grpcError(gw.send({ ...to, pageId: IG_LOGIN, messagingType: MessagingType.MESSAGING_TYPE_MESSAGE_TAG, tag: MessageTag.MESSAGE_TAG_CUSTOMER_FEEDBACK, personaId: '555', replyTo: 'has space', message: { content: { $case: 'text', value: 'é'.repeat(600) } } }));
    const fields = decodeStatusDetails(err.metadata).violations?.map((v) => v.field);
    expect(decodeStatusDetails(err.metadata).reason).toBe('NOT_SUPPORTED_ON_INSTAGRAM');
    expect(fields).toEqual(expect.arrayContaining(['message.text', 'tag', 'persona_id', 'reply_to']));
  });
});

describe('platform calls for Instagram accounts', () => {
  it('personas and message templates are UNIMPLEMENTED, without a Graph call', async () => {
    const before = received().length;
    for (const account of [IG_PAGE, IG_LOGIN]) {
      const p = await grpcError(pages.call('createPersona', { pageId: account, name: 'Ann', profilePictureUrl: 'https://example.com/a.png' }));
      expect(p.code).toBe(status.UNIMPLEMENTED);
      expect(decodeStatusDetails(p.metadata).reason).toBe('NOT_AVAILABLE_ON_INSTAGRAM');
      const t = await grpcError(pages.call('listMessageTemplates', { pageId: account }));
      expect(t.code).toBe(status.UNIMPLEMENTED);
    }
    expect(received().length).toBe(before);
  });

  it('ice breakers and the menu: set with platform=instagram on the right node; properties Instagram lacks refused', async () => {
    await pages.call('setMessengerProfile', { pageId: IG_PAGE, iceBreakers: [{ locale: 'default', callToActions: [{ question: 'Opening hours?', payload: 'HOURS' }] }] });
    let req = received().at(-1)!;
    expect(req.path).toBe('/v25.0/1001/messenger_profile');
    expect(req.body?.platform).toBe('instagram');
    await pages.call('setMessengerProfile', { pageId: IG_LOGIN, persistentMenu: [{ locale: 'default', callToActions: [{ type: 'postback', title: 'Help', payload: 'HELP' }] }] });
    req = received().at(-1)!;
    expect(req.path).toBe(`/instagram/v25.0/${IG_LOGIN}/messenger_profile`);
    expect(req.headers.authorization).toBe(`Bearer ${IG_TOKEN}`);
    const before = received().length;
    const err = await grpcError(pages.call('setMessengerProfile', { pageId: IG_LOGIN, greeting: [{ locale: 'default', text: 'Hi' }], persistentMenu: [{ locale: 'default', composerInputDisabled: true, callToActions: [{ type: 'web_url', title: 'Site', url: 'https://example.com', webviewHeightRatio: 'tall' }] }] }));
    expect(decodeStatusDetails(err.metadata).reason).toBe('NOT_SUPPORTED_ON_INSTAGRAM');
    expect(decodeStatusDetails(err.metadata).violations?.map((v) => v.field)).toEqual(expect.arrayContaining(['greeting', 'persistent_menu[0].composer_input_disabled', 'persistent_menu[0].call_to_actions[0].webview_height_ratio']));
    expect(received().length).toBe(before);
  });

  it('routing on an Instagram account through its Page goes to the Page', async () => {
    await conv.pass({ pageId: IG_PAGE, recipientId: IGSID, targetAppId: '263902037430900' });
    expect(received().at(-1)!.path).toBe('/v25.0/1001/pass_thread_control');
  });

  it("a user profile of an IGSID asks for Instagram's fields, and refuses a PSID's", async () => {
    await conv.profile({ pageId: IG_LOGIN, recipientId: IGSID }).catch(() => undefined);
    const req = received().at(-1)!;
    expect(req.path).toBe(`/instagram/v25.0/${IGSID}`);
    expect(req.query.fields).toBe('name,username,profile_pic');
    const err = await grpcError(conv.profile({ pageId: IG_PAGE, recipientId: IGSID, fields: ['first_name', 'username'] }));
    expect(decodeStatusDetails(err.metadata).reason).toBe('NOT_SUPPORTED_ON_INSTAGRAM');
    expect(decodeStatusDetails(err.metadata).violations?.map((v) => v.field)).toEqual(['fields[0]']);
  });
});

describe('a 190 says which account and what to do, never the token', () => {
  it('for each way in', async () => {
    for (const [account, words] of [[IG_LOGIN, 'log in with Instagram again'], [IG_PAGE, 'linked Page 1001'], ['1001', "Page 1001's token"]] as const) {
      const err = await grpcError(gw.send(textTo('error-190', 'x', account)));
      expect(err.code).toBe(status.FAILED_PRECONDITION);
      expect(err.details).toContain(account);
      expect(err.details).toContain(words);
      const d = decodeStatusDetails(err.metadata);
      expect(d.reason).toBe('PAGE_ACCESS_TOKEN_INVALID');
      expect(d.metadata?.account_id).toBe(account);
      expect(JSON.stringify(err)).not.toContain(IG_TOKEN);
      expect(JSON.stringify(err)).not.toContain(PAGE_TOKEN);
    }
  });
});

describe('uploads for Instagram accounts', () => {
  function upload(parts: UploadAttachmentRequest['part'][]): Promise<UploadAttachmentResponse> {
    return new Promise((resolve, reject) => {
      const call = gw.client.uploadAttachment(new Metadata(), { deadline: Date.now() + 15_000 }, (err: ServiceError | null, res?: UploadAttachmentResponse) => (err ? reject(err) : resolve(res!)));
      for (const part of parts) call.write({ part });
      call.end();
    });
  }
  const file = (pageId: string, filename: string, size: number, type = MediaType.MEDIA_TYPE_IMAGE) =>
    ({ $case: 'metadata' as const, value: { pageId, type, source: { $case: 'file' as const, value: { filename, contentType: 'image/png', size: String(size) } } } });

  it('goes with platform=instagram to each account\'s node and host', async () => {
    const bytes = Buffer.alloc(1000, 1);
    await upload([file(IG_PAGE, 'a.png', bytes.length), { $case: 'chunk', value: bytes }]);
    let req = received().at(-1)!;
    expect(req.path).toBe('/v25.0/1001/message_attachments');
    expect(req.body?.platform).toBe('instagram');
    await upload([file(IG_LOGIN, 'a.png', bytes.length), { $case: 'chunk', value: bytes }]);
    req = received().at(-1)!;
    expect(req.path).toBe(`/instagram/v25.0/${IG_LOGIN}/message_attachments`);
    expect(req.headers.authorization).toBe(`Bearer ${IG_TOKEN}`);
  });

  it('an image over 8 MB, or a format outside the table, is refused before Graph', async () => {
    const before = received().length;
    const big = await grpcError(upload([file(IG_LOGIN, 'a.png', 9 * 1024 * 1024)]));
    expect(decodeStatusDetails(big.metadata).reason).toBe('NOT_SUPPORTED_ON_INSTAGRAM');
    expect(decodeStatusDetails(big.metadata).violations?.map((v) => v.field)).toEqual(['metadata.file.size']);
    const bmp = await grpcError(upload([file(IG_PAGE, 'a.bmp', 10)]));
    expect(decodeStatusDetails(bmp.metadata).violations?.map((v) => v.field)).toEqual(['metadata.file.filename']);
    expect(received().length).toBe(before);
  });
});
