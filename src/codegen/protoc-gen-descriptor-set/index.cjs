#!/usr/bin/env node
// A protoc/buf plugin that writes every file of the request (with its imports, in
// topological order) as one FileDescriptorSet, `messenger.binpb`, for server reflection.
// It copies the FileDescriptorProto bytes unchanged, so it needs no protobuf runtime.
'use strict';

function readVarint(buf, pos) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = buf[pos++];
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return [value, pos];
    shift += 7;
  }
}

function varint(n) {
  const out = [];
  while (n > 0x7f) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return Buffer.from(out);
}

function field(number, bytes) {
  return Buffer.concat([varint(number * 8 + 2), varint(bytes.length), bytes]);
}

const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', () => {
  const req = Buffer.concat(chunks);
  const files = [];
  let pos = 0;
  while (pos < req.length) {
    let tag;
    [tag, pos] = readVarint(req, pos);
    const wire = tag & 7;
    if (wire === 0) {
      [, pos] = readVarint(req, pos);
    } else if (wire === 2) {
      let len;
      [len, pos] = readVarint(req, pos);
      if (tag >>> 3 === 15) files.push(field(1, req.subarray(pos, pos + len)));
      pos += len;
    } else {
      throw new Error(`unexpected wire type ${wire} in CodeGeneratorRequest`);
    }
  }
  const set = Buffer.concat(files);
  const file = Buffer.concat([field(1, Buffer.from('messenger.binpb')), field(15, set)]);
  // supported_features = FEATURE_PROTO3_OPTIONAL (field 2, varint 1)
  process.stdout.write(Buffer.concat([Buffer.from([0x10, 0x01]), field(15, file)]));
});
