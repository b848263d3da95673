// Property-based tests over the whole request model (fast-check): every oneof case, every
// button and template kind, enums in and out of range, strings at and past their limits, emoji.
// (a) pure: a request the gateway's validator accepts translates to Graph JSON that the
//     sandbox's Graph validator accepts; a refused one lists violations with field and reason.
// (b) end to end through a real server and the sandbox: OK, or INVALID_ARGUMENT with a
//     BadRequest, never INTERNAL or UNKNOWN.

import { status, type ServiceError } from '@grpc/grpc-js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaType, MessageTag, MessagingType, NotificationType, SenderAction } from '../../gen/messenger/v1/enums';
import { QuickReply_ContentType, type Message } from '../../gen/messenger/v1/message';
import type { Recipient } from '../../gen/messenger/v1/recipient';
import { SendMessageRequest, SendSenderActionRequest, UploadAttachmentRequest, type UploadMetadata } from '../../gen/messenger/v1/service';
import {
  FeedbackQuestion_QuestionType,
  GenericTemplate_ImageAspectRatio,
  MediaElement_MediaKind,
  UtilityComponent_ComponentType,
  WebviewHeightRatio,
  type Button,
  type DefaultAction,
  type Template,
  type UtilityTemplate,
} from '../../gen/messenger/v1/template';
import { decodeStatusDetails } from '../../src/errors/decode-status-details';
import { toGraphMessageBody, toGraphSenderActionBody, toGraphUploadMessage } from '../../src/graph/to-graph';
import { validateGraphSend, validateGraphUpload } from '../../src/sandbox/graph-validator';
import type { FieldViolation } from '../../src/validate/field-violation';
import { validateSendMessage } from '../../src/validate/validate-send-message';
import { validateSenderAction } from '../../src/validate/validate-sender-action';
import { validateUploadMetadata } from '../../src/validate/validate-upload';
import { startTestGateway, type TestGateway } from '../support/gateway-harness';

const PURE_RUNS = 3_000;
const E2E_RUNS = 100;
const SEED = 20_260_808;

// ---------------------------------------------------------------- leaves

/** Strings of around `limit` characters, counted in code points (emoji are 2 UTF-16 units). */
const aroundLimit = (limit: number) =>
  fc.tuple(fc.integer({ min: limit - 1, max: limit + 1 }), fc.constantFrom('a', 'é', '😀', '👩‍👩‍👧')).map(([n, ch]) =>
    ch === '👩‍👩‍👧' ? ch + 'a'.repeat(Math.max(0, n - [...ch].length)) : ch.repeat(n),
  );

/** Any string: empty, short text, unicode and emoji, whitespace, near the common limits. */
const text = fc.oneof(
  { weight: 2, arbitrary: fc.constant('') },
  { weight: 6, arbitrary: fc.string({ minLength: 1, maxLength: 12 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 15 }) },
  { weight: 1, arbitrary: fc.constantFrom(' ', 'a b', '\n', '😀😀', '\u0000', 'null', '0') },
  { weight: 1, arbitrary: fc.constantFrom(20, 80, 640, 1000, 2000).chain(aroundLimit) },
);
/** Mostly present, short, plain: fields that must be non-empty (titles, names). */
const label = fc.oneof(
  { weight: 8, arbitrary: fc.string({ minLength: 1, maxLength: 10 }) },
  { weight: 2, arbitrary: text },
);
const url = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('https://example.com/a.png', 'http://example.com', 'https://example.com/p?q=1#f', 'HTTPS://EXAMPLE.COM/X') },
  { weight: 2, arbitrary: fc.webUrl() },
  { weight: 2, arbitrary: fc.constantFrom('', 'example.com', 'ftp://example.com/a', 'https://', 'javascript:alert(1)', 'https:example.com', ' https://example.com', 'https://exa mple.com', 'http://[::1]/', 'https://例え.jp/') },
);
const numericId = fc.oneof(fc.constantFrom('1', '24681357', '0'), fc.stringMatching(/^[0-9]{1,20}$/), fc.constantFrom('9'.repeat(400)));
const id = fc.oneof({ weight: 6, arbitrary: numericId }, { weight: 2, arbitrary: text });
const bool = fc.boolean();
/** An enum value: mostly known ones, sometimes out of range (what a hand-built object can hold). */
const enumOf = (e: Record<string, string | number>) => {
  const known = Object.values(e).filter((v): v is number => typeof v === 'number' && v >= 0);
  return fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...known) }, { weight: 1, arbitrary: fc.constantFrom(-1, known.length, 99, 1.5) });
};
/** A list whose length sometimes sits right at or past `max`. */
const list = <T>(item: fc.Arbitrary<T>, max: number, usual = 3) =>
  fc.oneof(
    { weight: 9, arbitrary: fc.array(item, { maxLength: Math.min(usual, max + 1) }) },
    // One item repeated: as likely to be valid as a single one, so the count is what is tested.
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(max, max + 1), item).map(([n, x]) => Array.from({ length: n }, () => x)) },
  );
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 3 });
const oneofCase = <K extends string, V>(key: K, value: fc.Arbitrary<V>) => value.map((v) => ({ $case: key, value: v }));
const money = fc.oneof({ weight: 9, arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true }) }, { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Infinity, -0, 1e308) });

