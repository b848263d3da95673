/**
 * Reads OTLP/protobuf `ExportTraceServiceRequest` bodies with a plain wire-format walker (no
 * OTLP schema package is installed here): the span fields tests look at, in the shape of
 * OTLP/JSON (hex ids, attribute values by kind).
 */
export interface ProtoSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, string | number | boolean>;
  statusCode: number;
}

type Field = { no: number; wire: number; value: number | bigint | Buffer };

function* fields(buf: Buffer): Generator<Field> {
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= buf.length) throw new Error('truncated varint');
      const b = buf[pos++];
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return result;
      shift += 7n;
    }
  };
  while (pos < buf.length) {
    const key = Number(varint());
    const no = key >>> 3;
    const wire = key & 7;
    if (wire === 0) yield { no, wire, value: varint() };
    else if (wire === 1) { yield { no, wire, value: buf.readBigUInt64LE(pos) }; pos += 8; }
    else if (wire === 5) { yield { no, wire, value: buf.readUInt32LE(pos) }; pos += 4; }
    else if (wire === 2) {
      const len = Number(varint());
      if (pos + len > buf.length) throw new Error('truncated length-delimited field');
      yield { no, wire, value: buf.subarray(pos, pos + len) };
      pos += len;
    } else throw new Error(`unexpected wire type ${wire}`);
  }
}

const sub = (f: Field) => f.value as Buffer;

function anyValue(buf: Buffer): string | number | boolean {
  for (const f of fields(buf)) {
    if (f.no === 1) return sub(f).toString('utf8');
    if (f.no === 2) return f.value === 1n;
    if (f.no === 3) return Number(BigInt.asIntN(64, f.value as bigint));
    if (f.no === 4) { const b = Buffer.alloc(8); b.writeBigUInt64LE(f.value as bigint); return b.readDoubleLE(); }
  }
  return '';
}

function attribute(buf: Buffer): [string, string | number | boolean] {
  let key = '';
  let value: string | number | boolean = '';
  for (const f of fields(buf)) {
    if (f.no === 1) key = sub(f).toString('utf8');
    if (f.no === 2) value = anyValue(sub(f));
  }
  return [key, value];
}

function span(buf: Buffer): ProtoSpan {
  const s: ProtoSpan = { traceId: '', spanId: '', name: '', kind: 0, attributes: {}, statusCode: 0 };
  for (const f of fields(buf)) {
    if (f.no === 1) s.traceId = sub(f).toString('hex');
    else if (f.no === 2) s.spanId = sub(f).toString('hex');
    else if (f.no === 4) s.parentSpanId = sub(f).toString('hex');
    else if (f.no === 5) s.name = sub(f).toString('utf8');
    else if (f.no === 6) s.kind = Number(f.value);
    else if (f.no === 9) { const [k, v] = attribute(sub(f)); s.attributes[k] = v; }
    else if (f.no === 15) for (const g of fields(sub(f))) if (g.no === 3) s.statusCode = Number(g.value);
  }
  return s;
}

/** The resource attributes and spans of one request body. */
export function readTraceRequest(body: Buffer): Array<{ resource: Record<string, string | number | boolean>; spans: ProtoSpan[] }> {
  const out: Array<{ resource: Record<string, string | number | boolean>; spans: ProtoSpan[] }> = [];
  for (const rs of fields(body)) {
    if (rs.no !== 1) continue;
    const entry = { resource: {} as Record<string, string | number | boolean>, spans: [] as ProtoSpan[] };
    for (const f of fields(sub(rs))) {
      if (f.no === 1) for (const a of fields(sub(f))) if (a.no === 1) { const [k, v] = attribute(sub(a)); entry.resource[k] = v; }
      if (f.no === 2) for (const ss of fields(sub(f))) if (ss.no === 2) entry.spans.push(span(sub(ss)));
    }
    out.push(entry);
  }
  return out;
}
