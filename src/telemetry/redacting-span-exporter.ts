import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter, TimedEvent } from '@opentelemetry/sdk-trace-base';
import type { Attributes, AttributeValue, Link } from '@opentelemetry/api';
import { redactRepeated as redactSecrets } from '../redaction/secret-redaction';

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

/**
 * The span itself when nothing in it needs redacting (the common case: no copy, no allocation),
 * else a copy whose prototype is the span, so that spanContext() and the other methods exporters
 * call still work.
 */
function redactSpan(span: ReadableSpan): ReadableSpan {
  const name = redactSecrets(span.name);
  const attributes = redactAttributes(span.attributes);
  const events = mapSame(span.events, redactEvent);
  const status = span.status.message === undefined ? span.status : redactStatus(span.status);
  const links = mapSame(span.links, redactLink);
  if (name === span.name && attributes === span.attributes && events === span.events && status === span.status && links === span.links) return span;
  return Object.create(span, {
    name: { value: name, enumerable: true },
    attributes: { value: attributes, enumerable: true },
    events: { value: events, enumerable: true },
    status: { value: status, enumerable: true },
    links: { value: links, enumerable: true },
  }) as ReadableSpan;
}

function redactStatus(status: ReadableSpan['status']): ReadableSpan['status'] {
  const message = redactSecrets(status.message!);
  return message === status.message ? status : { ...status, message };
}

function redactLink(l: Link): Link {
  const attributes = l.attributes && redactAttributes(l.attributes);
  return attributes === l.attributes ? l : { ...l, attributes };
}

function redactEvent(e: TimedEvent): TimedEvent {
  const name = redactSecrets(e.name);
  const attributes = e.attributes && redactAttributes(e.attributes);
  return name === e.name && attributes === e.attributes ? e : { ...e, name, attributes };
}

/** `xs.map(f)`, or `xs` itself when `f` returned every element unchanged. */
function mapSame<T>(xs: T[], f: (x: T) => T): T[] {
  let out: T[] | undefined;
  for (let i = 0; i < xs.length; i++) {
    const y = f(xs[i]);
    if (out === undefined && y !== xs[i]) out = xs.slice(0, i);
    if (out !== undefined) out.push(y);
  }
  return out ?? xs;
}

/** The same object when no key or value changes; else a copy with every key and value redacted. */
function redactAttributes(attrs: Attributes): Attributes {
  const keys = Object.keys(attrs);
  let out: Attributes | undefined;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    const v = attrs[k];
    const rk = redactSecrets(k);
    const rv = redactValue(v);
    if (out === undefined && (rk !== k || rv !== v)) {
      out = {};
      for (let j = 0; j < i; j++) out[keys[j]] = attrs[keys[j]];
    }
    if (out !== undefined) out[rk] = rv;
  }
  return out ?? attrs;
}

function redactValue(v: AttributeValue | undefined): AttributeValue | undefined {
  if (typeof v === 'string') return redactSecrets(v);
  if (Array.isArray(v)) return mapSame(v as unknown[], (x) => (typeof x === 'string' ? redactSecrets(x) : x)) as AttributeValue;
  return v;
}