// ---------------------------------------------------------------- the model

const recipient: fc.Arbitrary<Recipient | undefined> = fc.oneof(
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constant({ identifier: undefined }) },
  {
    weight: 12,
    arbitrary: fc.oneof(
      { weight: 6, arbitrary: oneofCase('id' as const, id) },
      { weight: 1, arbitrary: oneofCase('userRef' as const, label) },
      { weight: 1, arbitrary: oneofCase('postId' as const, label) },
      { weight: 1, arbitrary: oneofCase('commentId' as const, label) },
      { weight: 1, arbitrary: oneofCase('notificationMessagesToken' as const, label) },
      { weight: 1, arbitrary: oneofCase('oneTimeNotifToken' as const, label) },
      { weight: 1, arbitrary: oneofCase('phoneNumber' as const, fc.record({ phoneNumber: fc.oneof(fc.constant('+15551234567'), text), firstName: text, lastName: text })) },
    ).map((identifier) => ({ identifier })),
  },
);

const webview = { url, webviewHeightRatio: enumOf(WebviewHeightRatio), messengerExtensions: bool, fallbackUrl: fc.oneof(fc.constant(''), url), hideShareButton: bool };
const defaultAction: fc.Arbitrary<DefaultAction> = fc.record(webview);
const button: fc.Arbitrary<Button> = fc.oneof(
  { weight: 1, arbitrary: fc.constant({ kind: undefined }) },
  {
    weight: 12,
    arbitrary: fc.oneof(
      oneofCase('webUrl' as const, fc.record({ title: label, ...webview })),
      oneofCase('postback' as const, fc.record({ title: label, payload: fc.oneof(label, aroundLimit(1000)) })),
      oneofCase('phoneNumber' as const, fc.record({ title: label, phoneNumber: fc.oneof({ weight: 3, arbitrary: fc.constant('+15551234567') }, { weight: 1, arbitrary: text }) })),
      oneofCase('accountLink' as const, fc.record({ url })),
      oneofCase('accountUnlink' as const, fc.constant({})),
      oneofCase('gamePlay' as const, fc.record({ title: label, payload: text, playerId: fc.oneof(fc.constant(''), label), contextId: fc.oneof(fc.constant(''), label) })),
    ).map((kind) => ({ kind })),
  },
);
const buttons = list(button, 3, 2);

