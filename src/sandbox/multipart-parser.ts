// A streaming multipart/form-data parser: text fields are kept (bounded), file parts are only
// counted, so a 25 MB upload costs a few chunks of memory, never the whole file.
//
// The stream is treated as if it began with CRLF, which makes every delimiter, the first one
// included, the same byte sequence `\r\n--boundary`.

/** A file part: what it was called and how many bytes it held. */
export interface MultipartFile {
  field: string;
  filename: string;
  contentType: string;
  size: number;
}

/** The parsed form, or why it could not be parsed. */
export type MultipartResult =
  | { ok: true; fields: Record<string, string>; files: MultipartFile[] }
  | { ok: false; reason: string };

const MAX_HEADER_BYTES = 16 * 1024;
const CRLF2 = Buffer.from('\r\n\r\n');

type State = 'body' | 'after-delimiter' | 'headers' | 'done';

interface Part {
  name: string;
  file?: MultipartFile;
  chunks: Buffer[];
}

/** The boundary from a Content-Type header, or undefined if it names none. */
export function multipartBoundary(contentType: string): string | undefined {
  const match = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  return boundary && boundary.length <= 200 ? boundary : undefined;
}

/** Incremental parser: feed chunks with `write`, then call `end`. */
export class MultipartParser {
  private readonly delimiter: Buffer;
  private readonly fields: Record<string, string> = {};
  private readonly files: MultipartFile[] = [];
  private state: State = 'body';
  // Bytes held back because a delimiter might straddle the next chunk.
  private pending: Buffer = Buffer.from('\r\n');
  private part: Part | undefined;
  private fieldBytes = 0;
  private error: string | undefined;

  constructor(boundary: string, private readonly maxFieldBytes = 1024 * 1024) {
    this.delimiter = Buffer.from(`\r\n--${boundary}`);
  }

  /** Consumes one chunk of the body. */
  write(chunk: Buffer): void {
    if (this.stopped()) return;
    let buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = Buffer.alloc(0);
    while (buf.length > 0 && !this.stopped()) {
      buf = this.step(buf);
    }
  }

  /** The result once the whole body was written. */
  end(): MultipartResult {
    if (this.error !== undefined) return { ok: false, reason: this.error };
    if (this.state !== 'done') return { ok: false, reason: 'multipart body ends before its closing boundary' };
    return { ok: true, fields: this.fields, files: this.files };
  }

  private stopped(): boolean {
    return this.error !== undefined || this.state === 'done';
  }

  /** Advances the state machine over `buf` and returns the bytes not yet consumed. */
  private step(buf: Buffer): Buffer {
    switch (this.state) {
      case 'body': {
        const at = buf.indexOf(this.delimiter);
        if (at < 0) {
          // Keep a tail that could be the start of a delimiter.
          const keep = Math.min(buf.length, this.delimiter.length - 1);
          this.emit(buf.subarray(0, buf.length - keep));
          this.pending = Buffer.from(buf.subarray(buf.length - keep));
          return Buffer.alloc(0);
        }
        this.emit(buf.subarray(0, at));
        this.finishPart();
        this.state = 'after-delimiter';
        return buf.subarray(at + this.delimiter.length);
      }
      case 'after-delimiter': {
        if (buf.length < 2) {
          this.pending = Buffer.from(buf);
          return Buffer.alloc(0);
        }
        const two = buf.toString('latin1', 0, 2);
        if (two === '--') {
          this.state = 'done';
          return Buffer.alloc(0);
        }
        if (two !== '\r\n') {
          this.error = 'malformed multipart delimiter';
          return Buffer.alloc(0);
        }
        this.state = 'headers';
        return buf.subarray(2);
      }
      case 'headers': {
        const end = buf.indexOf(CRLF2);
        if (end < 0) {
          if (buf.length > MAX_HEADER_BYTES) this.error = 'multipart part headers too large';
          else this.pending = Buffer.from(buf);
          return Buffer.alloc(0);
        }
        this.startPart(buf.toString('utf8', 0, end));
        this.state = 'body';
        // An empty part body is fine: the delimiter's own CRLF follows the headers directly.
        return buf.subarray(end + CRLF2.length);
      }
      default:
        return Buffer.alloc(0);
    }
  }

  private startPart(rawHeaders: string): void {
    let disposition = '';
    let contentType = 'application/octet-stream';
    for (const line of rawHeaders.split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      const key = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (key === 'content-disposition') disposition = value;
      else if (key === 'content-type') contentType = value;
    }
    const name = dispositionParam(disposition, 'name');
    if (name === undefined) {
      this.error = 'multipart part without a name';
      return;
    }
    const filename = dispositionParam(disposition, 'filename');
    this.part = filename === undefined
      ? { name, chunks: [] }
      : { name, chunks: [], file: { field: name, filename, contentType, size: 0 } };
  }

  private emit(data: Buffer): void {
    const part = this.part;
    if (!part || data.length === 0) return;
    if (part.file) {
      part.file.size += data.length;
      return;
    }
    this.fieldBytes += data.length;
    if (this.fieldBytes > this.maxFieldBytes) {
      this.error = `multipart text fields exceed ${this.maxFieldBytes} bytes`;
      return;
    }
    part.chunks.push(Buffer.from(data));
  }

  private finishPart(): void {
    const part = this.part;
    this.part = undefined;
    if (!part) return;
    if (part.file) this.files.push(part.file);
    else this.fields[part.name] = Buffer.concat(part.chunks).toString('utf8');
  }
}

function dispositionParam(disposition: string, key: string): string | undefined {
  const match = new RegExp(`(?:^|;)\\s*${key}="((?:[^"\\\\]|\\\\.)*)"|(?:^|;)\\s*${key}=([^;\\s]+)`, 'i').exec(disposition);
  if (!match) return undefined;
  return match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : match[2];
}
