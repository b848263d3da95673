import { describe, expect, it } from 'vitest';
import { MediaType } from '../../gen/messenger/v1/enums';
import type { UploadMetadata } from '../../gen/messenger/v1/service';
import { validateUploadMetadata } from '../../src/validate/validate-upload';
import { isPageConfigured, uploadMetadata } from './requests';

const validate = (meta: UploadMetadata | undefined) => validateUploadMetadata(meta, isPageConfigured);
const file = (f: { filename?: string; contentType?: string; size?: string }) =>
  ({ $case: 'file' as const, value: { filename: 'a.jpg', contentType: 'image/jpeg', ...f } });

describe('validateUploadMetadata accepts', () => {
  it.each<[string, UploadMetadata]>([
    ['an image by url', uploadMetadata({ source: { $case: 'url', value: 'https://example.com/a.png' } })],
    ['an image file of 25 MB', uploadMetadata({ source: file({ size: '26214400' }) })],
    ['a file without size', uploadMetadata({ type: MediaType.MEDIA_TYPE_FILE, source: file({ filename: 'doc.pdf', contentType: 'application/pdf' }) })],
    ['audio with an audio type', uploadMetadata({ type: MediaType.MEDIA_TYPE_AUDIO, source: file({ filename: 'a.mp3', contentType: 'audio/mpeg' }) })],
    ['audio by url', uploadMetadata({ type: MediaType.MEDIA_TYPE_AUDIO, source: { $case: 'url', value: 'http://example.com/a.mp3' } })],
  ])('%s', (_name, meta) => {
    expect(validate(meta)).toEqual([]);
  });
});

describe('validateUploadMetadata refuses', () => {
  it.each<[string, UploadMetadata | undefined, string, string | RegExp]>([
    ['no metadata', undefined, 'metadata', /first message of the stream/],
    ['page_id missing', uploadMetadata({ pageId: '', source: file({}) }), 'metadata.page_id', 'is required'],
    ['page_id unknown', uploadMetadata({ pageId: '999', source: file({}) }), 'metadata.page_id', 'page 999 is not configured in this gateway'],
    ['type unset', uploadMetadata({ type: MediaType.MEDIA_TYPE_UNSPECIFIED, source: file({}) }), 'metadata.type', 'is required'],
    ['type unrecognized', uploadMetadata({ type: MediaType.UNRECOGNIZED, source: file({}) }), 'metadata.type', 'must be a known value (got -1)'],
    ['no source', uploadMetadata({}), 'metadata', 'must set one source: url or file'],
    ['url relative', uploadMetadata({ source: { $case: 'url', value: 'a.png' } }), 'metadata.url', 'must be an absolute http(s) URL'],
    ['url empty', uploadMetadata({ source: { $case: 'url', value: '' } }), 'metadata.url', 'is required'],
    ['file without name', uploadMetadata({ source: file({ filename: '' }) }), 'metadata.file.filename', 'is required'],
    ['file without content type', uploadMetadata({ source: file({ contentType: '' }) }), 'metadata.file.content_type', 'is required'],
    ['file with a bad content type', uploadMetadata({ source: file({ contentType: 'jpeg' }) }), 'metadata.file.content_type', /MIME type/],
    ['audio as video/mp4', uploadMetadata({ type: MediaType.MEDIA_TYPE_AUDIO, source: file({ contentType: 'video/mp4' }) }), 'metadata.file.content_type', 'must be an audio/* type for MEDIA_TYPE_AUDIO (got "video/mp4")'],
    ['file over 25 MB', uploadMetadata({ source: file({ size: '26214401' }) }), 'metadata.file.size', /at most 26214400 bytes/],
    ['negative size', uploadMetadata({ source: file({ size: '-1' }) }), 'metadata.file.size', /non-negative/],
  ])('%s', (_name, meta, field, description) => {
    const violations = validate(meta);
    expect(violations).toHaveLength(1);
    expect(violations[0].field).toBe(field);
    if (typeof description === 'string') expect(violations[0].description).toBe(description);
    else expect(violations[0].description).toMatch(description);
  });

  it('lists every violation', () => {
    const meta = uploadMetadata({ pageId: '', type: 0, source: file({ filename: '', contentType: '', size: '99999999999' }) });
    expect(validate(meta).map((v) => v.field)).toEqual([
      'metadata.page_id', 'metadata.type', 'metadata.file.filename', 'metadata.file.content_type', 'metadata.file.size',
    ]);
  });
});