const template: fc.Arbitrary<Template> = fc.oneof(
  { weight: 1, arbitrary: fc.constant({ kind: undefined }) },
  {
    weight: 14,
    arbitrary: fc.oneof(
      oneofCase('generic' as const, fc.record({
        elements: list(fc.record({ title: label, subtitle: text, imageUrl: fc.oneof(fc.constant(''), url), defaultAction: maybe(defaultAction), buttons }), 10, 2),
        sharable: bool,
        imageAspectRatio: enumOf(GenericTemplate_ImageAspectRatio),
      })),
      oneofCase('button' as const, fc.record({ text: fc.oneof(label, aroundLimit(640)), buttons, sharable: bool })),
      oneofCase('media' as const, fc.record({
        element: maybe(fc.record({
          mediaType: enumOf(MediaElement_MediaKind),
          source: fc.oneof(fc.constant(undefined), oneofCase('url' as const, url), oneofCase('attachmentId' as const, id)),
          buttons,
        })),
        sharable: bool,
      })),
      oneofCase('receipt' as const, fc.record({
        recipientName: label,
        merchantName: text,
        orderNumber: label,
        currency: fc.oneof(fc.constantFrom('USD', 'eur'), text),
        paymentMethod: label,
        timestamp: fc.oneof(fc.constant(''), numericId, text),
        orderUrl: fc.oneof(fc.constant(''), url),
        sharable: bool,
        elements: list(fc.record({ title: label, subtitle: text, quantity: fc.integer({ min: -2, max: 1000 }), price: money, currency: fc.oneof(fc.constant(''), fc.constant('USD'), text), imageUrl: fc.oneof(fc.constant(''), url) }), 100, 2),
        address: maybe(fc.record({ street1: label, street2: text, city: label, postalCode: label, state: label, country: label })),
        summary: maybe(fc.record({ subtotal: maybe(money), shippingCost: maybe(money), totalTax: maybe(money), totalCost: money })),
        adjustments: list(fc.record({ name: label, amount: money }), 100, 2),
      })),
      oneofCase('product' as const, fc.record({ productIds: list(fc.oneof(numericId, text), 10, 3) })),
      oneofCase('coupon' as const, fc.record({
        title: label, couponCode: label, subtitle: text, couponPreMessage: text, imageUrl: fc.oneof(fc.constant(''), url),
        couponUrl: fc.oneof(fc.constant(''), url), couponUrlButtonTitle: text, payload: text,
      })),
      oneofCase('customerFeedback' as const, fc.record({
        title: label, subtitle: label, buttonTitle: label,
        feedbackScreens: list(fc.record({
          questions: list(fc.record({ id: label, type: enumOf(FeedbackQuestion_QuestionType), title: text, scoreLabel: text, scoreOption: text, followUpPlaceholder: text }), 1, 1),
        }), 1, 1),
        businessPrivacyUrl: url,
        expiresInDays: fc.oneof({ weight: 9, arbitrary: fc.integer({ min: 0, max: 7 }) }, { weight: 1, arbitrary: fc.constantFrom(-1, 8, 1.5) }),
      })),
    ).map((kind) => ({ kind })),
  },
);

const utilityTemplate: fc.Arbitrary<UtilityTemplate> = fc.record({
  name: label,
  languageCode: fc.oneof(fc.constantFrom('en_US', 'fr'), text),
  components: list(fc.record({
    type: enumOf(UtilityComponent_ComponentType),
    parameters: list(fc.record({
      kind: fc.oneof(fc.constant(undefined), oneofCase('text' as const, label), oneofCase('postbackPayload' as const, label), oneofCase('urlSuffix' as const, label)),
      parameterName: text,
    }), 100, 2),
  }), 20, 2),
});

const imageSource = fc.record({ source: fc.oneof(fc.constant(undefined), oneofCase('url' as const, url), oneofCase('attachmentId' as const, id)) });
const quickReply = fc.record({
  contentType: enumOf(QuickReply_ContentType),
  title: fc.oneof(label, fc.constant(''), aroundLimit(20)),
  payload: fc.oneof(label, fc.constant(''), aroundLimit(1000)),
  imageUrl: fc.oneof({ weight: 3, arbitrary: fc.constant('') }, { weight: 1, arbitrary: url }),
});

