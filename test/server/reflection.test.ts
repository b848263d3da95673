import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { create, createFileRegistry, fromBinary, fromJson, toBinary, toJson, type DescMessage, type JsonValue } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { Client, Server, ServerCredentials, credentials, status, type sendUnaryData } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MessengerServiceService, type MessengerServiceServer } from '../../gen/messenger/v1/service';
import { loadDescriptorSet } from '../../src/server/descriptor-set';
import { addReflection } from '../../src/server/reflection';

const run = promisify(execFile);
const root = join(__dirname, '../..');
const buf = join(root, 'node_modules/.bin/buf');
const SERVICES = [
  'messenger.v1.MessengerService',
  'grpc.health.v1.Health',
  'grpc.reflection.v1.ServerReflection',
  'grpc.reflection.v1alpha.ServerReflection',
];
const VERSIONS = ['v1', 'v1alpha'] as const;

let server: Server;
let port: number;
let url: string;

beforeAll(async () => {
  server = new Server();
  const unimplemented = (_call: unknown, callback: sendUnaryData<never>): void => callback({ code: status.UNIMPLEMENTED });
  const messenger: MessengerServiceServer = {
    sendMessage: (_call, callback) => callback(null, { recipientId: '1', messageId: 'm_1' }),
    sendSenderAction: unimplemented,
    uploadAttachment: unimplemented,
    sendMessages: (call) => call.emit('error', { code: status.UNIMPLEMENTED }),
  };
  server.addService(MessengerServiceService, messenger);
  new HealthImplementation({ '': 'SERVING' }).addToServer(server);
  addReflection(server, loadDescriptorSet(), SERVICES);
  port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
  });
  url = `http://127.0.0.1:${port}`;
});

afterAll(() => server?.forceShutdown());

async function bufCurl(...args: string[]): Promise<string> {
  const { stdout } = await run(buf, ['curl', '--protocol', 'grpc', '--http2-prior-knowledge', ...args], { cwd: root });
  return stdout;
}

describe('reflection driven by buf curl (no schema)', () => {
  it('lists the given services', async () => {
    const out = await bufCurl('--list-services', url);
    expect(out.trim().split('\n').sort()).toEqual([...SERVICES].sort());
  });

  // Every listed service must be describable, or --list-methods fails as a whole:
  // that is the @grpc/reflection bug this module replaces.
  it('lists the methods of every listed service', async () => {
    const out = await bufCurl('--list-methods', url);
    expect(out.trim().split('\n').sort()).toEqual([
      'grpc.health.v1.Health/Check',
      'grpc.health.v1.Health/List',
      'grpc.health.v1.Health/Watch',
      'grpc.reflection.v1.ServerReflection/ServerReflectionInfo',
      'grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo',
      'messenger.v1.MessengerService/SendMessage',
      'messenger.v1.MessengerService/SendMessages',
      'messenger.v1.MessengerService/SendSenderAction',
      'messenger.v1.MessengerService/UploadAttachment',
    ]);
  });

  it.each([[], ['--reflect-protocol', 'grpc-v1'], ['--reflect-protocol', 'grpc-v1alpha']])(
    'calls SendMessage from JSON, its schema fetched by reflection %j',
    async (...flags: string[]) => {
      const body = '{"page_id":"1001","recipient":{"id":"42"},"message":{"text":"hi"}}';
      const out = await bufCurl(...flags, '-d', body, `${url}/messenger.v1.MessengerService/SendMessage`);
      expect(JSON.parse(out)).toEqual({ recipientId: '1', messageId: 'm_1' });
    },
  );

  it('resolves the built-in health schema', async () => {
    const out = await bufCurl('-d', '{"service":""}', `${url}/grpc.health.v1.Health/Check`);
    expect(JSON.parse(out)).toEqual({ status: 'SERVING' });
  });

  it('resolves the built-in reflection schema', async () => {
    const out = await bufCurl('-d', '{"list_services":""}', `${url}/grpc.reflection.v1.ServerReflection/ServerReflectionInfo`);
    expect(JSON.parse(out)).toEqual({
      originalRequest: { listServices: '' },
      listServicesResponse: { service: SERVICES.map((name) => ({ name })) },
    });
  });
});

