import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';
import type { Attributes, HrTime, Link } from '@opentelemetry/api';

/**
 * The OTLP/protobuf `ExportTraceServiceRequest` for a batch of spans: byte for byte what the
 * SDK's `ProtobufTraceSerializer` writes (test/telemetry/otlp-trace-serializer.test.ts holds
 * the two equal), at a fraction of its CPU. The SDK's writer copies strings one UTF-16 unit at
 * a time in JavaScript, runs a sizing pass over everything first and allocates every id; this
 * one writes in one pass (short ASCII strings and hex ids in a tight loop, other strings with
 * Buffer's native UTF-8 writer), encodes each attribute key (up to KEY_CACHE_LIMIT of them), each
 * Resource and each instrumentation scope once, and fixes up a nested message's length in place
 * (a memmove only when its length needs another varint byte). That serialisation was the
 * largest cost of a traced send (bench/README.md).
 */

const KEY_CACHE_LIMIT = 4_096;
const INITIAL_SIZE = 64 * 1024;

/** One growing output buffer; `finish` hands it out and starts the next batch on a fresh one. */
class Writer {
  buf: Buffer;
  pos = 0;

  constructor(size = INITIAL_SIZE) {
    this.buf = Buffer.allocUnsafe(size);
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  /** A varint of 0 <= v < 2^32. */
  varint32(v: number): void {
    this.ensure(5);
    const buf = this.buf;
    let p = this.pos;
    while (v > 0x7f) {
      buf[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[p++] = v;
    this.pos = p;
  }

  /** A varint of any integer, negative ones as 64-bit two's complement (the SDK's rule, bit for bit). */
  varint(value: number): void {
    if (value >= 0 && value <= 0xffffffff) {
      this.varint32(value >>> 0);
      return;
    }
    let low: number;
    let high: number;
    if (value >= 0) {
      low = value >>> 0;
      high = (value / 0x100000000) >>> 0;
    } else {
      const abs = Math.abs(value);
      low = ~(abs >>> 0) >>> 0;
      high = ~((abs / 0x100000000) >>> 0) >>> 0;
      low = (low + 1) >>> 0;
      if (low === 0) high = (high + 1) >>> 0;
    }
    this.ensure(10);
    while (high > 0 || low > 0x7f) {
      this.buf[this.pos++] = (low & 0x7f) | 0x80;
      low = ((low >>> 7) | (high << 25)) >>> 0;
      high >>>= 7;
    }
    this.buf[this.pos++] = low & 0x7f;
  }

  fixed32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(v >>> 0, this.pos);
    this.pos += 4;
  }

  double(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }

  /** An HrTime as fixed64 nanoseconds, split so that no product leaves the safe-integer range. */
  hrTime(t: HrTime): void {
    const seconds = t[0];
    const lowerNanos = (seconds & 0xffff) * 1e9;
    const upperNanos = ((seconds / 0x10000) >>> 0) * 1e9;
    const low = (lowerNanos >>> 0) + (((upperNanos & 0xffff) * 0x10000) >>> 0) + t[1];
    const high = Math.floor(lowerNanos / 0x100000000) + ((upperNanos / 0x10000) >>> 0) + Math.floor(low / 0x100000000);
    this.ensure(8);
    this.buf.writeUInt32LE(low >>> 0, this.pos);
    this.buf.writeUInt32LE(high >>> 0, this.pos + 4);
    this.pos += 8;
  }

  /** A length-prefixed UTF-8 string (lone surrogates become U+FFFD, as TextEncoder makes them). */
  string(s: string): void {
    const n = s.length;
    if (n < 43) {
      // At most 126 bytes: the length fits the one byte reserved for it.
      this.ensure(1 + n * 3);
      const buf = this.buf;
      const at = this.pos + 1;
      // Short ASCII strings (most keys and values) are cheaper copied here than through a native call.
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c > 0x7f) break;
        buf[at + i] = c;
      }
      const written = i === n ? n : i + buf.write(s.slice(i), at + i);
      buf[this.pos] = written;
      this.pos = at + written;
      return;
    }
    const bytes = Buffer.byteLength(s, 'utf8');
    this.varint32(bytes);
    this.ensure(bytes);
    this.buf.write(s, this.pos, bytes);
    this.pos += bytes;
  }