const message: fc.Arbitrary<Message> = fc.record({
  content: fc.oneof(
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 4, arbitrary: oneofCase('text' as const, fc.oneof(label, text, aroundLimit(2000))) },
    {
      weight: 4,
      arbitrary: oneofCase('attachment' as const, fc.oneof(
        { weight: 1, arbitrary: fc.constant({ kind: undefined }) },
        { weight: 3, arbitrary: oneofCase('media' as const, fc.record({ type: enumOf(MediaType), source: fc.oneof(fc.constant(undefined), oneofCase('url' as const, url), oneofCase('attachmentId' as const, id)), isReusable: bool })).map((kind) => ({ kind })) },
        { weight: 8, arbitrary: oneofCase('template' as const, template).map((kind) => ({ kind })) },
      )),
    },
    { weight: 2, arbitrary: oneofCase('attachments' as const, fc.record({ images: list(imageSource, 30, 3) })) },
    { weight: 2, arbitrary: oneofCase('template' as const, utilityTemplate) },
  ),
  quickReplies: list(quickReply, 13, 2),
  metadata: fc.oneof({ weight: 4, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.oneof(text, aroundLimit(1000)) }),
});

/** JSON, and sometimes what only a hand-built object holds (NaN, Infinity, undefined). */
const threadControl = fc.oneof(
  { weight: 6, arbitrary: fc.constant(undefined) },
  { weight: 2, arbitrary: fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }) as fc.Arbitrary<Record<string, unknown>> },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 4 }), fc.constantFrom<unknown>(Number.NaN, Infinity, undefined, [Number.NaN]), { minKeys: 1, maxKeys: 2 }) },
);

const idempotencyKey = fc.oneof({ weight: 4, arbitrary: fc.constant('') }, { weight: 2, arbitrary: label }, { weight: 1, arbitrary: aroundLimit(256) });

/** Mostly coherent type/tag/content combinations, sometimes anything. */
const sendMessageRequest: fc.Arbitrary<SendMessageRequest> = fc
  .record({
    pageId: fc.oneof({ weight: 12, arbitrary: fc.constant('1001') }, { weight: 1, arbitrary: fc.constantFrom('', '1002', 'abc') }),
    recipient,
    message: fc.oneof({ weight: 15, arbitrary: message }, { weight: 1, arbitrary: fc.constant(undefined) }),
    messagingType: enumOf(MessagingType),
    notificationType: enumOf(NotificationType),
    tag: fc.oneof({ weight: 4, arbitrary: fc.constant(MessageTag.MESSAGE_TAG_UNSPECIFIED) }, { weight: 1, arbitrary: enumOf(MessageTag) }),
    personaId: fc.oneof({ weight: 4, arbitrary: fc.constant('') }, { weight: 1, arbitrary: id }),
    replyTo: fc.oneof({ weight: 4, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.oneof(fc.constant('m_abc'), text) }),
    threadControl,
    idempotencyKey,
    coherent: fc.boolean(),
  })
  .map(({ coherent, ...req }) => {
    if (!coherent) return req as SendMessageRequest;
    // Make the type follow the content so that valid requests of every kind are common.
    const content = req.message?.content;
    const isFeedback = content?.$case === 'attachment' && content.value.kind?.$case === 'template' && content.value.kind.value.kind?.$case === 'customerFeedback';
    if (content?.$case === 'template') return { ...req, messagingType: MessagingType.MESSAGING_TYPE_UTILITY, tag: MessageTag.MESSAGE_TAG_UNSPECIFIED } as SendMessageRequest;
    if (isFeedback) return { ...req, messagingType: MessagingType.MESSAGING_TYPE_MESSAGE_TAG, tag: MessageTag.MESSAGE_TAG_CUSTOMER_FEEDBACK } as SendMessageRequest;
    // messaging_type is required: a coherent request always sets one (the incoherent ones test the refusal).
    const typeless = [MessagingType.MESSAGING_TYPE_UTILITY, MessagingType.MESSAGING_TYPE_MESSAGE_TAG, MessagingType.MESSAGING_TYPE_UNSPECIFIED];
    const type = typeless.includes(req.messagingType) ? MessagingType.MESSAGING_TYPE_RESPONSE : req.messagingType;
    return { ...req, messagingType: type, tag: MessageTag.MESSAGE_TAG_UNSPECIFIED } as SendMessageRequest;
  });

