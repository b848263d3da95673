import { createHmac } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaType, MessageTag, MessagingType, NotificationType, SenderAction } from '../../gen/messenger/v1/enums';
import { decodeStatusDetails } from '../../src/errors/decode-status-details';
import { grpcError, startTestGateway, textTo, type TestGateway } from '../support/gateway-harness';

const TOKEN = 'EAAB-e2e-page-token-0123456789';
const SECRET = 'e2e-app-secret';
let gw: TestGateway;
beforeAll(async () => {
  // Sandbox mode with a configured page: the sandbox checks the token and the appsecret_proof.
  gw = await startTestGateway({ pages: [{ id: '1001', accessToken: TOKEN, appSecret: SECRET, appsecretProof: 'classic' }] });
});
afterAll(() => gw.close());

const last = () => gw.sandbox!.received.at(-1)!;

describe('SendMessage end to end', () => {
  it('sends text with Graph names and values, omitting unspecified fields, and maps the answer back', async () => {
    const res = await gw.send({
      ...textTo('24681357', 'Hello 👋'),
      notificationType: NotificationType.NOTIFICATION_TYPE_SILENT_PUSH,
      personaId: '555',
      replyTo: 'm_original',
    });
    expect(res.recipientId).toBe('24681357');
    expect(res.messageId).toMatch(/^m_/);
    const req = last();
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/v25.0/1001/messages');
    expect(req.body).toEqual({
      recipient: { id: '24681357' },
      messaging_type: 'RESPONSE',
      notification_type: 'SILENT_PUSH',
      persona_id: '555',
      reply_to: { mid: 'm_original' },
      message: { text: 'Hello 👋' },
      appsecret_proof: createHmac('sha256', SECRET).update(TOKEN).digest('hex'),
    });
  });

  it('puts the token in the Authorization header and never in the URL', async () => {
    await gw.send(textTo('1'));
    const req = last();
    expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(req.query).toEqual({});
    expect(req.path).not.toContain(TOKEN);
    expect(JSON.stringify(req.body)).not.toContain(TOKEN);
  });

  it('MESSAGE_TAG with a tag, quick replies and metadata', async () => {
    await gw.send({
      pageId: '1001',
      recipient: { identifier: { $case: 'id', value: '7' } },
      messagingType: MessagingType.MESSAGING_TYPE_MESSAGE_TAG,
      tag: MessageTag.MESSAGE_TAG_HUMAN_AGENT,
      message: {
        content: { $case: 'text', value: 'Pick one' },
        quickReplies: [{ contentType: 1, title: 'Red', payload: 'RED' }, { contentType: 3 }],
        metadata: 'ticket-9',
      },
    });
    expect(last().body).toMatchObject({
      messaging_type: 'MESSAGE_TAG',
      tag: 'HUMAN_AGENT',
      message: {
        text: 'Pick one',
        quick_replies: [{ content_type: 'text', title: 'Red', payload: 'RED' }, { content_type: 'user_email' }],
        metadata: 'ticket-9',
      },
    });
  });

  it('a reusable media attachment returns its attachment_id', async () => {
    const res = await gw.send({
      pageId: '1001',
      recipient: { identifier: { $case: 'id', value: '7' } },
      messagingType: MessagingType.MESSAGING_TYPE_UPDATE,
      message: { content: { $case: 'attachment', value: { kind: { $case: 'media', value: { type: MediaType.MEDIA_TYPE_IMAGE, source: { $case: 'url', value: 'https://example.com/cat.png' }, isReusable: true } } } } },
    });
    expect(res.attachmentId).toMatch(/^\d+$/);
    expect(last().body).toMatchObject({ message: { attachment: { type: 'image', payload: { url: 'https://example.com/cat.png', is_reusable: true } } } });
  });

  it('a generic template with buttons', async () => {
    await gw.send({
      pageId: '1001',
      recipient: { identifier: { $case: 'id', value: '7' } },
      messagingType: MessagingType.MESSAGING_TYPE_RESPONSE,
      message: {
        content: {
          $case: 'attachment',
          value: {
            kind: {
              $case: 'template',
              value: {
                kind: {
                  $case: 'generic',
                  value: {
                    elements: [{
                      title: 'Shoes', subtitle: 'Red ones',
                      buttons: [
                        { kind: { $case: 'webUrl', value: { title: 'View', url: 'https://example.com/shoes' } } },
                        { kind: { $case: 'postback', value: { title: 'Buy', payload: 'BUY_SHOES' } } },
                      ],
                    }],
                  },
                },
              },
            },
          },
        },
      },
    });
    expect(last().body).toMatchObject({
      message: {
        attachment: {
          type: 'template',
          payload: {
            template_type: 'generic',
            elements: [{
              title: 'Shoes', subtitle: 'Red ones',
              buttons: [{ type: 'web_url', title: 'View', url: 'https://example.com/shoes' }, { type: 'postback', title: 'Buy', payload: 'BUY_SHOES' }],
            }],
          },
        },
      },
    });
  });

  it('a user_ref recipient gets no recipient_id back', async () => {
    const res = await gw.send({ ...textTo('x'), recipient: { identifier: { $case: 'userRef', value: 'ref-123' } } });
    expect(res.recipientId).toBe('');
    expect(last().body).toMatchObject({ recipient: { user_ref: 'ref-123' } });
  });
});

