// Translation of validated gRPC requests into the JSON bodies of Graph's Send API. Pure
// object building on the hot path: no cloning, no schema library. Enum values ending in
// _UNSPECIFIED, empty strings, false booleans and empty lists are omitted, never sent as
// "" / 0 / false / []. Keys are assigned in a fixed order so that output is deterministic.
//
// Where each field is built:
//   recipient, messaging_type, notification_type, tag, persona_id, reply_to,
//   thread_control, sender_action, payload, upload message ......... this file
//   message (text, attachment(s), utility template, quick replies) ... to-graph-message.ts
//   template attachments (generic, button, media, receipt, ...) ..... to-graph-templates.ts
//   buttons and default_action ........................................ to-graph-buttons.ts
//   the JSON types ..................................................... to-graph-types.ts

import { MessageTag, MessagingType, NotificationType, SenderAction } from '../../gen/messenger/v1/enums';
import type { Recipient } from '../../gen/messenger/v1/recipient';
import type { SendMessageRequest, SendSenderActionRequest, UploadMetadata } from '../../gen/messenger/v1/service';
import { unvalidated } from './to-graph-buttons';
import { MEDIA_TYPE, toGraphMessage } from './to-graph-message';
import type {
  GraphMessageBody,
  GraphMessagingType,
  GraphNotificationType,
  GraphRecipient,
  GraphSenderAction,
  GraphSenderActionBody,
  GraphTag,
  GraphUploadMessage,
  JsonObject,
  JsonValue,
} from './to-graph-types';

export type * from './to-graph-types';

const MESSAGING_TYPE: Readonly<Partial<Record<MessagingType, GraphMessagingType>>> = {
  [MessagingType.MESSAGING_TYPE_RESPONSE]: 'RESPONSE',
  [MessagingType.MESSAGING_TYPE_UPDATE]: 'UPDATE',
  [MessagingType.MESSAGING_TYPE_MESSAGE_TAG]: 'MESSAGE_TAG',
  [MessagingType.MESSAGING_TYPE_UTILITY]: 'UTILITY',
};

const NOTIFICATION_TYPE: Readonly<Partial<Record<NotificationType, GraphNotificationType>>> = {
  [NotificationType.NOTIFICATION_TYPE_REGULAR]: 'REGULAR',
  [NotificationType.NOTIFICATION_TYPE_SILENT_PUSH]: 'SILENT_PUSH',
  [NotificationType.NOTIFICATION_TYPE_NO_PUSH]: 'NO_PUSH',
};

const TAG: Readonly<Partial<Record<MessageTag, GraphTag>>> = {
  [MessageTag.MESSAGE_TAG_HUMAN_AGENT]: 'HUMAN_AGENT',
  [MessageTag.MESSAGE_TAG_CUSTOMER_FEEDBACK]: 'CUSTOMER_FEEDBACK',
  [MessageTag.MESSAGE_TAG_ACCOUNT_UPDATE]: 'ACCOUNT_UPDATE',
  [MessageTag.MESSAGE_TAG_CONFIRMED_EVENT_UPDATE]: 'CONFIRMED_EVENT_UPDATE',
  [MessageTag.MESSAGE_TAG_POST_PURCHASE_UPDATE]: 'POST_PURCHASE_UPDATE',
};

// Graph documents sender actions in upper case but every client sends lower case.
const SENDER_ACTION: Readonly<Partial<Record<SenderAction, GraphSenderAction>>> = {
  [SenderAction.SENDER_ACTION_MARK_SEEN]: 'mark_seen',
  [SenderAction.SENDER_ACTION_TYPING_ON]: 'typing_on',
  [SenderAction.SENDER_ACTION_TYPING_OFF]: 'typing_off',
  [SenderAction.SENDER_ACTION_REACT]: 'react',
  [SenderAction.SENDER_ACTION_UNREACT]: 'unreact',
};

