import type { handleUnaryCall } from '@grpc/grpc-js';
import { MediaType, MessageTag, MessagingType, messagingTypeToJSON } from '../../gen/messenger/v1/enums';
import type { SendKind } from '../conversations/send-kind';
import { SendMessageRequest, SendMessageResponse } from '../../gen/messenger/v1/service';
import type { RateClass } from '../delivery/delivery-types';
import { fromGraphMessageResponse } from '../graph/from-graph';
import { toGraphMessageBody } from '../graph/to-graph';
import { ATTR } from '../telemetry/attribute-names';
import { recipientKind, recipientValue } from '../telemetry/send-attributes';
import { validateSendMessage } from '../validate/validate-send-message';
import { instagramSendViolations, messengerSendViolations } from '../validate/validate-instagram';
import type { GraphCallSpec } from './graph-call-spec';
import type { ServiceDeps } from './service-deps';
import { unaryGraphCall } from './unary-graph-call';

/** SendMessage: `POST /{page-id}/messages` (also each item of SendMessages). */
export const sendMessageSpec: GraphCallSpec<SendMessageRequest, SendMessageResponse> = {
  method: 'SendMessage',
  pageOf: (req) => req.pageId,
  validate: validateSendMessage,
  instagram: instagramSendViolations,
  messenger: messengerSendViolations,
  request: (req) => ({ method: 'POST', path: `/${req.pageId}/messages`, json: toGraphMessageBody(req) }),
  fromGraph: fromGraphMessageResponse,
  describe: (res) => ({ messageId: res.messageId, attachmentId: res.attachmentId }),
  rateClass: messageRateClass,
  // A send acts: retried only when Graph certainly did not act on it.
  safeToRetry: false,
  idempotency: {
    fingerprint: (req) => SendMessageRequest.encode({ ...req, idempotencyKey: '' }).finish(),
    responseCodec: SendMessageResponse,
  },
  conversation: (req) => (req.recipient?.identifier?.$case === 'id' ? { person: req.recipient.identifier.value, kind: messageKind(req) } : undefined),
  markWarning: (res, warning) => ({ ...res, policyWarning: { reason: warning.reason, message: warning.message } }),
  attributes: (req, recordRecipient) => ({
    [ATTR.PAGE_ID]: req.pageId,
    [ATTR.MESSAGING_TYPE]: messagingTypeToJSON(req.messagingType).replace('MESSAGING_TYPE_', ''),
    [ATTR.RECIPIENT_KIND]: recipientKind(req.recipient),
    ...(recordRecipient ? { [ATTR.RECIPIENT_ID]: recipientValue(req.recipient) } : {}),
  }),
};

/** `SendMessage`: one message to one recipient. */
export function sendMessageHandler(deps: ServiceDeps): handleUnaryCall<SendMessageRequest, SendMessageResponse> {
  return unaryGraphCall(deps, sendMessageSpec);
}

/**
 * Meta limits audio and video sends per page far below the rest (10/s against ~300/s), and
 * private replies to 750 an hour.
 */
export function messageRateClass(req: SendMessageRequest): RateClass {
  const to = req.recipient?.identifier?.$case;
  if (to === 'commentId' || to === 'postId') return 'private_reply';
  const content = req.message?.content;
  if (content?.$case !== 'attachment' || content.value.kind?.$case !== 'media') return 'default';
  const type = content.value.kind.value.type;
  return type === MediaType.MEDIA_TYPE_AUDIO || type === MediaType.MEDIA_TYPE_VIDEO ? 'media' : 'default';
}

/** What a message is for Meta's windows: a utility template, a HUMAN_AGENT tagged reply, or any other message. */
function messageKind(req: SendMessageRequest): SendKind {
  if (req.messagingType === MessagingType.MESSAGING_TYPE_UTILITY || req.message?.content?.$case === 'template') return 'utility';
  if (req.messagingType === MessagingType.MESSAGING_TYPE_MESSAGE_TAG && req.tag === MessageTag.MESSAGE_TAG_HUMAN_AGENT) return 'human-agent';
  return 'message';
}


