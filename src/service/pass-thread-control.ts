import type { handleUnaryCall } from '@grpc/grpc-js';
import { PassThreadControlRequest, PassThreadControlResponse } from '../../gen/messenger/v1/conversation';
import { fromGraphSuccess } from '../graph/from-graph-conversation';
import { toGraphPassThreadControlBody } from '../graph/to-graph-conversation';
import type { IsPersonId } from '../validate/validate-conversation';
import { validatePassThreadControl } from '../validate/validate-conversation';
import type { GraphCallSpec } from './graph-call-spec';
import { personAttributes, personIdRule } from './person-id';
import type { ServiceDeps } from './service-deps';
import { unaryGraphCall } from './unary-graph-call';

/**
 * PassThreadControl: `POST /{page-id}/pass_thread_control`. It acts (the conversation changes
 * hands and the new owner is told), so it is not repeated blindly: an idempotency key as sends have.
 */
export function passThreadControlSpec(isPersonId: IsPersonId): GraphCallSpec<PassThreadControlRequest, PassThreadControlResponse> {
  return {
    method: 'PassThreadControl',
    pageOf: (req) => req.pageId,
    validate: (req, isPageConfigured) => validatePassThreadControl(req, isPageConfigured, isPersonId),
    request: (req) => ({ method: 'POST', path: `/${req.pageId}/pass_thread_control`, json: toGraphPassThreadControlBody(req) }),
    fromGraph: fromGraphSuccess,
    rateClass: () => 'default',
    safeToRetry: false,
    idempotency: {
      fingerprint: (req) => PassThreadControlRequest.encode({ ...req, idempotencyKey: '' }).finish(),
      responseCodec: PassThreadControlResponse,
    },
    // Passed: the target app owns it now.
    teaches: (req, res, nowMs) => (res.success ? { pageId: req.pageId, person: req.recipientId, owner: req.targetAppId, ownerMs: nowMs } : undefined),
    attributes: (req, recordRecipient) => personAttributes(req.pageId, req.recipientId, recordRecipient),
  };
}

/** `PassThreadControl`. */
export function passThreadControlHandler(deps: ServiceDeps): handleUnaryCall<PassThreadControlRequest, PassThreadControlResponse> {
  return unaryGraphCall(deps, passThreadControlSpec(personIdRule(deps.sandbox)));
}