  /** A length-prefixed bytes field from a hex id (trace and span ids), read as the SDK reads it. */
  hexBytes(hex: string): void {
    const n = hex.length >>> 1;
    this.varint32(n);
    this.ensure(n);
    const buf = this.buf;
    const at = this.pos;
    for (let i = 0; i < n; i++) buf[at + i] = (hexValue(hex.charCodeAt(2 * i)) << 4) | hexValue(hex.charCodeAt(2 * i + 1));
    this.pos += n;
  }

  raw(bytes: Uint8Array): void {
    const n = bytes.length;
    this.ensure(n);
    if (n > 64) {
      this.buf.set(bytes, this.pos);
    } else {
      // TypedArray.set costs more than the copy itself for the few bytes of a key.
      const buf = this.buf;
      const at = this.pos;
      for (let i = 0; i < n; i++) buf[at + i] = bytes[i];
    }
    this.pos += n;
  }

  /** A copy of the bytes written, for the caches of encoded keys, resources and scopes (no next buffer). */
  take(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }

  /** Opens a nested message: reserves `reserve` bytes for its length. */
  open(reserve: number): number {
    this.ensure(reserve);
    const start = this.pos;
    this.pos += reserve;
    return start;
  }

  /** Closes a nested message opened at `start`: writes its length, moving the body when the guess was off. */
  close(start: number, reserve: number): void {
    const length = this.pos - start - reserve;
    const size = length < 0x80 ? 1 : length < 0x4000 ? 2 : length < 0x200000 ? 3 : length < 0x10000000 ? 4 : 5;
    if (size !== reserve) {
      this.ensure(size - reserve);
      this.buf.copyWithin(start + size, start + reserve, this.pos);
      this.pos += size - reserve;
    }
    let p = start;
    let v = length;
    while (v > 0x7f) {
      this.buf[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[p] = v;
  }

  /**
   * The bytes written. The next batch gets a fresh buffer (cheaper than copying these out),
   * sized for a batch like this one: one huge batch must not make every later one allocate as much.
   */
  finish(): Uint8Array {
    const out = this.buf.subarray(0, this.pos);
    this.buf = Buffer.allocUnsafe(Math.max(INITIAL_SIZE, this.pos + (this.pos >>> 2)));
    this.pos = 0;
    return out;
  }
}

/** Each hex digit's value by char code (ids from the SDK are lowercase hex; uppercase reads as hex too). */
const HEX = new Uint8Array(128);
for (let c = 0; c < 128; c++) HEX[c] = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : (c - 55) & 0xff;

/** A hex digit's value; anything else as the SDK's hexToBinary reads it (`c - 55`; only the low bits land in the byte). */
function hexValue(c: number): number {
  return c < 128 ? HEX[c] : c - 55;
}

const MIN_INT64 = -(2 ** 63);
const MAX_INT64 = 2 ** 63;

/**
 * `KeyValue.key` (tag, length, UTF-8) of the first KEY_CACHE_LIMIT attribute keys seen: the
 * gateway's keys are constants, so they all fit. Keys past the bound (spans with keys made
 * from data) are written in place each time, as cheaply as any string.
 */
const encodedKeys = new Map<string, Buffer>();

function writeKey(w: Writer, key: string): void {
  const cached = encodedKeys.get(key);
  if (cached !== undefined) {
    w.raw(cached);
    return;
  }
  const start = w.pos;
  w.byte(0x0a);
  w.string(key);
  if (encodedKeys.size < KEY_CACHE_LIMIT) encodedKeys.set(key, Buffer.from(w.buf.subarray(start, w.pos)));
}

function writeAttributes(w: Writer, attributes: Attributes, tag: number): void {
  for (const key in attributes) {
    if (!Object.prototype.hasOwnProperty.call(attributes, key)) continue;
    w.byte(tag);
    const kv = w.open(1);
    writeKey(w, key);
    w.byte(0x12);
    const value = w.open(1);
    writeAnyValue(w, attributes[key]);
    w.close(value, 1);
    w.close(kv, 1);
  }
}

function writeAnyValue(w: Writer, value: unknown): void {
  switch (typeof value) {
    case 'string':
      w.byte(0x0a);
      w.string(value);
      return;
    case 'boolean':
      w.byte(0x10);
      w.byte(value ? 1 : 0);
      return;
    case 'number':
      if (Number.isInteger(value) && value >= MIN_INT64 && value < MAX_INT64) {
        w.byte(0x18);
        w.varint(value);
      } else {
        w.byte(0x21);
        w.double(value);
      }
      return;
  }
  if (value instanceof Uint8Array) {
    w.byte(0x3a);
    w.varint32(value.length);
    w.raw(value);
  } else if (Array.isArray(value)) {
    w.byte(0x2a);
    const array = w.open(1);
    for (const item of value) {
      w.byte(0x0a);
      const v = w.open(1);
      writeAnyValue(w, item);
      w.close(v, 1);
    }
    w.close(array, 1);
  } else if (typeof value === 'object' && value !== null) {
    w.byte(0x32);
    const list = w.open(1);
    const obj = value as Record<string, unknown>;
    for (const k in obj) {
      if (!Object.prototype.hasOwnProperty.call(obj, k)) continue;
      w.byte(0x0a);
      const kv = w.open(1);
      w.byte(0x0a);
      w.string(k);
      w.byte(0x12);
      const v = w.open(1);
      writeAnyValue(w, obj[k]);
      w.close(v, 1);
      w.close(kv, 1);
    }
    w.close(list, 1);
  }
  // Anything else (undefined, functions, symbols) is an empty AnyValue, as the SDK writes it.
}

type Resource = ReadableSpan['resource'];
type Scope = ReadableSpan['instrumentationScope'];

/** `ResourceSpans.resource` (field 1) of each Resource, once its attributes are final. */
const encodedResources = new WeakMap<Resource, Uint8Array>();
/** `ScopeSpans.scope` (field 1) of each instrumentation scope. */
const encodedScopes = new WeakMap<Scope, Uint8Array>();

function encodedResource(resource: Resource): Uint8Array {
  const cached = encodedResources.get(resource);
  if (cached) return cached;
  const w = new Writer(256);
  w.byte(0x0a);
  const r = w.open(2);
  if (resource.attributes) writeAttributes(w, resource.attributes, 0x0a);
  w.byte(0x10);
  w.byte(0);
  w.close(r, 2);
  const bytes = w.take();
  // Attributes still to come from an asynchronous detector would change it.
  if (!resource.asyncAttributesPending) encodedResources.set(resource, bytes);
  return bytes;
}

function encodedScope(scope: Scope): Uint8Array {
  let bytes = encodedScopes.get(scope);
  if (bytes === undefined) {
    const w = new Writer(256);
    w.byte(0x0a);
    const s = w.open(1);
    w.byte(0x0a);
    w.string(scope.name);
    if (scope.version) {
      w.byte(0x12);
      w.string(scope.version);
    }
    // Newer SDKs give scopes attributes; written as the SDK writes them.
    const extra = scope as Scope & { attributes?: Attributes; droppedAttributesCount?: number };
    if (extra.attributes) writeAttributes(w, extra.attributes, 0x1a);
    if (extra.droppedAttributesCount) {
      w.byte(0x20);
      w.varint(extra.droppedAttributesCount);
    }
    w.close(s, 1);
    bytes = w.take();
    encodedScopes.set(scope, bytes);
  }
  return bytes;
}

const HAS_IS_REMOTE = 0x100;
const IS_REMOTE = 0x200;

function spanFlags(traceFlags: number, isRemote: boolean | undefined): number {
  return (traceFlags & 0xff) | HAS_IS_REMOTE | (isRemote ? IS_REMOTE : 0);
}

function writeEvent(w: Writer, e: TimedEvent): void {
  w.byte(0x5a);
  const ev = w.open(2);
  w.byte(0x09);
  w.hrTime(e.time);
  w.byte(0x12);
  w.string(e.name);
  if (e.attributes) writeAttributes(w, e.attributes, 0x1a);
  w.byte(0x20);
  w.varint(e.droppedAttributesCount || 0);
  w.close(ev, 2);
}

function writeLink(w: Writer, link: Link): void {
  w.byte(0x6a);
  const l = w.open(1);
  const c = link.context;
  w.byte(0x0a);
  w.hexBytes(c.traceId);
  w.byte(0x12);
  w.hexBytes(c.spanId);
  const traceState = c.traceState?.serialize();
  if (traceState) {
    w.byte(0x1a);
    w.string(traceState);
  }
  if (link.attributes) writeAttributes(w, link.attributes, 0x22);
  w.byte(0x28);
  w.varint(link.droppedAttributesCount || 0);
  w.byte(0x35);
  w.fixed32(spanFlags(c.traceFlags, c.isRemote));
  w.close(l, 1);
}

function writeSpan(w: Writer, span: ReadableSpan): void {
  w.byte(0x12);
  const s = w.open(2);
  const ctx = span.spanContext();
  w.byte(0x0a);
  w.hexBytes(ctx.traceId);
  w.byte(0x12);
  w.hexBytes(ctx.spanId);
  const traceState = ctx.traceState?.serialize();
  if (traceState) {
    w.byte(0x1a);
    w.string(traceState);
  }
  const parent = span.parentSpanContext;
  if (parent?.spanId) {
    w.byte(0x22);
    w.hexBytes(parent.spanId);
  }
  w.byte(0x2a);
  w.string(span.name);
  // The API's kinds start at INTERNAL = 0; OTLP's at SPAN_KIND_UNSPECIFIED = 0.
  const kind = span.kind == null ? 0 : span.kind + 1;
  if (kind !== 0) {
    w.byte(0x30);
    w.varint(kind);
  }
  w.byte(0x39);
  w.hrTime(span.startTime);
  w.byte(0x41);
  w.hrTime(span.endTime);
  if (span.attributes) writeAttributes(w, span.attributes, 0x4a);
  w.byte(0x50);
  w.varint(span.droppedAttributesCount);
  for (const e of span.events) writeEvent(w, e);
  w.byte(0x60);
  w.varint(span.droppedEventsCount);
  for (const l of span.links) writeLink(w, l);
  w.byte(0x70);
  w.varint(span.droppedLinksCount);
  // status, field 15: tag 0x7a
  w.byte(0x7a);
  const st = w.open(1);
  if (span.status.message) {
    w.byte(0x12);
    w.string(span.status.message);
  }
  w.byte(0x18);
  w.varint(span.status.code);
  w.close(st, 1);
  // flags, field 16 fixed32: tag (16 << 3 | 5) = 0x85 0x01
  w.byte(0x85);
  w.byte(0x01);
  w.fixed32(spanFlags(ctx.traceFlags, parent?.isRemote));
  w.close(s, 2);
}

const writer = new Writer();

/** The size of the buffer the next batch starts with (for the test that a huge batch does not stick). */
export function nextBatchCapacity(): number {
  return writer.buf.length;
}

/** Serialises one export batch (the spans grouped by Resource, then by scope, in first-seen order). */
export function serializeTraceRequest(spans: readonly ReadableSpan[]): Uint8Array {
  const groups = new Map<Resource, Map<Scope, ReadableSpan[]>>();
  for (const span of spans) {
    let scopes = groups.get(span.resource);
    if (!scopes) groups.set(span.resource, (scopes = new Map()));
    const list = scopes.get(span.instrumentationScope);
    if (list) list.push(span);
    else scopes.set(span.instrumentationScope, [span]);
  }
  const w = writer;
  w.pos = 0;
  for (const [resource, scopes] of groups) {
    w.byte(0x0a);
    const rs = w.open(3);
    w.raw(encodedResource(resource));
    for (const [scope, list] of scopes) {
      w.byte(0x12);
      const ss = w.open(3);
      w.raw(encodedScope(scope));
      for (const span of list) writeSpan(w, span);
      if (scope.schemaUrl) {
        w.byte(0x1a);
        w.string(scope.schemaUrl);
      }
      w.close(ss, 3);
    }
    if (resource.schemaUrl) {
      w.byte(0x1a);
      w.string(resource.schemaUrl);
    }
    w.close(rs, 3);
  }
  return w.finish();
}
