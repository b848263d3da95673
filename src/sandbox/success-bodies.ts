// The bodies Graph answers successful sends and uploads with, and the fake ids in them.

import { createHash, randomBytes, randomInt } from 'node:crypto';
import { isObject } from './json-checks';
import { recipientKey } from './graph-validator';

/** A message id like Graph's: `m_` and an opaque base64url string. */
export function fakeMessageId(): string {
  return `m_${randomBytes(30).toString('base64url')}`;
}

/** A numeric attachment id (a string, as Graph sends ids). */
export function fakeAttachmentId(): string {
  // randomInt takes ranges below 2^48 only: build the 16 digits from two halves.
  return `${randomInt(1e7, 1e8)}${String(randomInt(0, 1e8)).padStart(8, '0')}`;
}

/** A 16-digit numeric id that is always the same for the same input. */
export function stableNumericId(input: string): string {
  const digest = createHash('sha256').update(input).digest();
  const n = digest.readBigUInt64BE(0) % 9_000_000_000_000_000n + 1_000_000_000_000_000n;
  return n.toString();
}

/** The `recipient_id` Graph reports: the PSID, a stable fake one, or none for user_ref/phone_number. */
export function recipientId(recipient: unknown): string | undefined {
  if (!isObject(recipient)) return undefined;
  const key = recipientKey(recipient);
  if (key === undefined || key === 'user_ref' || key === 'phone_number') return undefined;
  const value = recipient[key];
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value : '';
  return key === 'id' ? text : stableNumericId(`${key}:${text}`);
}

/** The answer to a valid `/messages` call (message or sender action). */
export function sendSuccess(body: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  const id = recipientId(body.recipient);
  if (id !== undefined) out.recipient_id = id;
  if (body.sender_action !== undefined) return out;
  out.message_id = fakeMessageId();
  if (isReusableMedia(body.message)) out.attachment_id = fakeAttachmentId();
  return out;
}

/** The answer to a valid `/message_attachments` call. */
export function uploadSuccess(): Record<string, string> {
  return { attachment_id: fakeAttachmentId() };
}

function isReusableMedia(message: unknown): boolean {
  if (!isObject(message) || !isObject(message.attachment)) return false;
  const { type, payload } = message.attachment;
  return typeof type === 'string' && type.toLowerCase() !== 'template' && isObject(payload) && payload.is_reusable === true;
}
