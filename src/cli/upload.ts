import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { MediaType } from '../../gen/messenger/v1/enums';
import { MessengerServiceClient, type UploadAttachmentRequest, type UploadAttachmentResponse, type UploadMetadata } from '../../gen/messenger/v1/service';
import { checkPageId } from './check-page-id';
import { EXIT, EXIT_CODES_HELP } from './exit-codes';
import { parseFlags } from './parse-flags';
import { reportFailedCall } from './report-call-error';
import { UsageError } from './usage-error';

export const UPLOAD_USAGE = `Usage: npm run upload -- --page PAGE_ID --file PATH [--type image|video|audio|file] [--content-type MIME]
                        [--target HOST:PORT] [--timeout-ms MS (120000)]

Uploads a file to the Page (UploadAttachment, streamed in chunks) and prints {"attachmentId": "…"}
on stdout: send it later as a media attachment_id. --type and --content-type default from the file's
extension (image for .png/.jpg/.jpeg/.gif, video for .mp4/.mov, audio for .mp3/.m4a/.ogg/.wav, else file).
Errors are printed with their details decoded, as JSON on stderr. A sample: examples/requests/photo.png.
In a pipe, npm run -s upload -- … keeps npm's banner off stdout.

${EXIT_CODES_HELP}`;

const TYPES: Record<string, MediaType> = {
  image: MediaType.MEDIA_TYPE_IMAGE, video: MediaType.MEDIA_TYPE_VIDEO, audio: MediaType.MEDIA_TYPE_AUDIO, file: MediaType.MEDIA_TYPE_FILE,
};
const BY_EXTENSION: Record<string, [string, string]> = {
  '.png': ['image', 'image/png'], '.jpg': ['image', 'image/jpeg'], '.jpeg': ['image', 'image/jpeg'], '.gif': ['image', 'image/gif'],
  '.mp4': ['video', 'video/mp4'], '.mov': ['video', 'video/quicktime'],
  '.mp3': ['audio', 'audio/mpeg'], '.m4a': ['audio', 'audio/mp4'], '.ogg': ['audio', 'audio/ogg'], '.wav': ['audio', 'audio/wav'],
  '.pdf': ['file', 'application/pdf'], '.txt': ['file', 'text/plain'],
};
const CHUNK_BYTES = 64 * 1024;

/** `upload`: streams one file to UploadAttachment and prints its attachment id. Returns the exit code. */
export async function runUpload(argv: string[]): Promise<number> {
  const values = parseFlags('upload', argv, {
    page: { type: 'string' }, file: { type: 'string' }, type: { type: 'string' }, 'content-type': { type: 'string' },
    target: { type: 'string' }, 'timeout-ms': { type: 'string' }, help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(`${UPLOAD_USAGE}\n`);
    return EXIT.OK;
  }
  if (!values.page || !values.file) throw new UsageError('upload needs --page and --file');
  checkPageId(values.page);
  const guess = BY_EXTENSION[extname(values.file).toLowerCase()];
  const typeName = values.type ?? guess?.[0] ?? 'file';
  const type = TYPES[typeName];
  if (type === undefined) throw new UsageError(`unknown --type ${typeName} (image, video, audio, file)`);
  const contentType = values['content-type'] ?? guess?.[1] ?? 'application/octet-stream';
  const timeoutMs = values['timeout-ms'] === undefined ? 120_000 : Number(values['timeout-ms']);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new UsageError(`--timeout-ms must be a positive integer (got ${values['timeout-ms']})`);
  let size: number;
  try {
    size = (await stat(values.file)).size;
  } catch (err) {
    throw new UsageError(`cannot read ${values.file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const target = values.target ?? process.env.GATEWAY_TARGET ?? '127.0.0.1:50051';
  const client = new MessengerServiceClient(target, credentials.createInsecure());
  try {
    const res = await new Promise<UploadAttachmentResponse>((resolve, reject) => {
      const call = client.uploadAttachment(new Metadata(), { deadline: Date.now() + timeoutMs }, (err: ServiceError | null, r?: UploadAttachmentResponse) => (err ? reject(err) : resolve(r!)));
      void streamFile(call, values.file!, {
        pageId: values.page!, type, source: { $case: 'file', value: { filename: basename(values.file!), contentType, size: String(size) } },
      }).catch((err: unknown) => call.destroy(err as Error));
    });
    process.stdout.write(`${JSON.stringify(res, null, 2)}\n`);
    return EXIT.OK;
  } catch (err) {
    return reportFailedCall(err, target);
  } finally {
    client.close();
  }
}

type UploadStream = ReturnType<MessengerServiceClient['uploadAttachment']>;

/** Writes the metadata, then the file in chunks, waiting whenever the stream asks to (flow control). */
async function streamFile(call: UploadStream, path: string, metadata: UploadMetadata): Promise<void> {
  const write = async (req: UploadAttachmentRequest) => {
    if (!call.write(req)) await new Promise((r) => call.once('drain', r));
  };
  await write({ part: { $case: 'metadata', value: metadata } });
  for await (const chunk of createReadStream(path, { highWaterMark: CHUNK_BYTES })) {
    await write({ part: { $case: 'chunk', value: chunk as Buffer } });
  }
  call.end();
}