const senderActionRequest: fc.Arbitrary<SendSenderActionRequest> = fc.record({
  pageId: fc.oneof({ weight: 12, arbitrary: fc.constant('1001') }, { weight: 1, arbitrary: fc.constantFrom('', '1002') }),
  recipient,
  action: enumOf(SenderAction),
  payload: maybe(fc.record({ messageId: fc.oneof(fc.constant('m_1'), text), reaction: fc.oneof(fc.constantFrom('love', '😀', ''), text) })),
  personaId: fc.oneof({ weight: 3, arbitrary: fc.constant('') }, { weight: 1, arbitrary: id }),
  idempotencyKey,
});

const uploadMetadata: fc.Arbitrary<UploadMetadata> = fc.record({
  pageId: fc.oneof({ weight: 12, arbitrary: fc.constant('1001') }, { weight: 1, arbitrary: fc.constantFrom('', '1002') }),
  type: enumOf(MediaType),
  source: fc.oneof(
    fc.constant(undefined),
    oneofCase('url' as const, url),
    oneofCase('file' as const, fc.record({
      filename: fc.oneof(fc.constantFrom('a.png', 'song.mp3', 'x"y\r\n.pdf'), text),
      contentType: fc.oneof(fc.constantFrom('image/png', 'audio/mpeg', 'application/pdf', 'text/plain; charset=utf-8', 'audio/ogg;codecs=opus'), text),
      size: maybe(fc.oneof(fc.constantFrom('1', '26214400', '26214401', '-1', '1e3'), fc.stringMatching(/^[0-9]{1,9}$/))),
    })),
  ),
});

// ---------------------------------------------------------------- properties

/**
 * Disagreements this suite once found between the gateway (validator + translator) and the
 * sandbox's Graph validator, all fixed; each is pinned by a minimal case below, and the
 * properties are strict: any gateway-valid request the Graph validator refuses fails them.
 *  D1 media URLs the WHATWG parser repairs ("https:example.com", " https://…"),
 *  D2/D3 utility template components and parameters past the sandbox's bounds,
 *  D4 receipt adjustments past 100, D5 a receipt timestamp of 309+ digits.
 */

const isConfigured = (page: string) => page === '1001';

function wellFormed(violations: FieldViolation[]): boolean {
  return violations.every((v) => typeof v.field === 'string' && v.field !== '' && typeof v.description === 'string' && v.description !== '');
}

/** Graph JSON as it crosses the wire. */
const wire = (body: object): unknown => JSON.parse(JSON.stringify(body));

describe('property: the validator and the translator agree with the Graph validator', () => {
  it('SendMessageRequest: refused with described violations, or translated into Graph JSON the sandbox accepts', () => {
    fc.assert(
      fc.property(sendMessageRequest, (req) => {
        const violations = validateSendMessage(req, isConfigured);
        if (violations.length > 0) return wellFormed(violations);
        const graphError = validateGraphSend(wire(toGraphMessageBody(req)));
        if (graphError) throw new Error(`gateway-valid request refused by the Graph validator: ${graphError.error.message}`);
        return true;
      }),
      { numRuns: PURE_RUNS, seed: SEED },
    );
  });

  it('SendSenderActionRequest: refused with described violations, or translated into Graph JSON the sandbox accepts', () => {
    fc.assert(
      fc.property(senderActionRequest, (req) => {
        const violations = validateSenderAction(req, isConfigured);
        if (violations.length > 0) return wellFormed(violations);
        const graphError = validateGraphSend(wire(toGraphSenderActionBody(req)));
        if (graphError) throw new Error(`gateway-valid request refused by the Graph validator: ${graphError.error.message}`);
        return true;
      }),
      { numRuns: PURE_RUNS, seed: SEED },
    );
  });

  it('UploadMetadata: refused with described violations, or an upload body (and file) the sandbox accepts', () => {
    fc.assert(
      fc.property(uploadMetadata, fc.integer({ min: 1, max: 25 * 1024 * 1024 }), (meta, bytes) => {
        const violations = validateUploadMetadata(meta, isConfigured);
        if (violations.length > 0) return wellFormed(violations);
        const file = meta.source?.$case === 'file' ? { contentType: meta.source.value.contentType, size: meta.source.value.size === undefined ? bytes : Number(meta.source.value.size) } : undefined;
        const graphError = validateGraphUpload(wire({ message: toGraphUploadMessage(meta) }), file);
        if (graphError) throw new Error(`gateway-valid upload refused by the Graph validator: ${graphError.error.message}`);
        return true;
      }),
      { numRuns: PURE_RUNS, seed: SEED },
    );
  });
});