describe('SendSenderAction end to end', () => {
  it.each([
    [SenderAction.SENDER_ACTION_MARK_SEEN, 'mark_seen'],
    [SenderAction.SENDER_ACTION_TYPING_ON, 'typing_on'],
    [SenderAction.SENDER_ACTION_TYPING_OFF, 'typing_off'],
  ])('action %i is sent as %s', async (action, graphName) => {
    const res = await gw.action({ pageId: '1001', recipient: { identifier: { $case: 'id', value: '99' } }, action });
    expect(res.recipientId).toBe('99');
    expect(last().body).toMatchObject({ recipient: { id: '99' }, sender_action: graphName });
    expect(last().body).not.toHaveProperty('message');
  });

  it('react carries the payload', async () => {
    // The sandbox, like Graph, refuses a reaction to a message it does not know.
    gw.sandbox!.rememberMessage('1001', 'm_1');
    await gw.action({ pageId: '1001', recipient: { identifier: { $case: 'id', value: '99' } }, action: SenderAction.SENDER_ACTION_REACT, payload: { messageId: 'm_1', reaction: '😊' } });
    expect(last().body).toMatchObject({ sender_action: 'react', payload: { message_id: 'm_1', reaction: '😊' } });
  });
});

describe('validation before anything is sent', () => {
  it('lists every violated field in a BadRequest and never calls Graph', async () => {
    const before = gw.sandbox!.received.length;
    const err = await grpcError(gw.send({
      pageId: '999',
      messagingType: MessagingType.MESSAGING_TYPE_MESSAGE_TAG,
      message: {
        content: { $case: 'text', value: 'x'.repeat(2000) },
        quickReplies: Array.from({ length: 14 }, () => ({ contentType: 1, title: 'A title far longer than twenty', payload: 'P' })),
      },
    }));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    const d = decodeStatusDetails(err.metadata);
    const fields = d.badRequest!.fieldViolations.map((v) => v.field);
    expect(fields).toEqual(expect.arrayContaining(['page_id', 'recipient', 'tag', 'message.text', 'message.quick_replies', 'message.quick_replies[0].title', 'message.quick_replies[13].title']));
    for (const v of d.badRequest!.fieldViolations) expect(v.description).not.toBe('');
    expect(d.errorInfo).toMatchObject({ reason: 'INVALID_REQUEST', domain: 'messenger-gateway' });
    expect(gw.sandbox!.received.length).toBe(before);
  });

  it('refuses a tag without MESSAGE_TAG', async () => {
    const err = await grpcError(gw.send({ ...textTo('1'), tag: MessageTag.MESSAGE_TAG_HUMAN_AGENT }));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(decodeStatusDetails(err.metadata).badRequest!.fieldViolations.map((v) => v.field)).toEqual(['tag']);
  });
});

describe('secrets', () => {
  it('no log line and no error message ever carries the token or the app secret', async () => {
    const errors = await Promise.all(['error-190', 'error-551', 'error-http-500', 'error-malformed'].map((r) => grpcError(gw.send(textTo(r)))));
    await gw.send(textTo('1'));
    for (const e of errors) {
      expect(e.details).not.toContain(TOKEN);
      expect(e.metadata.get('grpc-status-details-bin')[0].toString('latin1')).not.toContain(TOKEN);
    }
    const all = gw.logs.join('\n');
    expect(gw.logs.length).toBeGreaterThan(5);
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain(SECRET);
    expect(all).not.toContain(createHmac('sha256', SECRET).update(TOKEN).digest('hex'));
  });

  it('logs one line per send with page, method, gRPC code, Graph code and latency', async () => {
    await grpcError(gw.send(textTo('error-551')));
    const line = JSON.parse(gw.logs.filter((l) => l.includes('"method":"SendMessage"')).at(-1)!);
    expect(line).toMatchObject({ page: '1001', method: 'SendMessage', grpc_code: 'FAILED_PRECONDITION', graph_code: 551, reason: 'RECIPIENT_UNAVAILABLE' });
    expect(typeof line.latency_ms).toBe('number');
  });
});
