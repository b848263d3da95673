import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter, TimedEvent } from '@opentelemetry/sdk-trace-base';
import type { Attributes, AttributeValue } from '@opentelemetry/api';
import { redactSecrets } from './secret-redaction';

/** Wraps an exporter so that no exported span carries a secret, in any attribute, event, status or name. */
export class RedactingSpanExporter implements SpanExporter {
  constructor(private readonly inner: SpanExporter) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.inner.export(spans.map(redactSpan), resultCallback);
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

function redactSpan(span: ReadableSpan): ReadableSpan {
  // The prototype keeps spanContext() and the other methods exporters call.
  const copy: ReadableSpan = Object.create(span, {
    name: { value: redactSecrets(span.name), enumerable: true },
    attributes: { value: redactAttributes(span.attributes), enumerable: true },
    events: { value: span.events.map(redactEvent), enumerable: true },
    status: { value: span.status.message === undefined ? span.status : { ...span.status, message: redactSecrets(span.status.message) }, enumerable: true },
    links: { value: span.links.map((l) => ({ ...l, attributes: l.attributes && redactAttributes(l.attributes) })), enumerable: true },
  });
  return copy;
}

function redactEvent(e: TimedEvent): TimedEvent {
  return { ...e, name: redactSecrets(e.name), attributes: e.attributes && redactAttributes(e.attributes) };
}

function redactAttributes(attrs: Attributes): Attributes {
  const out: Attributes = {};
  for (const [k, v] of Object.entries(attrs)) out[redactSecrets(k)] = redactValue(v);
  return out;
}

function redactValue(v: AttributeValue | undefined): AttributeValue | undefined {
  if (typeof v === 'string') return redactSecrets(v);
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'string' ? redactSecrets(x) : x)) as AttributeValue;
  return v;
}
