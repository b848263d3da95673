// Reads a request body in any of the three encodings Graph accepts: JSON, form-urlencoded
// (object params are JSON strings) and multipart/form-data (JSON-string fields plus a file
// part that is counted, not kept).

import type { IncomingMessage } from 'node:http';
import { invalidParam, type GraphErrorFields } from './graph-errors';
import { isObject } from './json-checks';
import { MultipartParser, multipartBoundary, type MultipartFile } from './multipart-parser';

/** The decoded body: undefined when the request had none. */
export type BodyResult =
  | { kind: 'ok'; body: Record<string, unknown> | undefined; file?: MultipartFile }
  | { kind: 'invalid'; error: GraphErrorFields }
  /** The client went away mid-body: there is nobody to answer. */
  | { kind: 'aborted' };

// JSON and form bodies of the Send API are small; this only stops a runaway client.
const MAX_TEXT_BODY = 4 * 1024 * 1024;

/** Reads and decodes the whole body of `req` according to its Content-Type. */
export async function readRequestBody(req: IncomingMessage): Promise<BodyResult> {
  const contentType = req.headers['content-type'] ?? '';
  const mediaType = contentType.split(';')[0].trim().toLowerCase();
  try {
    if (mediaType === 'multipart/form-data') return await readMultipart(req, contentType);
    const text = await readText(req);
    if (text === undefined) return { kind: 'invalid', error: invalidParam(`Request body exceeds ${MAX_TEXT_BODY} bytes`) };
    if (text.trim() === '') return { kind: 'ok', body: undefined };
    if (mediaType === 'application/x-www-form-urlencoded') return { kind: 'ok', body: decodeParams(new URLSearchParams(text)) };
    return parseJsonBody(text, mediaType);
  } catch {
    return { kind: 'aborted' };
  }
}

/**
 * Form and query params as Graph reads them: a value that looks like a JSON object or array
 * is parsed (the docs' curl samples even use single quotes), anything else stays a string.
 */
export function decodeParams(params: Iterable<[string, string]>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of params) out[key] = decodeValue(value);
  return out;
}

function decodeValue(value: string): unknown {
  const trimmed = value.trim();
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return value;
  try {
    return JSON.parse(trimmed) as unknown;
  } catch {
    try {
      return JSON.parse(trimmed.replace(/'/g, '"')) as unknown;
    } catch {
      return value;
    }
  }
}

function parseJsonBody(text: string, mediaType: string): BodyResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // Without a JSON content type, a body that is not JSON may still be form params.
    if (mediaType !== 'application/json' && text.includes('=')) return { kind: 'ok', body: decodeParams(new URLSearchParams(text)) };
    return { kind: 'invalid', error: invalidParam('The request body could not be parsed as JSON') };
  }
  if (!isObject(json)) return { kind: 'invalid', error: invalidParam('The request body must be a JSON object') };
  return { kind: 'ok', body: json };
}

async function readText(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    // Keep draining so the connection stays usable, but stop keeping bytes.
    if (size <= MAX_TEXT_BODY) chunks.push(chunk);
  }
  return size > MAX_TEXT_BODY ? undefined : Buffer.concat(chunks).toString('utf8');
}

async function readMultipart(req: IncomingMessage, contentType: string): Promise<BodyResult> {
  const boundary = multipartBoundary(contentType);
  if (boundary === undefined) {
    req.resume();
    return { kind: 'invalid', error: invalidParam('multipart/form-data request without a boundary') };
  }
  const parser = new MultipartParser(boundary);
  for await (const chunk of req as AsyncIterable<Buffer>) parser.write(chunk);
  const result = parser.end();
  if (!result.ok) return { kind: 'invalid', error: invalidParam(`Malformed multipart body: ${result.reason}`) };
  const file = result.files.find((f) => f.field === 'filedata') ?? result.files[0];
  return { kind: 'ok', body: decodeParams(Object.entries(result.fields)), file };
}