/** The JSON body of `POST /{page-id}/messages` for a validated SendMessageRequest. */
export function toGraphMessageBody(req: SendMessageRequest): GraphMessageBody {
  const body: GraphMessageBody = {
    recipient: toGraphRecipient(req.recipient),
    message: toGraphMessage(req.message ?? unvalidated('message')),
  };
  const messagingType = MESSAGING_TYPE[req.messagingType];
  if (messagingType !== undefined) body.messaging_type = messagingType;
  const notificationType = NOTIFICATION_TYPE[req.notificationType];
  if (notificationType !== undefined) body.notification_type = notificationType;
  const tag = TAG[req.tag];
  if (tag !== undefined) body.tag = tag;
  if (req.personaId !== '') body.persona_id = req.personaId;
  if (req.replyTo !== '') body.reply_to = { mid: req.replyTo };
  if (req.threadControl !== undefined) body.thread_control = structToJson(req.threadControl);
  return body;
}

/** The JSON body of `POST /{page-id}/messages` for a validated SendSenderActionRequest. */
export function toGraphSenderActionBody(req: SendSenderActionRequest): GraphSenderActionBody {
  const body: GraphSenderActionBody = {
    recipient: toGraphRecipient(req.recipient),
    sender_action: SENDER_ACTION[req.action] ?? unvalidated('action'),
  };
  if (req.payload !== undefined) {
    body.payload = req.payload.reaction !== ''
      ? { message_id: req.payload.messageId, reaction: req.payload.reaction }
      : { message_id: req.payload.messageId };
  }
  if (req.personaId !== '') body.persona_id = req.personaId;
  return body;
}

/**
 * The `message` field of `POST /{page-id}/message_attachments`. Always reusable: keeping the
 * media for later sends is the point of an upload.
 */
export function toGraphUploadMessage(meta: UploadMetadata): GraphUploadMessage {
  const type = MEDIA_TYPE[meta.type] ?? unvalidated('metadata.type');
  // A file's bytes travel as the multipart `filedata` part, not in this JSON.
  const payload: GraphUploadMessage['attachment']['payload'] = { is_reusable: true };
  if (meta.source?.$case === 'url') payload.url = meta.source.value;
  return { attachment: { type, payload } };
}

/** `recipient`: the one identifier chosen, under Graph's name for it. */
export function toGraphRecipient(recipient: Recipient | undefined): GraphRecipient {
  const identifier = recipient?.identifier ?? unvalidated('recipient');
  switch (identifier.$case) {
    case 'id':
      return { id: identifier.value };
    case 'userRef':
      return { user_ref: identifier.value };
    case 'postId':
      return { post_id: identifier.value };
    case 'commentId':
      return { comment_id: identifier.value };
    case 'notificationMessagesToken':
      return { notification_messages_token: identifier.value };
    case 'oneTimeNotifToken':
      return { one_time_notif_token: identifier.value };
    case 'phoneNumber': {
      const p = identifier.value;
      const out: GraphRecipient & { phone_number: string } = { phone_number: p.phoneNumber };
      if (p.firstName !== '' || p.lastName !== '') {
        const name: { first_name?: string; last_name?: string } = {};
        if (p.firstName !== '') name.first_name = p.firstName;
        if (p.lastName !== '') name.last_name = p.lastName;
        out.name = name;
      }
      return out;
    }
  }
}

/**
 * A decoded google.protobuf.Struct as plain JSON. ts-proto already unwraps it to an object;
 * this only drops the undefined that an unset google.protobuf.Value decodes to, so the
 * result is typed JSON. thread_control is small and rare, so the copy costs nothing.
 */
export function structToJson(struct: { [key: string]: unknown }): JsonObject {
  const out: JsonObject = {};
  for (const key of Object.keys(struct)) {
    const value = toJsonValue(struct[key]);
    if (value !== undefined) out[key] = value;
  }
  return out;
}

function toJsonValue(value: unknown): JsonValue | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  // JSON has no NaN or Infinity: send null, as JSON.stringify would.
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (Array.isArray(value)) {
    const list: JsonValue[] = [];
    for (const item of value) list.push(toJsonValue(item) ?? null);
    return list;
  }
  if (typeof value === 'object' && value !== null) return structToJson(value as { [key: string]: unknown });
  return undefined;
}
