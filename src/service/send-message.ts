import type { handleUnaryCall } from '@grpc/grpc-js';
import { MediaType, messagingTypeToJSON } from '../../gen/messenger/v1/enums';
import { SendMessageRequest, SendMessageResponse } from '../../gen/messenger/v1/service';
import type { RateClass } from '../delivery/delivery-types';
import { fromGraphMessageResponse } from '../graph/from-graph';
import { toGraphMessageBody } from '../graph/to-graph';
import { ATTR } from '../telemetry/attribute-names';
import { recipientKind, recipientValue } from '../telemetry/send-attributes';
import { validateSendMessage } from '../validate/validate-send-message';
import type { ServiceDeps } from './service-deps';
import type { SendSpec } from './send-pipeline';
import { unarySend } from './unary-send';

/** How SendMessage is validated, translated, limited and mapped back (also used by SendMessages). */
export const sendMessageSpec: SendSpec<SendMessageRequest, SendMessageResponse> = {
  method: 'SendMessage',
  validate: validateSendMessage,
  toGraph: toGraphMessageBody,
  fromGraph: fromGraphMessageResponse,
  describe: (res) => ({ messageId: res.messageId, attachmentId: res.attachmentId }),
  rateClass: messageRateClass,
  requestCodec: SendMessageRequest,
  responseCodec: SendMessageResponse,
  attributes: (req, recordRecipient) => ({
    [ATTR.PAGE_ID]: req.pageId,
    [ATTR.MESSAGING_TYPE]: messagingTypeToJSON(req.messagingType).replace('MESSAGING_TYPE_', ''),
    [ATTR.RECIPIENT_KIND]: recipientKind(req.recipient),
    ...(recordRecipient ? { [ATTR.RECIPIENT_ID]: recipientValue(req.recipient) } : {}),
  }),
};

/** `SendMessage`: one message to one recipient. */
export function sendMessageHandler(deps: ServiceDeps): handleUnaryCall<SendMessageRequest, SendMessageResponse> {
  return unarySend(deps, sendMessageSpec);
}

/** Meta limits audio and video sends per page far below the rest (10/s against ~300/s). */
export function messageRateClass(req: SendMessageRequest): RateClass {
  const content = req.message?.content;
  if (content?.$case !== 'attachment' || content.value.kind?.$case !== 'media') return 'default';
  const type = content.value.kind.value.type;
  return type === MediaType.MEDIA_TYPE_AUDIO || type === MediaType.MEDIA_TYPE_VIDEO ? 'media' : 'default';
}
