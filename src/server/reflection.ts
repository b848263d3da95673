// gRPC server reflection served from the buf-built descriptor set. @grpc/reflection
// 1.0.4 cannot describe a service whose file imports another file (grpc/grpc-node#3018),
// so both protocol versions are answered here from our own index (which also holds
// built-in descriptors of the health and reflection services).
import { status, type handleBidiStreamingCall, type Server, type ServiceDefinition } from '@grpc/grpc-js';
import { decodeRequest, encodeResponse, type ReflectionAnswer, type ReflectionQuery, type ReflectionRequest } from './reflection-codec';
import { builtinFiles } from './reflection-builtin';
import { indexDescriptorSet, type DescriptorIndex } from './reflection-index';

// Both versions have the same messages; clients try v1 and fall back to v1alpha.
const PACKAGES = ['grpc.reflection.v1', 'grpc.reflection.v1alpha'] as const;

// grpc-js wants Buffers from serializers; wrap the bytes rather than copy them.
const toBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

function definition(pkg: string): ServiceDefinition {
  return {
    ServerReflectionInfo: {
      path: `/${pkg}.ServerReflection/ServerReflectionInfo`,
      requestStream: true,
      responseStream: true,
      requestSerialize: (req: ReflectionRequest) => toBuffer(req.raw),
      requestDeserialize: (bytes: Buffer) => decodeRequest(bytes),
      responseSerialize: (answer: Uint8Array) => toBuffer(answer),
      responseDeserialize: (bytes: Buffer) => new Uint8Array(bytes),
    },
  };
}

const notFound = (message: string): ReflectionAnswer => ({ kind: 'error', code: status.NOT_FOUND, message });

function answer(index: DescriptorIndex, serviceNames: readonly string[], query: ReflectionQuery): ReflectionAnswer {
  const files = (found: readonly Uint8Array[] | undefined, what: string): ReflectionAnswer =>
    found ? { kind: 'files', files: found } : notFound(`${what} not found`);
  switch (query.kind) {
    case 'listServices':
      return { kind: 'services', names: serviceNames };
    case 'fileByFilename':
      return files(index.byFilename(query.name), `file ${query.name}`);
    case 'fileContainingSymbol':
      return files(index.bySymbol(query.symbol), `symbol ${query.symbol}`);
    // The API defines no extensions, so no message has extension numbers to report.
    case 'fileContainingExtension':
      return notFound(`extension ${query.extensionNumber} of ${query.containingType} not found`);
    case 'allExtensionNumbersOfType':
      return notFound(`no extensions of ${query.type}`);
    case 'none':
      return { kind: 'error', code: status.INVALID_ARGUMENT, message: 'message_request not set' };
  }
}

/** Serves grpc.reflection.v1 and v1alpha ServerReflection from a serialized FileDescriptorSet, listing `serviceNames`. */
export function addReflection(server: Server, descriptorSet: Uint8Array, serviceNames: string[]): void {
  // Health and reflection are listed too, so their descriptors must be servable.
  const index = indexDescriptorSet(descriptorSet, builtinFiles());
  const names = [...serviceNames];
  const info: handleBidiStreamingCall<ReflectionRequest, Uint8Array> = (call) => {
    call.on('data', (req: ReflectionRequest) => {
      call.write(encodeResponse({ validHost: req.host, originalRequest: req.raw, answer: answer(index, names, req.query) }));
    });
    call.on('end', () => call.end());
  };
  for (const pkg of PACKAGES) server.addService(definition(pkg), { ServerReflectionInfo: info });
}
