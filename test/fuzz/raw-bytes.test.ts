// Raw protobuf fuzzing: random bytes and mutated valid encodings (bit flips, truncation, wrong
// lengths, splices, junk fields) sent as-is to every RPC through a raw grpc-js Client, against a
// sandbox gateway. Every call must end, in time, with OK, INVALID_ARGUMENT (with the gateway's
// BadRequest), or - exactly for bytes ts-proto cannot decode, checked by decoding them here -
// grpc-js's standard "Error deserializing request" (INTERNAL). Never UNKNOWN, never a hang, and
// the server answers a valid request at the end.

import { Client, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaType, MessagingType, SenderAction } from '../../gen/messenger/v1/enums';
import { QuickReply_ContentType } from '../../gen/messenger/v1/message';
import {
  SendMessageRequest,
  SendMessageResponse,
  SendSenderActionRequest,
  UploadAttachmentRequest,
} from '../../gen/messenger/v1/service';
import { WebviewHeightRatio } from '../../gen/messenger/v1/template';
import { decodeStatusDetails } from '../../src/errors/decode-status-details';
import { startTestGateway, type TestGateway } from '../support/gateway-harness';

const SEED = 0x5eed_8;
const DEADLINE_MS = 5_000;
const CONCURRENCY = 16;
const SERVICE = '/messenger.v1.MessengerService';
const identity = (b: Buffer): Buffer => b;

/** mulberry32: a small seeded PRNG, so that a failure names a reproducible case. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rand = prng(SEED);
const int = (n: number) => Math.floor(rand() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
const randomBytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));

const recipient = { identifier: { $case: 'id' as const, value: '24681357' } };

/** Valid encodings of every RPC's request, the seeds of the mutations. */
const SEEDS = {
  SendMessage: [
    { pageId: '1001', recipient, messagingType: MessagingType.MESSAGING_TYPE_RESPONSE, message: { content: { $case: 'text' as const, value: 'hello 😀' } } },
    {
      pageId: '1001',
      recipient,
      messagingType: MessagingType.MESSAGING_TYPE_RESPONSE,
      message: {
        content: {
          $case: 'attachment' as const,
          value: {
            kind: {
              $case: 'template' as const,
              value: {
                kind: {
                  $case: 'generic' as const,
                  value: {
                    elements: [{
                      title: 'Card',
                      subtitle: 'sub',
                      buttons: [
                        { kind: { $case: 'webUrl' as const, value: { title: 'Open', url: 'https://example.com', webviewHeightRatio: WebviewHeightRatio.WEBVIEW_HEIGHT_RATIO_TALL } } },
                        { kind: { $case: 'postback' as const, value: { title: 'Go', payload: 'GO' } } },
                      ],
                    }],
                  },
                },
              },
            },
          },
        },
        quickReplies: [{ contentType: QuickReply_ContentType.CONTENT_TYPE_TEXT, title: 'Yes', payload: 'Y' }],
        metadata: 'meta',
      },
      threadControl: { app: 'x', n: 1, list: [true, null] },
    },
  ].map((r) => Buffer.from(SendMessageRequest.encode(SendMessageRequest.fromPartial(r)).finish())),
  SendSenderAction: [
    { pageId: '1001', recipient, action: SenderAction.SENDER_ACTION_TYPING_ON },
    { pageId: '1001', recipient, action: SenderAction.SENDER_ACTION_REACT, payload: { messageId: 'm_1', reaction: 'love' } },
  ].map((r) => Buffer.from(SendSenderActionRequest.encode(SendSenderActionRequest.fromPartial(r)).finish())),
  UploadMetadata: [
    { part: { $case: 'metadata' as const, value: { pageId: '1001', type: MediaType.MEDIA_TYPE_IMAGE, source: { $case: 'url' as const, value: 'https://example.com/a.png' } } } },
    { part: { $case: 'metadata' as const, value: { pageId: '1001', type: MediaType.MEDIA_TYPE_FILE, source: { $case: 'file' as const, value: { filename: 'a.pdf', contentType: 'application/pdf', size: '5' } } } } },
  ].map((r) => Buffer.from(UploadAttachmentRequest.encode(UploadAttachmentRequest.fromPartial(r)).finish())),
};
const CHUNK = Buffer.from(UploadAttachmentRequest.encode({ part: { $case: 'chunk', value: Buffer.from('%PDF-') } }).finish());

