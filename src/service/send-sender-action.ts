import type { handleUnaryCall } from '@grpc/grpc-js';
import { senderActionToJSON } from '../../gen/messenger/v1/enums';
import { SendSenderActionRequest, SendSenderActionResponse } from '../../gen/messenger/v1/service';
import { fromGraphSenderActionResponse } from '../graph/from-graph';
import { toGraphSenderActionBody } from '../graph/to-graph';
import { ATTR } from '../telemetry/attribute-names';
import { recipientKind, recipientValue } from '../telemetry/send-attributes';
import { validateSenderAction } from '../validate/validate-sender-action';
import type { ServiceDeps } from './service-deps';
import { unarySend } from './unary-send';

/** `SendSenderAction`: seen, typing or a reaction, on the same Graph endpoint as messages. */
export function sendSenderActionHandler(deps: ServiceDeps): handleUnaryCall<SendSenderActionRequest, SendSenderActionResponse> {
  return unarySend(deps, {
    method: 'SendSenderAction',
    validate: validateSenderAction,
    toGraph: toGraphSenderActionBody,
    fromGraph: fromGraphSenderActionResponse,
    rateClass: () => 'default',
    requestCodec: SendSenderActionRequest,
    responseCodec: SendSenderActionResponse,
    attributes: (req, recordRecipient) => ({
      [ATTR.PAGE_ID]: req.pageId,
      [ATTR.SENDER_ACTION]: senderActionToJSON(req.action).replace('SENDER_ACTION_', '').toLowerCase(),
      [ATTR.RECIPIENT_KIND]: recipientKind(req.recipient),
      ...(recordRecipient ? { [ATTR.RECIPIENT_ID]: recipientValue(req.recipient) } : {}),
    }),
  });
}
