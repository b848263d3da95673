import { describe, expect, it } from 'vitest';
import { MultipartParser, multipartBoundary } from '../../src/sandbox/multipart-parser';

const BOUNDARY = 'b0und4ry';

function body(fileBytes: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from(`preamble\r\n--${BOUNDARY}\r\nContent-Disposition: form-data; name="message"\r\n\r\n{"attachment":{"type":"file"}}\r\n`),
    Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="empty"\r\n\r\n\r\n`),
    Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="filedata"; filename="a \\"b\\".txt"\r\nContent-Type: text/plain\r\n\r\n`),
    fileBytes,
    Buffer.from(`\r\n--${BOUNDARY}--\r\nepilogue`),
  ]);
}

describe('multipart parser', () => {
  // File bytes that look like the start of a delimiter without being one.
  const file = Buffer.from(`x\r\n--b0und4r\r\n-\r\r\n--${BOUNDARY.slice(0, 5)}y`);

  it('gives the same result for every way of splitting the body into chunks', () => {
    const whole = body(file);
    for (let size = 1; size <= whole.length; size += size < 40 ? 1 : 17) {
      const parser = new MultipartParser(BOUNDARY);
      for (let i = 0; i < whole.length; i += size) parser.write(whole.subarray(i, i + size));
      expect(parser.end(), `chunk size ${size}`).toEqual({
        ok: true,
        fields: { message: '{"attachment":{"type":"file"}}', empty: '' },
        files: [{ field: 'filedata', filename: 'a "b".txt', contentType: 'text/plain', size: file.length }],
      });
    }
  });

  it('reports a body cut before its closing boundary', () => {
    const whole = body(file);
    const parser = new MultipartParser(BOUNDARY);
    parser.write(whole.subarray(0, whole.length - 20));
    expect(parser.end().ok).toBe(false);
  });

  it('bounds the text fields it keeps', () => {
    const parser = new MultipartParser(BOUNDARY, 10);
    parser.write(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="m"\r\n\r\n${'x'.repeat(50)}\r\n--${BOUNDARY}--`));
    expect(parser.end()).toMatchObject({ ok: false });
  });

  it('reads the boundary from a Content-Type, quoted or not', () => {
    expect(multipartBoundary('multipart/form-data; boundary=abc')).toBe('abc');
    expect(multipartBoundary('multipart/form-data; boundary="a b"; charset=x')).toBe('a b');
    expect(multipartBoundary('multipart/form-data')).toBeUndefined();
  });
});
