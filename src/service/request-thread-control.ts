import type { handleUnaryCall } from '@grpc/grpc-js';
import { RequestThreadControlRequest, RequestThreadControlResponse } from '../../gen/messenger/v1/conversation';
import { fromGraphSuccess } from '../graph/from-graph-conversation';
import { toGraphThreadControlBody } from '../graph/to-graph-conversation';
import type { IsPersonId } from '../validate/validate-conversation';
import { validateTakeOrRequestThreadControl } from '../validate/validate-conversation';
import type { GraphCallSpec } from './graph-call-spec';
import { personAttributes, personIdRule } from './person-id';
import type { ServiceDeps } from './service-deps';
import { unaryGraphCall } from './unary-graph-call';

/**
 * RequestThreadControl: `POST /{page-id}/request_thread_control`. Asks the app that owns the conversation to pass it (the owner is told): it acts, so it is
 * not repeated blindly; an idempotency key as sends have.
 */
export function requestThreadControlSpec(isPersonId: IsPersonId): GraphCallSpec<RequestThreadControlRequest, RequestThreadControlResponse> {
  return {
    method: 'RequestThreadControl',
    pageOf: (req) => req.pageId,
    validate: (req, isPageConfigured) => validateTakeOrRequestThreadControl(req, isPageConfigured, isPersonId),
    request: (req) => ({ method: 'POST', path: `/${req.pageId}/request_thread_control`, json: toGraphThreadControlBody(req) }),
    fromGraph: fromGraphSuccess,
    rateClass: () => 'default',
    safeToRetry: false,
    idempotency: {
      fingerprint: (req) => RequestThreadControlRequest.encode({ ...req, idempotencyKey: '' }).finish(),
      responseCodec: RequestThreadControlResponse,
    },
    attributes: (req, recordRecipient) => personAttributes(req.pageId, req.recipientId, recordRecipient),
  };
}

/** `RequestThreadControl`. */
export function requestThreadControlHandler(deps: ServiceDeps): handleUnaryCall<RequestThreadControlRequest, RequestThreadControlResponse> {
  return unaryGraphCall(deps, requestThreadControlSpec(personIdRule(deps.sandbox)));
}
