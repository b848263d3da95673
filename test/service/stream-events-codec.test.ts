import { describe, expect, it } from 'vitest';
import { Event, StreamEventsResponse } from '../../gen/messenger/v1/events';
import { encodingOf, rememberEncoding } from '../../src/events/encoded-event';
import { encodeStreamEventsResponse } from '../../src/service/stream-events-codec';
import { newEvent } from '../events/event-fixtures';

const generated = (r: StreamEventsResponse) => Buffer.from(StreamEventsResponse.encode(r).finish());

describe('encodeStreamEventsResponse', () => {
  it('writes the same bytes as the generated encoder, for every attempt and event size', () => {
    for (const text of ['', 'hi', 'x'.repeat(200), 'ü'.repeat(20_000)]) {
      const { event } = newEvent('p1', 's1', { text });
      for (const deliveryAttempt of [0, 1, 5, 127, 128, 300, 2 ** 31 - 1]) {
        const r: StreamEventsResponse = { event, deliveryAttempt };
        expect(encodeStreamEventsResponse(r)).toEqual(generated(r));
      }
    }
  });

  it('falls back to the generated encoder for a response without an event or with a negative attempt', () => {
    const { event } = newEvent('p1', 's1');
    for (const r of [{ event: undefined, deliveryAttempt: 3 }, { event, deliveryAttempt: -1 }]) {
      expect(encodeStreamEventsResponse(r)).toEqual(generated(r));
    }
  });

  it('sends the bytes an event was stored as, and they decode to the event', () => {
    const { event } = newEvent('p1', 's1', { text: 'stored' });
    const stored = Event.encode({ ...event, receivedTime: new Date(1_700_000_000_000) }).finish();
    const decoded = Event.decode(stored);
    rememberEncoding(decoded, stored);
    expect(encodingOf(decoded)).toBe(stored);
    const out = encodeStreamEventsResponse({ event: decoded, deliveryAttempt: 2 });
    expect(out).toEqual(generated({ event: decoded, deliveryAttempt: 2 }));
    expect(StreamEventsResponse.decode(out)).toEqual({ event: decoded, deliveryAttempt: 2 });
  });
});