/** One mutation of a valid encoding, named so that a failure tells what was done. */
function mutate(valid: Buffer): { how: string; bytes: Buffer } {
  const b = Buffer.from(valid);
  switch (int(7)) {
    case 0: {
      const flips = 1 + int(3);
      for (let i = 0; i < flips; i++) b[int(b.length)] ^= 1 << int(8);
      return { how: `${flips} bit flip(s)`, bytes: b };
    }
    case 1: {
      const at = int(b.length);
      return { how: `truncated at ${at}`, bytes: b.subarray(0, at) };
    }
    case 2: {
      // A length prefix made wrong: the byte after a length-delimited key (wire type 2).
      const keys = [...b.keys()].filter((i) => (b[i] & 7) === 2 && i + 1 < b.length);
      if (keys.length === 0) return { how: 'no length to break', bytes: b };
      const i = pick(keys) + 1;
      b[i] = pick([0, 0x7f, 0xff, b[i] + 1, b[i] - 1].map((x) => x & 0xff));
      return { how: `length at ${i} set to ${b[i]}`, bytes: b };
    }
    case 3: {
      const at = int(b.length + 1);
      const junk = randomBytes(1 + int(8));
      return { how: `${junk.length} random bytes inserted at ${at}`, bytes: Buffer.concat([b.subarray(0, at), junk, b.subarray(at)]) };
    }
    case 4:
      // Repeated fields and merged messages: valid protobuf, decoded as a merge.
      return { how: 'concatenated with itself', bytes: Buffer.concat([b, b]) };
    case 5: {
      // An unknown field of every wire type: decoders must skip it.
      const field = 100 + int(1000);
      const wire = pick([0, 1, 2, 5]);
      const key = Buffer.from([((field << 3) | wire) & 0x7f | 0x80, field >> 4]);
      const value = wire === 0 ? Buffer.from([0x96, 0x01]) : wire === 1 ? randomBytes(8) : wire === 5 ? randomBytes(4) : Buffer.from([3, 0x61, 0x62, 0x63]);
      return { how: `unknown field ${field} wire type ${wire} appended`, bytes: Buffer.concat([b, key, value]) };
    }
    default: {
      // A 10-byte varint that overflows, or a deprecated group wire type.
      const bad = pick([Buffer.from([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), Buffer.from([0x0b]), Buffer.from([0x0c]), Buffer.from([0x07])]);
      return { how: `appended ${bad.toString('hex')}`, bytes: Buffer.concat([b, bad]) };
    }
  }
}

/** `count` random or mutated inputs from `seeds`. */
function inputs(seeds: Buffer[], count: number): { how: string; bytes: Buffer }[] {
  const out: { how: string; bytes: Buffer }[] = [{ how: 'empty', bytes: Buffer.alloc(0) }];
  while (out.length < count) {
    if (rand() < 0.35) {
      const n = pick([1, 2, 3, 8, 32, 200, 2048]);
      out.push({ how: `${n} random bytes`, bytes: randomBytes(1 + int(n)) });
    } else {
      out.push(mutate(pick(seeds)));
    }
  }
  return out;
}

/** Whether ts-proto, the server's deserializer, throws on these bytes. */
function undecodable(decode: (b: Buffer) => unknown, bytes: Buffer): boolean {
  try {
    decode(bytes);
    return false;
  } catch {
    return true;
  }
}

type Outcome = { code: status; details: string; err?: ServiceError };

let gw: TestGateway;
let raw: Client;
beforeAll(async () => {
  gw = await startTestGateway();
  // Mutations make up message ids and pages: the sandbox, like Graph, would refuse a reaction to a
  // message it does not know. This test is about the gateway's decoding, not about known messages.
  gw.sandbox!.setReactionCheck(false);
  raw = new Client(gw.target, credentials.createInsecure());
});
afterAll(async () => {
  raw.close();
  await gw.close();
});

function unary(method: string, bytes: Buffer): Promise<Outcome> {
  return new Promise((resolve) => {
    raw.makeUnaryRequest(`${SERVICE}/${method}`, identity, identity, bytes, new Metadata(), { deadline: Date.now() + DEADLINE_MS }, (err) =>
      resolve(err ? { code: err.code, details: err.details, err } : { code: status.OK, details: '' }),
    );
  });
}

function upload(messages: Buffer[]): Promise<Outcome> {
  return new Promise((resolve) => {
    const call = raw.makeClientStreamRequest(`${SERVICE}/UploadAttachment`, identity, identity, new Metadata(), { deadline: Date.now() + DEADLINE_MS }, (err) =>
      resolve(err ? { code: err.code, details: err.details, err } : { code: status.OK, details: '' }),
    );
    call.on('error', () => undefined);
    for (const m of messages) call.write(m);
    call.end();
  });
}

async function pool<T, R>(items: T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  }));
  return results;
}

