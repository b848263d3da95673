// Descriptors of the services the gateway hosts besides its own API: health and
// reflection. Their protos are not in the buf-built set, yet list_services names them,
// and `buf curl --list-methods` fails outright on a listed service it cannot resolve.
// They are built here (rather than parsed from the .proto files inside node_modules) so
// no protobuf parser is needed at run time; they mirror grpc/health/v1/health.proto of
// grpc-health-check 2.1 and grpc/reflection/{v1,v1alpha}/reflection.proto of @grpc/reflection.
import { create, toBinary, type MessageInitShape } from '@bufbuild/protobuf';
import {
  FieldDescriptorProto_Label as Label,
  FieldDescriptorProto_Type as Type,
  FileDescriptorProtoSchema,
  type DescriptorProtoSchema,
  type FieldDescriptorProtoSchema,
} from '@bufbuild/protobuf/wkt';

type FieldInit = MessageInitShape<typeof FieldDescriptorProtoSchema>;
type MessageInit = MessageInitShape<typeof DescriptorProtoSchema>;

interface FieldExtra {
  typeName?: string;
  repeated?: boolean;
  /** Index into the message's oneofs; only set for members, since presence is meaningful. */
  oneof?: number;
}

function field(name: string, number: number, type: Type, extra: FieldExtra = {}): FieldInit {
  const init: FieldInit = { name, number, type, label: extra.repeated ? Label.REPEATED : Label.OPTIONAL };
  if (extra.typeName !== undefined) init.typeName = extra.typeName;
  if (extra.oneof !== undefined) init.oneofIndex = extra.oneof;
  return init;
}

const str = (name: string, number: number, extra?: FieldExtra): FieldInit => field(name, number, Type.STRING, extra);
const msg = (name: string, number: number, typeName: string, extra?: Omit<FieldExtra, 'typeName'>): FieldInit =>
  field(name, number, Type.MESSAGE, { ...extra, typeName });

function reflectionFile(pkg: string): Uint8Array {
  const t = (name: string): string => `.${pkg}.${name}`;
  const messages: MessageInit[] = [
    {
      name: 'ServerReflectionRequest',
      field: [
        str('host', 1),
        str('file_by_filename', 3, { oneof: 0 }),
        str('file_containing_symbol', 4, { oneof: 0 }),
        msg('file_containing_extension', 5, t('ExtensionRequest'), { oneof: 0 }),
        str('all_extension_numbers_of_type', 6, { oneof: 0 }),
        str('list_services', 7, { oneof: 0 }),
      ],
      oneofDecl: [{ name: 'message_request' }],
    },
    { name: 'ExtensionRequest', field: [str('containing_type', 1), field('extension_number', 2, Type.INT32)] },
    {
      name: 'ServerReflectionResponse',
      field: [
        str('valid_host', 1),
        msg('original_request', 2, t('ServerReflectionRequest')),
        msg('file_descriptor_response', 4, t('FileDescriptorResponse'), { oneof: 0 }),
        msg('all_extension_numbers_response', 5, t('ExtensionNumberResponse'), { oneof: 0 }),
        msg('list_services_response', 6, t('ListServiceResponse'), { oneof: 0 }),
        msg('error_response', 7, t('ErrorResponse'), { oneof: 0 }),
      ],
      oneofDecl: [{ name: 'message_response' }],
    },
    { name: 'FileDescriptorResponse', field: [field('file_descriptor_proto', 1, Type.BYTES, { repeated: true })] },
    {
      name: 'ExtensionNumberResponse',
      field: [str('base_type_name', 1), field('extension_number', 2, Type.INT32, { repeated: true })],
    },
    { name: 'ListServiceResponse', field: [msg('service', 1, t('ServiceResponse'), { repeated: true })] },
    { name: 'ServiceResponse', field: [str('name', 1)] },
    { name: 'ErrorResponse', field: [field('error_code', 1, Type.INT32), str('error_message', 2)] },
  ];
  return toBinary(
    FileDescriptorProtoSchema,
    create(FileDescriptorProtoSchema, {
      name: `grpc/reflection/${pkg.split('.').pop() ?? ''}/reflection.proto`,
      package: pkg,
      syntax: 'proto3',
      messageType: messages,
      service: [
        {
          name: 'ServerReflection',
          method: [
            {
              name: 'ServerReflectionInfo',
              inputType: t('ServerReflectionRequest'),
              outputType: t('ServerReflectionResponse'),
              clientStreaming: true,
              serverStreaming: true,
            },
          ],
        },
      ],
    }),
  );
}

function healthFile(): Uint8Array {
  const t = (name: string): string => `.grpc.health.v1.${name}`;
  return toBinary(
    FileDescriptorProtoSchema,
    create(FileDescriptorProtoSchema, {
      name: 'grpc/health/v1/health.proto',
      package: 'grpc.health.v1',
      syntax: 'proto3',
      messageType: [
        { name: 'HealthListRequest' },
        {
          name: 'HealthListResponse',
          field: [msg('statuses', 1, t('HealthListResponse.StatusesEntry'), { repeated: true })],
          nestedType: [
            {
              name: 'StatusesEntry',
              field: [str('key', 1), msg('value', 2, t('HealthCheckResponse'))],
              options: { mapEntry: true },
            },
          ],
        },
        { name: 'HealthCheckRequest', field: [str('service', 1)] },
        {
          name: 'HealthCheckResponse',
          field: [field('status', 1, Type.ENUM, { typeName: t('HealthCheckResponse.ServingStatus') })],
          enumType: [
            {
              name: 'ServingStatus',
              value: [
                { name: 'UNKNOWN', number: 0 },
                { name: 'SERVING', number: 1 },
                { name: 'NOT_SERVING', number: 2 },
                { name: 'SERVICE_UNKNOWN', number: 3 },
              ],
            },
          ],
        },
      ],
      service: [
        {
          name: 'Health',
          method: [
            { name: 'Check', inputType: t('HealthCheckRequest'), outputType: t('HealthCheckResponse') },
            { name: 'Watch', inputType: t('HealthCheckRequest'), outputType: t('HealthCheckResponse'), serverStreaming: true },
            { name: 'List', inputType: t('HealthListRequest'), outputType: t('HealthListResponse') },
          ],
        },
      ],
    }),
  );
}

/** Serialized FileDescriptorProtos of grpc.health.v1 and grpc.reflection.v1/v1alpha. */
export function builtinFiles(): Uint8Array[] {
  return [healthFile(), reflectionFile('grpc.reflection.v1'), reflectionFile('grpc.reflection.v1alpha')];
}
