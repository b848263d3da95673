import type {
  SendMessageResponse,
  SendSenderActionResponse,
  UploadAttachmentResponse,
} from '../../gen/messenger/v1/service';

/** A Graph success body that lacks what the Send API promises; reported as GRAPH_BAD_RESPONSE. */
export interface Malformed { malformed: string }

/** Graph's `{recipient_id, message_id, attachment_id?, thread_key?, gchat_space_name?}`. */
export function fromGraphMessageResponse(body: Record<string, unknown>): SendMessageResponse | Malformed {
  const messageId = id(body.message_id);
  if (!messageId) return { malformed: 'no message_id in the answer' };
  return {
    // Absent for user_ref and phone_number recipients.
    recipientId: id(body.recipient_id) ?? '',
    messageId,
    attachmentId: id(body.attachment_id),
    threadKey: id(body.thread_key),
    gchatSpaceName: id(body.gchat_space_name),
  };
}

/** Graph's `{recipient_id}` answer to a sender action. */
export function fromGraphSenderActionResponse(body: Record<string, unknown>): SendSenderActionResponse {
  return { recipientId: id(body.recipient_id) ?? '' };
}

/** Graph's `{attachment_id}` answer to an upload. */
export function fromGraphUploadResponse(body: Record<string, unknown>): UploadAttachmentResponse | Malformed {
  const attachmentId = id(body.attachment_id);
  return attachmentId ? { attachmentId } : { malformed: 'no attachment_id in the answer' };
}

// Graph's ids have tens of characters; a far longer one is no id (and is not passed on).
const MAX_ID_LENGTH = 1024;

/** Ids are opaque strings; Graph has sent some as numbers. */
function id(v: unknown): string | undefined {
  if (typeof v === 'string' && v !== '') return v.length <= MAX_ID_LENGTH ? v : undefined;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  return undefined;
}
