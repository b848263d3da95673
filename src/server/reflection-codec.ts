// The wire codec of grpc.reflection.{v1,v1alpha}.ServerReflection{Request,Response}.
// Both versions share field numbers, and the messages are small, so they are coded by
// hand with @bufbuild/protobuf's wire primitives (a direct dependency) rather than
// loading reflection.proto through @grpc/proto-loader (only a transitive one).
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';

/** What a ServerReflectionRequest asks for: the `message_request` oneof. */
export type ReflectionQuery =
  | { kind: 'fileByFilename'; name: string }
  | { kind: 'fileContainingSymbol'; symbol: string }
  | { kind: 'fileContainingExtension'; containingType: string; extensionNumber: number }
  | { kind: 'allExtensionNumbersOfType'; type: string }
  | { kind: 'listServices' }
  | { kind: 'none' };

export interface ReflectionRequest {
  host: string;
  query: ReflectionQuery;
  /** The request as received: echoed verbatim as `original_request`. */
  raw: Uint8Array;
}

/** The `message_response` oneof of a ServerReflectionResponse. */
export type ReflectionAnswer =
  | { kind: 'files'; files: readonly Uint8Array[] }
  | { kind: 'services'; names: readonly string[] }
  | { kind: 'error'; code: number; message: string };

export interface ReflectionResponse {
  validHost: string;
  originalRequest: Uint8Array;
  answer: ReflectionAnswer;
}

export function decodeRequest(bytes: Uint8Array): ReflectionRequest {
  const reader = new BinaryReader(bytes);
  let host = '';
  // Oneof semantics: the last member on the wire wins.
  let query: ReflectionQuery = { kind: 'none' };
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (wireType !== WireType.LengthDelimited) {
      reader.skip(wireType, field);
      continue;
    }
    switch (field) {
      case 1:
        host = reader.string();
        break;
      case 3:
        query = { kind: 'fileByFilename', name: reader.string() };
        break;
      case 4:
        query = { kind: 'fileContainingSymbol', symbol: reader.string() };
        break;
      case 5:
        query = decodeExtensionRequest(reader.bytes());
        break;
      case 6:
        query = { kind: 'allExtensionNumbersOfType', type: reader.string() };
        break;
      case 7:
        // The field's value is documented as unused: its presence is the request.
        reader.string();
        query = { kind: 'listServices' };
        break;
      default:
        reader.skip(wireType, field);
    }
  }
  return { host, query, raw: bytes };
}

function decodeExtensionRequest(bytes: Uint8Array): ReflectionQuery {
  const reader = new BinaryReader(bytes);
  let containingType = '';
  let extensionNumber = 0;
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1 && wireType === WireType.LengthDelimited) containingType = reader.string();
    else if (field === 2 && wireType === WireType.Varint) extensionNumber = reader.int32();
    else reader.skip(wireType, field);
  }
  return { kind: 'fileContainingExtension', containingType, extensionNumber };
}

export function encodeResponse(response: ReflectionResponse): Uint8Array {
  const w = new BinaryWriter();
  if (response.validHost !== '') w.tag(1, WireType.LengthDelimited).string(response.validHost);
  w.tag(2, WireType.LengthDelimited).bytes(response.originalRequest);
  const { answer } = response;
  switch (answer.kind) {
    case 'files':
      w.tag(4, WireType.LengthDelimited).fork();
      for (const file of answer.files) w.tag(1, WireType.LengthDelimited).bytes(file);
      w.join();
      break;
    case 'services':
      w.tag(6, WireType.LengthDelimited).fork();
      for (const name of answer.names) w.tag(1, WireType.LengthDelimited).fork().tag(1, WireType.LengthDelimited).string(name).join();
      w.join();
      break;
    case 'error':
      w.tag(7, WireType.LengthDelimited).fork();
      w.tag(1, WireType.Varint).int32(answer.code);
      w.tag(2, WireType.LengthDelimited).string(answer.message);
      w.join();
      break;
  }
  return w.finish();
}
