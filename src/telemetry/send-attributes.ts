import { trace, type Span } from '@opentelemetry/api';
import type { Recipient } from '../../gen/messenger/v1/recipient';

/**
 * Every Messenger attribute the gateway puts on the gRPC server span, in one place.
 * rpc.* come from the gRPC instrumentation; the Graph client span's http.* / url.* / server.*
 * from src/telemetry/graph-span.ts.
 */
export const ATTR = {
  PAGE_ID: 'messenger.page.id',
  /** The authenticated calling service (its configured name, never its key). */
  CALLER: 'messenger.caller',
  MESSAGING_TYPE: 'messenger.messaging_type',
  SENDER_ACTION: 'messenger.sender_action',
  RECIPIENT_KIND: 'messenger.recipient.kind',
  /** Only with `telemetry.recordRecipient: true`: a PSID is personal data. */
  RECIPIENT_ID: 'messenger.recipient.id',
  MESSAGE_ID: 'messenger.message.id',
  ATTACHMENT_ID: 'messenger.attachment.id',
  UPLOAD_BYTES: 'messenger.upload.bytes',
  ERROR_REASON: 'messenger.error.reason',
  GRAPH_CODE: 'messenger.graph.error.code',
  GRAPH_SUBCODE: 'messenger.graph.error.subcode',
  GRAPH_FBTRACE_ID: 'messenger.graph.error.fbtrace_id',
  GRAPH_TRANSIENT: 'messenger.graph.error.is_transient',
  RETRY_DELAY_S: 'messenger.retry.delay_s',
  VIOLATIONS: 'messenger.validation.violations',
} as const;

/** The span of the current gRPC call, when tracing is on and it is sampled. */
export function currentSpan(): Span | undefined {
  const span = trace.getActiveSpan();
  return span?.isRecording() ? span : undefined;
}

const RECIPIENT_KINDS: Record<string, string> = {
  id: 'id', userRef: 'user_ref', postId: 'post_id', commentId: 'comment_id',
  notificationMessagesToken: 'notification_messages_token', oneTimeNotifToken: 'one_time_notif_token', phoneNumber: 'phone_number',
};

/** Graph's name of the recipient identifier kind (`id`, `user_ref`, ...), never its value. */
export function recipientKind(r: Recipient | undefined): string {
  return r?.identifier ? (RECIPIENT_KINDS[r.identifier.$case] ?? r.identifier.$case) : 'none';
}

/** The recipient's identifier, for spans only when the operator opted in. */
export function recipientValue(r: Recipient | undefined): string | undefined {
  const id = r?.identifier;
  if (!id) return undefined;
  return id.$case === 'phoneNumber' ? id.value.phoneNumber : id.value;
}
