import { MediaType } from '../../gen/messenger/v1/enums';
import type { UploadFile, UploadMetadata } from '../../gen/messenger/v1/service';
import { MAX_UPLOAD_BYTES } from '../limits/graph-limits';
import type { FieldViolation } from './field-violation';
import { checkEnum, checkRequired, checkUrl } from './field-checks';
import { checkPageId, type IsPageConfigured } from './validate-page-id';
import { ViolationList } from './violation-list';


/**
 * Every rule the metadata of an UploadAttachment stream breaks; [] when valid. `meta` is
 * undefined when the first message of the stream carried no metadata.
 */
export function validateUploadMetadata(meta: UploadMetadata | undefined, isPageConfigured: IsPageConfigured): FieldViolation[] {
  const out = new ViolationList();
  if (meta === undefined) {
    out.add('metadata', 'is required in the first message of the stream');
    return out.items;
  }
  checkPageId(out, 'metadata.page_id', meta.pageId, isPageConfigured);
  const typeKnown = checkEnum(out, 'metadata.type', MediaType, meta.type, true);
  const source = meta.source;
  if (source === undefined) out.add('metadata', 'must set one source: url or file');
  else if (source.$case === 'url') checkUrl(out, 'metadata.url', source.value, { required: true });
  else checkFile(out, 'metadata.file', source.value, typeKnown ? meta.type : MediaType.MEDIA_TYPE_UNSPECIFIED);
  return out.items;
}

function checkFile(out: ViolationList, field: string, file: UploadFile, type: MediaType): void {
  checkRequired(out, `${field}.filename`, file.filename);
  const contentType = file.contentType;
  if (checkRequired(out, `${field}.content_type`, contentType)) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+\/[!#$%&'*+.^_`|~0-9A-Za-z-]+(\s*;.*)?$/.test(contentType)) {
      out.add(`${field}.content_type`, `must be a MIME type such as image/jpeg (got "${contentType}")`);
    } else if (type === MediaType.MEDIA_TYPE_AUDIO && !/^audio\//i.test(contentType)) {
      // Graph refuses uploaded audio without an audio/* type.
      out.add(`${field}.content_type`, `must be an audio/* type for MEDIA_TYPE_AUDIO (got "${contentType}")`);
    }
  }
  if (file.size !== undefined) {
    // forceLong=string: int64 arrives as a decimal string.
    if (!/^[0-9]+$/.test(file.size)) {
      out.add(`${field}.size`, `must be a non-negative number of bytes (got ${file.size})`);
    } else if (Number(file.size) > MAX_UPLOAD_BYTES) {
      out.add(`${field}.size`, `must be at most ${MAX_UPLOAD_BYTES} bytes (${MAX_UPLOAD_BYTES / (1024 * 1024)} MB) (got ${file.size})`);
    }
  }
}