/** What every answer must be: `problems` collects the cases that break the rule. */
function judge(label: string, decodes: boolean, o: Outcome, problems: string[]): void {
  const name = status[o.code];
  if (!decodes) {
    if (o.code !== status.INTERNAL || o.details !== 'Error deserializing request') problems.push(`${label}: undecodable, but got ${name} "${o.details}"`);
    return;
  }
  if (o.code === status.OK) return;
  if (o.code !== status.INVALID_ARGUMENT) {
    problems.push(`${label}: decodes, but got ${name} "${o.details}"`);
    return;
  }
  const d = decodeStatusDetails(o.err?.metadata);
  const violations = d.badRequest?.fieldViolations ?? [];
  if (d.errorInfo?.reason !== 'INVALID_REQUEST' || violations.length === 0 || violations.some((v) => v.field === '' || v.description === '')) {
    problems.push(`${label}: INVALID_ARGUMENT without the gateway's BadRequest (reason ${d.errorInfo?.reason}, ${violations.length} violations): "${o.details}"`);
  }
}

describe('raw protobuf fuzzing of every RPC', () => {
  it.each([
    ['SendMessage', SEEDS.SendMessage, (b: Buffer) => SendMessageRequest.decode(b)],
    ['SendSenderAction', SEEDS.SendSenderAction, (b: Buffer) => SendSenderActionRequest.decode(b)],
  ] as const)('%s: 150 random and mutated requests each end with OK, INVALID_ARGUMENT or the deserialization error', async (method, seeds, decode) => {
    const cases = inputs([...seeds], 150);
    const counts: Record<string, number> = {};
    const problems: string[] = [];
    const outcomes = await pool(cases, (c) => unary(method, c.bytes));
    cases.forEach((c, i) => {
      const decodes = !undecodable(decode, c.bytes);
      counts[status[outcomes[i].code]] = (counts[status[outcomes[i].code]] ?? 0) + 1;
      judge(`${method} #${i} (${c.how}, ${c.bytes.toString('hex').slice(0, 80)})`, decodes, outcomes[i], problems);
    });
    expect(problems).toEqual([]);
    // The corpus reaches all three kinds of answer.
    expect(Object.keys(counts).sort()).toEqual(['INTERNAL', 'INVALID_ARGUMENT', 'OK']);
  });

  it('UploadAttachment: 150 streams of random and mutated messages end with OK, INVALID_ARGUMENT or the deserialization error', async () => {
    const metas = inputs(SEEDS.UploadMetadata, 150);
    const streams = metas.map((m) => {
      // Mutated metadata, then chunks (some mutated) for file sources; random extra messages otherwise.
      const tail = pick([[], [CHUNK], [mutate(CHUNK).bytes], [CHUNK, randomBytes(1 + int(16))]]);
      return { how: `${m.how} + ${tail.length} more`, messages: [m.bytes, ...tail] };
    });
    const decode = (b: Buffer) => UploadAttachmentRequest.decode(b);
    const counts: Record<string, number> = {};
    const problems: string[] = [];
    const outcomes = await pool(streams, (s) => upload(s.messages));
    streams.forEach((s, i) => {
      const o = outcomes[i];
      const label = `UploadAttachment #${i} (${s.how}: ${s.messages.map((m) => m.toString('hex').slice(0, 40)).join(' | ')})`;
      counts[status[o.code]] = (counts[status[o.code]] ?? 0) + 1;
      const firstDecodes = !undecodable(decode, s.messages[0]);
      const laterUndecodable = s.messages.slice(1).some((m) => undecodable(decode, m));
      // The handler may refuse on the first message before it reads a later, undecodable one;
      // it may also meet that one first. Success needs every message decoded.
      if (firstDecodes && laterUndecodable && o.code === status.INTERNAL) judge(label, false, o, problems);
      else if (firstDecodes && laterUndecodable && o.code === status.OK) problems.push(`${label}: OK although a message does not decode`);
      else judge(label, firstDecodes, o, problems);
    });
    expect(problems).toEqual([]);
    expect(Object.keys(counts).sort()).toEqual(['INTERNAL', 'INVALID_ARGUMENT', 'OK']);
  });

  it('the server still answers a valid request of every RPC afterwards', async () => {
    for (const [method, bytes] of [['SendMessage', SEEDS.SendMessage[0]], ['SendSenderAction', SEEDS.SendSenderAction[0]]] as const) {
      const o = await unary(method, bytes);
      expect(`${method}: ${status[o.code]} ${o.details}`).toBe(`${method}: OK `);
    }
    const o = await upload([SEEDS.UploadMetadata[1], CHUNK]);
    expect(`${status[o.code]} ${o.details}`).toBe('OK ');
  });
});
