// Indexes a FileDescriptorSet once, so reflection answers are map look-ups.
import { fromBinary } from '@bufbuild/protobuf';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import {
  FileDescriptorProtoSchema,
  type DescriptorProto,
  type EnumDescriptorProto,
  type FileDescriptorProto,
} from '@bufbuild/protobuf/wkt';

export interface DescriptorIndex {
  /** The file named `name` followed by its transitive dependencies, each once; undefined if unknown. */
  byFilename(name: string): readonly Uint8Array[] | undefined;
  /** The same for the file defining a fully-qualified symbol (a leading dot is tolerated). */
  bySymbol(symbol: string): readonly Uint8Array[] | undefined;
}

interface IndexedFile {
  proto: FileDescriptorProto;
  /** The bytes as buf wrote them: served unchanged rather than re-encoded. */
  raw: Uint8Array;
}

/** Splits a FileDescriptorSet (`repeated FileDescriptorProto file = 1`) into each file's bytes. */
function fileBytes(descriptorSet: Uint8Array): Uint8Array[] {
  const reader = new BinaryReader(descriptorSet);
  const files: Uint8Array[] = [];
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1 && wireType === WireType.LengthDelimited) files.push(reader.bytes());
    else reader.skip(wireType, field);
  }
  return files;
}

function symbolsOf(file: FileDescriptorProto): string[] {
  const out: string[] = [];
  const addEnum = (scope: string, e: EnumDescriptorProto): void => {
    out.push(scope + e.name);
    for (const v of e.value) {
      // Protobuf scopes enum values as siblings of their enum (C++ rules);
      // `Enum.VALUE` is what people type, so both resolve.
      out.push(scope + v.name, `${scope}${e.name}.${v.name}`);
    }
  };
  const addMessage = (scope: string, m: DescriptorProto): void => {
    const name = scope + m.name;
    out.push(name);
    for (const f of m.field) out.push(`${name}.${f.name}`);
    for (const o of m.oneofDecl) out.push(`${name}.${o.name}`);
    for (const x of m.extension) out.push(`${name}.${x.name}`);
    for (const n of m.nestedType) addMessage(`${name}.`, n);
    for (const e of m.enumType) addEnum(`${name}.`, e);
  };
  const pkg = file.package === '' ? '' : `${file.package}.`;
  for (const m of file.messageType) addMessage(pkg, m);
  for (const e of file.enumType) addEnum(pkg, e);
  for (const x of file.extension) out.push(pkg + x.name);
  for (const s of file.service) {
    out.push(pkg + s.name);
    for (const method of s.method) out.push(`${pkg}${s.name}.${method.name}`);
  }
  return out;
}

/**
 * Indexes every file of a serialized FileDescriptorSet, plus each `fallbacks` file the set
 * does not hold by name; throws if a file imports one that is missing.
 */
export function indexDescriptorSet(descriptorSet: Uint8Array, fallbacks: readonly Uint8Array[] = []): DescriptorIndex {
  const files = new Map<string, IndexedFile>();
  for (const raw of [...fileBytes(descriptorSet), ...fallbacks]) {
    const proto = fromBinary(FileDescriptorProtoSchema, raw);
    // The set comes first, so its copy of a file wins over a fallback.
    if (!files.has(proto.name)) files.set(proto.name, { proto, raw });
  }

  // Each answer's file list is computed here, once: the requested file first (as
  // grpc-go sends it), then its imports depth-first.
  const closures = new Map<string, Uint8Array[]>();
  for (const name of files.keys()) {
    const seen = new Set<string>();
    const out: Uint8Array[] = [];
    const visit = (n: string, importer: string): void => {
      if (seen.has(n)) return;
      seen.add(n);
      const file = files.get(n);
      // A hole here would make clients fail later with a vaguer error: fail at startup.
      if (!file) throw new Error(`descriptor set: ${importer} imports ${n}, which the set does not contain`);
      out.push(file.raw);
      for (const dep of file.proto.dependency) visit(dep, n);
    };
    visit(name, name);
    closures.set(name, out);
  }

  const symbolToFile = new Map<string, string>();
  for (const [name, file] of files) for (const symbol of symbolsOf(file.proto)) symbolToFile.set(symbol, name);

  return {
    byFilename: (name) => closures.get(name),
    bySymbol: (symbol) => {
      const file = symbolToFile.get(symbol.startsWith('.') ? symbol.slice(1) : symbol);
      return file === undefined ? undefined : closures.get(file);
    },
  };
}