/** The minimal counterexamples of D1-D5: each must be refused by the gateway or accepted by the sandbox. */
describe('fixed discrepancies between the gateway and the sandbox (minimal cases)', () => {
  const base = { pageId: '1001', recipient: { identifier: { $case: 'id' as const, value: '1' } }, messagingType: MessagingType.MESSAGING_TYPE_RESPONSE };
  const receipt = (extra: object) => ({
    ...base,
    message: { content: { $case: 'attachment' as const, value: { kind: { $case: 'template' as const, value: { kind: { $case: 'receipt' as const, value: {
      recipientName: 'A', orderNumber: '1', currency: 'USD', paymentMethod: 'Visa', summary: { totalCost: 1 }, ...extra,
    } } } } } } },
  });
  const utility = (components: object[]) => ({
    ...base,
    messagingType: MessagingType.MESSAGING_TYPE_UTILITY,
    message: { content: { $case: 'template' as const, value: { name: 'n', languageCode: 'en_US', components } } },
  });
  const cases: [string, Parameters<typeof SendMessageRequest.fromPartial>[0]][] = [
    ['D1 message.attachments.images[0].url "https:example.com"', { ...base, message: { content: { $case: 'attachments', value: { images: [{ source: { $case: 'url', value: 'https:example.com' } }] } } } }],
    ['D1 message.attachment.media.url " https://example.com/a.png"', { ...base, message: { content: { $case: 'attachment', value: { kind: { $case: 'media', value: { type: MediaType.MEDIA_TYPE_IMAGE, source: { $case: 'url', value: ' https://example.com/a.png' } } } } } } }],
    ['D2 message.template.components: 21', utility(Array.from({ length: 21 }, () => ({ type: UtilityComponent_ComponentType.COMPONENT_TYPE_BODY })))],
    ['D3 message.template.components[0].parameters: 101', utility([{ type: UtilityComponent_ComponentType.COMPONENT_TYPE_BODY, parameters: Array.from({ length: 101 }, () => ({ kind: { $case: 'text' as const, value: 'x' } })) }])],
    ['D4 receipt adjustments: 101', receipt({ adjustments: Array.from({ length: 101 }, () => ({ name: 'a', amount: 1 })) })],
    ['D5 receipt timestamp: 400 digits', receipt({ timestamp: '9'.repeat(400) })],
  ];
  it.each(cases)('%s', (_name, partial) => {
    const req = SendMessageRequest.fromPartial(partial);
    const violations = validateSendMessage(req, isConfigured);
    if (violations.length > 0) return;
    expect(validateGraphSend(wire(toGraphMessageBody(req)))?.error.message).toBeUndefined();
  });
  it('D1 upload url "https:example.com"', () => {
    const meta: UploadMetadata = { pageId: '1001', type: MediaType.MEDIA_TYPE_IMAGE, source: { $case: 'url', value: 'https:example.com' } };
    if (validateUploadMetadata(meta, isConfigured).length > 0) return;
    expect(validateGraphUpload(wire({ message: toGraphUploadMessage(meta) }))?.error.message).toBeUndefined();
  });
});

