import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromBinary, isFieldSet } from '@bufbuild/protobuf';
import {
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FieldDescriptorProtoSchema,
  FileDescriptorSetSchema,
  type DescriptorProto,
  type FieldDescriptorProto,
} from '@bufbuild/protobuf/wkt';
import { describe, expect, it } from 'vitest';
import * as conversation from '../../gen/messenger/v1/conversation';
import * as enums from '../../gen/messenger/v1/enums';
import * as errors from '../../gen/messenger/v1/errors';
import * as events from '../../gen/messenger/v1/events';
import * as history from '../../gen/messenger/v1/history';
import * as message from '../../gen/messenger/v1/message';
import * as page from '../../gen/messenger/v1/page';
import * as recipient from '../../gen/messenger/v1/recipient';
import * as service from '../../gen/messenger/v1/service';
import * as template from '../../gen/messenger/v1/template';

/** A ts-proto message object: the codec functions this test drives. */
interface Codec {
  encode(m: unknown): { finish(): Uint8Array };
  decode(b: Uint8Array): unknown;
  fromPartial(m: unknown): unknown;
}

const generated: Record<string, unknown> = { ...conversation, ...enums, ...errors, ...events, ...history, ...message, ...page, ...recipient, ...service, ...template };

// The descriptor set written by `buf generate` drives the test, so a field or enum
// value added to the protos is covered without editing this file.
const set = fromBinary(FileDescriptorSetSchema, readFileSync(join(__dirname, '../../gen/messenger.binpb')));
const ours = set.file.filter((f) => f.package === 'messenger.v1');

interface Named { tsName: string; desc: DescriptorProto }
function collect(prefix: string, list: DescriptorProto[], out: Named[]): Named[] {
  for (const d of list) {
    out.push({ tsName: prefix + d.name, desc: d });
    collect(`${prefix}${d.name}_`, d.nestedType, out);
  }
  return out;
}
const messages = ours.flatMap((f) => collect('', f.messageType, []));
const enumValues = new Map<string, number[]>();
for (const f of ours) {
  for (const e of f.enumType) enumValues.set(`.messenger.v1.${e.name}`, e.value.map((v) => v.number));
  for (const m of messages) for (const e of m.desc.enumType) {
    enumValues.set(`.messenger.v1.${m.tsName.replace(/_/g, '.')}.${e.name}`, e.value.map((v) => v.number));
  }
}

function codec(tsName: string): Codec {
  const c = generated[tsName] as Codec | undefined;
  if (!c || typeof c.encode !== 'function') throw new Error(`no generated codec for ${tsName}`);
  return c;
}

/** Every non-default value a field can take that matters for the round trip. */
function samples(f: FieldDescriptorProto): unknown[] {
  const T = FieldDescriptorProto_Type;
  switch (f.type) {
    case T.ENUM: {
      const values = enumValues.get(f.typeName);
      if (!values) throw new Error(`unknown enum ${f.typeName}`);
      return values.filter((v) => v !== 0);
    }
    case T.STRING: return ['héllo 😊'];
    case T.BOOL: return [true];
    case T.BYTES: return [Buffer.from([0, 1, 254, 255])]; // env=node: bytes are Buffers
    case T.INT32: return [2018278];
    case T.UINT32: return [4000000000];
    case T.INT64: return ['26214400'];
    case T.DOUBLE: return [12.75];
    // ts-proto maps google.protobuf.Timestamp to a Date.
    case T.MESSAGE: return f.typeName === '.google.protobuf.Timestamp' ? [new Date('2026-12-02T03:04:05.678Z')] : [{}];
    default: throw new Error(`field type ${f.type} of ${f.name} has no sample`);
  }
}

const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

describe('every field, enum value and oneof case survives an encode/decode round trip', () => {
  for (const { tsName, desc } of messages) {
    const c = codec(tsName);
    const cases: Array<[string, unknown]> = [];
    for (const f of desc.field) {
      const repeated = f.label === FieldDescriptorProto_Label.REPEATED;
      const inRealOneof = isFieldSet(f, FieldDescriptorProtoSchema.field.oneofIndex) && !f.proto3Optional;
      for (const v of samples(f)) {
        const value = repeated ? [v, v] : v;
        const partial = inRealOneof
          ? { [camel(desc.oneofDecl[f.oneofIndex].name)]: { $case: camel(f.name), value } }
          : { [camel(f.name)]: value };
        cases.push([`${f.name} = ${JSON.stringify(v)}`, partial]);
      }
    }
    if (cases.length === 0) {
      it(`${tsName} (no fields)`, () => {
        expect(c.decode(c.encode(c.fromPartial({})).finish())).toEqual(c.fromPartial({}));
      });
      continue;
    }
    it.each(cases)(`${tsName}.%s`, (_name, partial) => {
      const msg = c.fromPartial(partial);
      const bytes = c.encode(msg).finish();
      expect(bytes.length).toBeGreaterThan(0);
      expect(c.decode(bytes)).toEqual(msg);
    });
  }

  it('covers every message of messenger.v1', () => {
    expect(messages.map((m) => m.tsName)).toEqual(expect.arrayContaining([
      'SendMessageRequest', 'SendSenderActionRequest', 'UploadAttachmentRequest', 'Recipient', 'Message',
      'Attachment', 'Template', 'Button', 'GraphError', 'UtilityTemplate',
    ]));
    expect(messages.length).toBeGreaterThan(40);
  });
});
