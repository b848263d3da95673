import type { handleUnaryCall } from '@grpc/grpc-js';
import { messagingTypeToJSON } from '../../gen/messenger/v1/enums';
import type { SendMessageRequest, SendMessageResponse } from '../../gen/messenger/v1/service';
import { fromGraphMessageResponse } from '../graph/from-graph';
import { toGraphMessageBody } from '../graph/to-graph';
import { ATTR, recipientKind, recipientValue } from '../telemetry/send-attributes';
import { validateSendMessage } from '../validate/validate-send-message';
import type { ServiceDeps } from './service-deps';
import { unarySend } from './unary-send';

/** `SendMessage`: one message to one recipient. */
export function sendMessageHandler(deps: ServiceDeps): handleUnaryCall<SendMessageRequest, SendMessageResponse> {
  return unarySend(deps, {
    method: 'SendMessage',
    validate: validateSendMessage,
    toGraph: toGraphMessageBody,
    fromGraph: fromGraphMessageResponse,
    describe: (res) => ({ messageId: res.messageId, attachmentId: res.attachmentId }),
    attributes: (req, recordRecipient) => ({
      [ATTR.PAGE_ID]: req.pageId,
      [ATTR.MESSAGING_TYPE]: messagingTypeToJSON(req.messagingType).replace('MESSAGING_TYPE_', ''),
      [ATTR.RECIPIENT_KIND]: recipientKind(req.recipient),
      ...(recordRecipient ? { [ATTR.RECIPIENT_ID]: recipientValue(req.recipient) } : {}),
    }),
  });
}
