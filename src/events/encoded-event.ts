/**
 * The protobuf bytes an event was stored as, kept beside the decoded event so that delivering
 * it does not encode it again (the Redis store reads events as bytes; decoding them is needed for
 * routing, encoding them again for the stream is not). Weakly held: an event no store holds any
 * more takes its bytes with it.
 */
import { Event } from '../../gen/messenger/v1/events';

const bytesOf = new WeakMap<Event, Uint8Array>();

/** Records that `bytes` is this event's encoding (`Event.encode(event)`, or what it was decoded from). */
export function rememberEncoding(event: Event, bytes: Uint8Array): void {
  bytesOf.set(event, bytes);
}

/** The event's protobuf encoding: the remembered bytes, else encoded now. */
export function encodingOf(event: Event): Uint8Array {
  return bytesOf.get(event) ?? Event.encode(event).finish();
}