describe('property: end to end through the gateway and the sandbox', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
    // Generated reactions name made-up message ids: the sandbox, like Graph, would refuse them.
    // This property is about the gateway's validation and translation, not about known messages.
    gw.sandbox!.setReactionCheck(false);
  });
  afterAll(async () => {
    await gw.close();
  });

  /** OK, or INVALID_ARGUMENT from the gateway's validation: never INTERNAL or UNKNOWN. */
  function judge(err: ServiceError | undefined): void {
    if (!err) return;
    const d = decodeStatusDetails(err.metadata);
    const violations = d.badRequest?.fieldViolations ?? [];
    expect({ code: status[err.code], reason: d.errorInfo?.reason, details: err.details }).toMatchObject({ code: 'INVALID_ARGUMENT', reason: 'INVALID_REQUEST' });
    expect(violations.length).toBeGreaterThanOrEqual(1);
    for (const v of violations) expect(v.field !== '' && v.description !== '').toBe(true);
  }

  /** Whether a request has a wire form (1.5 as an enum or NaN-free JSON holes do not). */
  function encodable<T>(type: { encode(m: T): { finish(): Uint8Array } }, m: T): boolean {
    try {
      type.encode(m).finish();
      return true;
    } catch {
      return false;
    }
  }

  // Two different requests under one idempotency key are refused on purpose; keys stay unique
  // (and keep their length class: short ones get a suffix, long ones are left as they are).
  let keys = 0;
  function uniqueKey<T extends { idempotencyKey: string }>(req: T): T {
    return req.idempotencyKey !== '' && req.idempotencyKey.length < 200 ? { ...req, idempotencyKey: `${req.idempotencyKey}-${++keys}` } : req;
  }

  // Recipient values the sandbox treats as magic (error-..., delay-...) would fail on purpose.
  const ordinary = (r: Recipient | undefined) => {
    const v = r?.identifier?.$case === 'phoneNumber' ? r.identifier.value.phoneNumber : r?.identifier?.value;
    return typeof v !== 'string' || !/^(error|delay)-/.test(v);
  };

  it('SendMessage', async () => {
    await fc.assert(
      fc.asyncProperty(sendMessageRequest.filter((r) => ordinary(r.recipient) && encodable(SendMessageRequest, r)), async (req) => {
        judge(await gw.send(uniqueKey(req)).then(() => undefined, (e: ServiceError) => e));
      }),
      { numRuns: E2E_RUNS, seed: SEED },
    );
  });

  it('SendSenderAction', async () => {
    await fc.assert(
      fc.asyncProperty(senderActionRequest.filter((r) => ordinary(r.recipient) && encodable(SendSenderActionRequest, r)), async (req) => {
        judge(await gw.action(uniqueKey(req)).then(() => undefined, (e: ServiceError) => e));
      }),
      { numRuns: E2E_RUNS, seed: SEED },
    );
  });

  it('UploadAttachment', async () => {
    await fc.assert(
      fc.asyncProperty(uploadMetadata.filter((m) => encodable(UploadAttachmentRequest, { part: { $case: 'metadata', value: m } })), async (meta) => {
        const err = await new Promise<ServiceError | undefined>((resolve) => {
          const call = gw.client.uploadAttachment({ deadline: Date.now() + 10_000 }, (e) => resolve(e ?? undefined));
          call.write(UploadAttachmentRequest.fromPartial({ part: { $case: 'metadata', value: meta } }));
          if (meta.source?.$case === 'file') {
            const n = meta.source.value.size !== undefined && /^[0-9]{1,4}$/.test(meta.source.value.size) ? Number(meta.source.value.size) : 16;
            if (n > 0) call.write({ part: { $case: 'chunk', value: Buffer.alloc(n, 7) } });
          }
          call.end();
        });
        judge(err);
      }),
      { numRuns: E2E_RUNS, seed: SEED },
    );
  });
});
