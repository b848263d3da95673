import type { handleUnaryCall } from '@grpc/grpc-js';
import { senderActionToJSON } from '../../gen/messenger/v1/enums';
import { SendSenderActionRequest, SendSenderActionResponse } from '../../gen/messenger/v1/service';
import { fromGraphSenderActionResponse } from '../graph/from-graph';
import { toGraphSenderActionBody } from '../graph/to-graph';
import { ATTR } from '../telemetry/attribute-names';
import { recipientKind, recipientValue } from '../telemetry/send-attributes';
import { validateSenderAction } from '../validate/validate-sender-action';
import { instagramSenderActionViolations } from '../validate/validate-instagram';
import type { GraphCallSpec } from './graph-call-spec';
import type { ServiceDeps } from './service-deps';
import { unaryGraphCall } from './unary-graph-call';

/** SendSenderAction: seen, typing or a reaction, `POST /{page-id}/messages` like messages. */
export const sendSenderActionSpec: GraphCallSpec<SendSenderActionRequest, SendSenderActionResponse> = {
  method: 'SendSenderAction',
  pageOf: (req) => req.pageId,
  validate: validateSenderAction,
  instagram: instagramSenderActionViolations,
  request: (req) => ({ method: 'POST', path: `/${req.pageId}/messages`, json: toGraphSenderActionBody(req) }),
  fromGraph: fromGraphSenderActionResponse,
  rateClass: () => 'default',
  safeToRetry: false,
  idempotency: {
    fingerprint: (req) => SendSenderActionRequest.encode({ ...req, idempotencyKey: '' }).finish(),
    responseCodec: SendSenderActionResponse,
  },
  conversation: (req) => (req.recipient?.identifier?.$case === 'id' ? { person: req.recipient.identifier.value, kind: 'sender-action' } : undefined),
  markWarning: (res, warning) => ({ ...res, policyWarning: { reason: warning.reason, message: warning.message } }),
  attributes: (req, recordRecipient) => ({
    [ATTR.PAGE_ID]: req.pageId,
    [ATTR.SENDER_ACTION]: senderActionToJSON(req.action).replace('SENDER_ACTION_', '').toLowerCase(),
    [ATTR.RECIPIENT_KIND]: recipientKind(req.recipient),
    ...(recordRecipient ? { [ATTR.RECIPIENT_ID]: recipientValue(req.recipient) } : {}),
  }),
};

/** `SendSenderAction`. */
export function sendSenderActionHandler(deps: ServiceDeps): handleUnaryCall<SendSenderActionRequest, SendSenderActionResponse> {
  return unaryGraphCall(deps, sendSenderActionSpec);
}