// A grpc-js client whose messages come from the reflection.proto files shipped in
// @grpc/reflection, compiled by buf: independent of the module's hand-written codec.
describe('reflection driven by a grpc-js client', () => {
  const schemas = new Map<string, { request: DescMessage; response: DescMessage }>();

  beforeAll(async () => {
    const protoRoot = join(root, 'node_modules/@grpc/reflection/build/proto');
    const paths = VERSIONS.flatMap((v) => ['--path', join(protoRoot, `grpc/reflection/${v}/reflection.proto`)]);
    const { stdout } = await run(buf, ['build', protoRoot, ...paths, '--as-file-descriptor-set', '-o', '-'], {
      cwd: protoRoot,
      encoding: 'buffer',
    });
    const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, stdout));
    for (const v of VERSIONS) {
      const request = registry.getMessage(`grpc.reflection.${v}.ServerReflectionRequest`);
      const response = registry.getMessage(`grpc.reflection.${v}.ServerReflectionResponse`);
      if (!request || !response) throw new Error(`reflection ${v} messages not found`);
      schemas.set(v, { request, response });
    }
  });

  /** Sends the JSON requests on one stream and returns the JSON responses. */
  async function ask(version: string, requests: JsonValue[]): Promise<JsonValue[]> {
    const schema = schemas.get(version);
    if (!schema) throw new Error(`no schema for ${version}`);
    const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
    try {
      const call = client.makeBidiStreamRequest(
        `/grpc.reflection.${version}.ServerReflection/ServerReflectionInfo`,
        (req: JsonValue) => Buffer.from(toBinary(schema.request, fromJson(schema.request, req))),
        (bytes: Buffer) => toJson(schema.response, fromBinary(schema.response, bytes)),
      );
      const responses: JsonValue[] = [];
      const done = new Promise<JsonValue[]>((resolve, reject) => {
        call.on('data', (r: JsonValue) => responses.push(r));
        call.on('error', reject);
        call.on('end', () => resolve(responses));
      });
      for (const r of requests) call.write(r);
      call.end();
      return await done;
    } finally {
      client.close();
    }
  }

  function get(value: unknown, key: string): unknown {
    if (typeof value === 'object' && value !== null && key in value) return (value as Record<string, unknown>)[key];
    throw new Error(`no ${key} in ${JSON.stringify(value)}`);
  }

  /** The names of the files in a file_descriptor_response, in order. */
  function fileNames(response: unknown): string[] {
    const files = get(get(response, 'fileDescriptorResponse'), 'fileDescriptorProto');
    if (!Array.isArray(files)) throw new Error('fileDescriptorProto is not a list');
    return files.map((b64: unknown) => {
      if (typeof b64 !== 'string') throw new Error('not base64');
      return fromBinary(FileDescriptorProtoSchema, Buffer.from(b64, 'base64')).name;
    });
  }

  describe.each(VERSIONS)('%s', (version) => {
    it('lists services and echoes the request', async () => {
      const [res] = await ask(version, [{ host: 'h', listServices: '*' }]);
      expect(res).toEqual({
        validHost: 'h',
        originalRequest: { host: 'h', listServices: '*' },
        listServicesResponse: { service: SERVICES.map((name) => ({ name })) },
      });
    });

    it('answers file_containing_symbol with the file and its transitive dependencies, each once', async () => {
      const [res] = await ask(version, [{ fileContainingSymbol: 'messenger.v1.SendMessageRequest' }]);
      const names = fileNames(res);
      expect(names[0]).toBe('messenger/v1/service.proto');
      expect(new Set(names).size).toBe(names.length);
      expect([...names].sort()).toEqual([
        'google/protobuf/any.proto',
        'google/protobuf/struct.proto',
        'google/rpc/status.proto',
        'messenger/v1/enums.proto',
        'messenger/v1/errors.proto',
        'messenger/v1/message.proto',
        'messenger/v1/recipient.proto',
        'messenger/v1/service.proto',
        'messenger/v1/template.proto',
      ]);
    });

    it.each([
      ['messenger.v1.MessengerService', 'messenger/v1/service.proto'],
      ['messenger.v1.MessengerService.SendMessage', 'messenger/v1/service.proto'],
      ['.messenger.v1.Message', 'messenger/v1/message.proto'],
      ['messenger.v1.Message.text', 'messenger/v1/message.proto'],
      ['messenger.v1.Message.content', 'messenger/v1/message.proto'],
      ['messenger.v1.QuickReply.ContentType', 'messenger/v1/message.proto'],
      ['messenger.v1.QuickReply.CONTENT_TYPE_TEXT', 'messenger/v1/message.proto'],
      ['messenger.v1.QuickReply.ContentType.CONTENT_TYPE_TEXT', 'messenger/v1/message.proto'],
      ['messenger.v1.MediaType', 'messenger/v1/enums.proto'],
      ['messenger.v1.MEDIA_TYPE_IMAGE', 'messenger/v1/enums.proto'],
      ['messenger.v1.Recipient', 'messenger/v1/recipient.proto'],
      ['google.protobuf.Struct.FieldsEntry', 'google/protobuf/struct.proto'],
      ['google.rpc.BadRequest.FieldViolation', 'google/rpc/error_details.proto'],
      ['google.rpc.Status', 'google/rpc/status.proto'],
      ['grpc.health.v1.Health', 'grpc/health/v1/health.proto'],
      [`grpc.reflection.${version}.ServerReflection`, `grpc/reflection/${version}/reflection.proto`],
    ])('finds %s in %s', async (symbol, file) => {
      const [res] = await ask(version, [{ fileContainingSymbol: symbol }]);
      expect(fileNames(res)[0]).toBe(file);
    });

    it('answers file_by_filename, including the well-known types', async () => {
      const [status, struct] = await ask(version, [{ fileByFilename: 'google/rpc/status.proto' }, { fileByFilename: 'google/protobuf/struct.proto' }]);
      expect(fileNames(status)).toEqual(['google/rpc/status.proto', 'google/protobuf/any.proto']);
      expect(fileNames(struct)).toEqual(['google/protobuf/struct.proto']);
    });

    it('answers unknown names and extension queries with NOT_FOUND, keeping the stream open', async () => {
      const responses = await ask(version, [
        { fileContainingSymbol: 'messenger.v1.Nope' },
        { fileByFilename: 'nope.proto' },
        { fileContainingExtension: { containingType: 'messenger.v1.Message', extensionNumber: 100 } },
        { allExtensionNumbersOfType: 'messenger.v1.Message' },
        { listServices: '' },
      ]);
      expect(responses).toHaveLength(5);
      for (const res of responses.slice(0, 4)) {
        expect(get(get(res, 'errorResponse'), 'errorCode')).toBe(status.NOT_FOUND);
        expect(get(get(res, 'errorResponse'), 'errorMessage')).toEqual(expect.any(String));
      }
      expect(get(responses[4], 'listServicesResponse')).toBeDefined();
    });
  });

  it('serves every file of the descriptor set byte for byte', async () => {
    const set = fromBinary(FileDescriptorSetSchema, loadDescriptorSet());
    const responses = await ask('v1', set.file.map((f) => ({ fileByFilename: f.name })));
    set.file.forEach((file, i) => {
      const first = get(get(responses[i], 'fileDescriptorResponse'), 'fileDescriptorProto');
      if (!Array.isArray(first)) throw new Error('not a list');
      expect(first[0]).toBe(Buffer.from(toBinary(FileDescriptorProtoSchema, file)).toString('base64'));
    });
  });
});

describe('addReflection', () => {
  it('refuses, at startup, a set missing an imported file', () => {
    const set = fromBinary(FileDescriptorSetSchema, loadDescriptorSet());
    const service = set.file.filter((f) => f.name === 'messenger/v1/service.proto');
    const broken = toBinary(FileDescriptorSetSchema, create(FileDescriptorSetSchema, { file: service }));
    expect(() => addReflection(new Server(), broken, SERVICES)).toThrow(/imports .* which the set does not contain/);
  });
});
