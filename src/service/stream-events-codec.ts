/**
 * The wire form of `StreamEventsResponse`, written straight into one buffer: field 1 the
 * event (its stored bytes when the store kept them, see encoded-event.ts), field 2 the delivery
 * attempt. The same bytes as the generated encoder, without its nested fork/join and the copy
 * `Buffer.from(finish())` makes; grpc-js copies the result once more to frame it.
 */
import { StreamEventsResponse } from '../../gen/messenger/v1/events';
import { encodingOf } from '../events/encoded-event';

const EVENT_TAG = 0x0a; // field 1, length-delimited
const ATTEMPT_TAG = 0x10; // field 2, varint

export function encodeStreamEventsResponse(value: StreamEventsResponse): Buffer {
  const attempt = value.deliveryAttempt;
  // Negative or fractional attempts never come from a store; leave them to the generated encoder.
  if (value.event === undefined || attempt < 0 || !Number.isInteger(attempt) || attempt > 0x7fffffff) {
    return Buffer.from(StreamEventsResponse.encode(value).finish());
  }
  const event = encodingOf(value.event);
  const n = event.length;
  const size = 1 + varintLength(n) + n + (attempt === 0 ? 0 : 1 + varintLength(attempt));
  const out = Buffer.allocUnsafe(size);
  out[0] = EVENT_TAG;
  let pos = writeVarint(out, 1, n);
  out.set(event, pos);
  pos += n;
  if (attempt !== 0) {
    out[pos++] = ATTEMPT_TAG;
    writeVarint(out, pos, attempt);
  }
  return out;
}

function varintLength(v: number): number {
  let len = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    len++;
  }
  return len;
}

/** Writes `v` (a non-negative integer below 2^53) at `pos`; returns the position after it. */
function writeVarint(out: Buffer, pos: number, v: number): number {
  while (v >= 0x80) {
    out[pos++] = (v & 0x7f) | 0x80;
    v = Math.floor(v / 128);
  }
  out[pos++] = v;
  return pos;
}
